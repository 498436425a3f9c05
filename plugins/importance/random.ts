import { brand, type PluginFactory } from "../plugin.ts";

/**
 * random(): every chunk gets a score drawn uniformly from [0, 1) with the peer's seeded rng — the baseline
 * that tells whether an informed importance beats none. Same seed and call order → same scores.
 */
export function random(): PluginFactory<"importance"> {
  return brand("importance", "random", undefined, ({ rng }) => ({
    name: "random",
    score: (input) => input.layout.chunks.map(() => rng.next()),
  }));
}
