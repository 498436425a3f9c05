import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, checkRound, pickFraction } from "./types.ts";

export interface CrashOptions {
  /** Share of the peers that crash, drawn from the seed. */
  fraction: number;
  /** They crash as they start this round (0-based). @default 1 */
  atRound?: number;
}

/**
 * crash({ fraction, atRound }): the chosen peers die when they start round `atRound` (at the start of their
 * training, so their update for that round never exists). Survivors see `link.down`, keep going, and aggregate
 * without them: with scope "all" a dead origin's pieces never arrive, so their coverage tops out at
 * 1 − fraction and the deadline guard decides (partial at ≥ minCompletion, else grace then degraded).
 */
export function crash(opts: CrashOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("crash", "fraction", opts.fraction);
  const atRound = checkRound("crash", "atRound", opts.atRound ?? 1);
  return brand("faults", "crash", { fraction, atRound }, () => ({
    name: "crash",
    install(world) {
      const doomed = new Map(pickFraction(world.peers, fraction, world.rng).map((p) => [p.id, p]));
      world.onState((peer, state, round) => {
        const p = doomed.get(peer);
        if (!p || state !== "train" || round < atRound) return;
        doomed.delete(peer);
        // Not inside the machine's own transition: crash a moment later on the clock.
        world.clock.setTimeout(() => p.crash(`crash({ fraction: ${fraction}, atRound: ${atRound} })`), 0);
      });
    },
  }));
}
