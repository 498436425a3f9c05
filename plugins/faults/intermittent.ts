import { brand, type PluginFactory } from "../plugin.ts";
import { cycleCuts, othersOf, runEnded } from "./cuts.ts";
import { checkFraction, checkMs, needMemoryNet, pickFraction } from "./types.ts";

export interface IntermittentOptions {
  /** Share of the peers with intermittent connectivity, drawn from the seed. */
  fraction: number;
  /** Mean length of a connected window, in ms. */
  upMs: number;
  /** Mean length of a disconnected window, in ms. */
  downMs: number;
  /** Each window lasts mean × (1 ± jitter), uniform, drawn per window from the seed. @default 0.5 */
  jitter?: number;
}

/**
 * intermittent({ fraction, upMs, downMs }): each chosen peer alternates connected and disconnected windows of random
 * length (mean ± jitter, drawn from its own stream of the seed, so peers drift apart), starting connected, until the
 * run ends. While disconnected it is cut from every other peer; after each window it redials. Memory network
 * (virtual clock) only.
 */
export function intermittent(opts: IntermittentOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("intermittent", "fraction", opts.fraction);
  const upMs = checkMs("intermittent", "upMs", opts.upMs);
  const downMs = checkMs("intermittent", "downMs", opts.downMs);
  const jitter = opts.jitter ?? 0.5;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter < 1)) throw new Error(`intermittent.jitter: expected a number in [0, 1), got ${String(opts.jitter)}`);
  return brand("faults", "intermittent", { fraction, upMs, downMs, jitter }, () => ({
    name: "intermittent",
    install(world) {
      const net = needMemoryNet("intermittent", world);
      const ended = runEnded(world);
      for (const p of pickFraction(world.peers, fraction, world.rng)) {
        const rng = world.rng.split(p.id);
        const window = (mean: number) => mean * (1 + jitter * (2 * rng.next() - 1));
        cycleCuts({
          net,
          clock: world.clock,
          self: world.addressOf(p.id),
          others: othersOf(world, p.id),
          schedule: { upMs: () => window(upMs), downMs: () => window(downMs) },
          stop: ended,
          onCut: (ms) => world.report(p.id, `link down for ${Math.round(ms)} ms (intermittent)`),
        });
      }
    },
  }));
}
