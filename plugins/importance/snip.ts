import { brand, type PluginFactory } from "../plugin.ts";
import { checkOptionNames, checkShapes, chunkMeans, intOption, nonDefault, probeExamplesMax, requireProbe, type ImportanceInput } from "./types.ts";

export interface SnipOptions {
  /** Examples of the peer's shard the gradient is averaged over (fewer when the shard is smaller). @default 32 */
  examples?: number;
}

const defaults = { examples: 32 };

/**
 * snip({ examples }): connection sensitivity (Lee et al., SNIP, 2019) — how much the loss would change if the
 * chunk's weights were removed, to first order: Σ |g ⊙ w| over the chunk divided by its length, with w the
 * trained weights (`after`) and g the loss gradient there on `examples` of the peer's own examples. A chunk of
 * all-zero weights scores 0 whatever its gradient. Needs `input.probe`; non-finite results score 0; capped.
 */
export function snip(opts: SnipOptions = {}): PluginFactory<"importance"> {
  checkOptionNames("snip", opts, Object.keys(defaults));
  const examples = intOption("snip", "examples", opts.examples, defaults.examples, 1, probeExamplesMax);
  return brand("importance", "snip", nonDefault({ examples }, defaults), () => ({
    name: "snip",
    score: (input) => connectionSensitivity(input, examples),
  }));
}

/** One score per chunk: mean |gradient × weight| over the chunk. */
export function connectionSensitivity(input: ImportanceInput, examples: number): number[] {
  const g = requireProbe("snip", input).gradient(examples);
  checkShapes("snip", input, { "probe.gradient": g });
  const w = input.after;
  return chunkMeans(input, (i) => Math.abs(g[i]! * w[i]!));
}
