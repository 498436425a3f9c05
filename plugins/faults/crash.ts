import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, checkRound, pickFraction } from "./types.ts";

/** Round-machine states a crash can be tied to: the working states of a round (see machines/round.ts). */
export const crashStates = ["train", "score", "swarm", "grace", "aggregate"] as const;

export type CrashState = (typeof crashStates)[number];

export interface CrashOptions {
  /** Share of the peers that crash, drawn from the seed. */
  fraction: number;
  /** They crash in this round (0-based) or the first later one in which they reach `inState`. @default 1 */
  atRound?: number;
  /**
   * The round-machine state they crash on entering (a moment later on the clock, outside the transition).
   * "train": before their update exists; "score"/"swarm": trained, but the update is not (all) out; "aggregate":
   * their update for the round reached the others (and on the virtual clock, where aggregating takes no time, they
   * finish the round before the crash lands). A peer that never reaches the state from `atRound` on (`grace` only
   * follows a missed deadline; a timed-out training skips `score`) never crashes.
   * @default "train"
   */
  inState?: CrashState;
}

/**
 * crash({ fraction, atRound, inState }): the chosen peers die the first time they enter `inState` in a round
 * ≥ `atRound` (by default as their training of round `atRound` starts, so their update for that round never exists).
 * Survivors see `link.down`, keep going, and aggregate without them: with scope "all" a dead origin's pieces never
 * arrive, so their coverage tops out at 1 − fraction and the deadline guard decides (partial at ≥ minCompletion,
 * else grace then degraded).
 */
export function crash(opts: CrashOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("crash", "fraction", opts.fraction);
  const atRound = checkRound("crash", "atRound", opts.atRound ?? 1);
  const inState = opts.inState ?? "train";
  if (!(crashStates as readonly unknown[]).includes(inState)) {
    throw new Error(`crash.inState: expected one of ${crashStates.join(", ")}, got ${JSON.stringify(inState) ?? String(inState)}`);
  }
  // The default state stays out of the options, so existing scenarios describe themselves as before.
  const options = inState === "train" ? { fraction, atRound } : { fraction, atRound, inState };
  const said = inState === "train" ? `crash({ fraction: ${fraction}, atRound: ${atRound} })` : `crash({ fraction: ${fraction}, atRound: ${atRound}, inState: "${inState}" })`;
  return brand("faults", "crash", options, () => ({
    name: "crash",
    install(world) {
      const doomed = new Map(pickFraction(world.peers, fraction, world.rng).map((p) => [p.id, p]));
      world.onState((peer, state, round) => {
        const p = doomed.get(peer);
        if (!p || state !== inState || round < atRound) return;
        doomed.delete(peer);
        // Not inside the machine's own transition: crash a moment later on the clock.
        world.clock.setTimeout(() => p.crash(said), 0);
      });
    },
  }));
}
