import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, checkMs, checkRound, pickFraction } from "./types.ts";

export interface RestartOptions {
  /** Share of the peers that crash and come back, drawn from the seed. */
  fraction: number;
  /** They crash as they start this round (0-based). @default 1 */
  atRound?: number;
  /** How long they stay down before the new process starts, in ms. */
  downMs: number;
}

/**
 * restart({ fraction, atRound, downMs }): the chosen peers crash as they start round `atRound` (like `crash`) and
 * come back `downMs` later as a new process with the same id: a fresh round machine and transport, the same device
 * and data. The new process knows nothing of the old one: it joins through the tracker again (which re-admits a
 * roster id), re-dials its neighbours, starts at round 0 from the common initial model and catches up with the
 * swarm through `round.behind`. Every peer finishes: the survivors and the restarted ones.
 */
export function restart(opts: RestartOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("restart", "fraction", opts.fraction);
  const atRound = checkRound("restart", "atRound", opts.atRound ?? 1);
  const downMs = checkMs("restart", "downMs", opts.downMs, true);
  return brand("faults", "restart", { fraction, atRound, downMs }, () => ({
    name: "restart",
    install(world) {
      const doomed = new Map(pickFraction(world.peers, fraction, world.rng).map((p) => [p.id, p]));
      world.onState((peer, state, round) => {
        const p = doomed.get(peer);
        if (!p || state !== "train" || round < atRound) return;
        doomed.delete(peer);
        world.clock.setTimeout(() => {
          p.crash(`restart({ fraction: ${fraction}, atRound: ${atRound}, downMs: ${downMs} })`);
          // The crash is a process death: the network drops its frames in flight and refuses dials until it is back.
          world.net?.crash(world.addressOf(peer));
          world.respawn(peer, downMs);
          world.report(peer, `comes back in ${downMs} ms (restart)`);
        }, 0);
      });
    },
  }));
}
