import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, checkRound, pickFraction } from "./types.ts";

export interface ChurnOptions {
  /** Share of the peers that leave, drawn from the seed. */
  leaveFraction: number;
  /** They leave as they start this round (0-based). @default 1 */
  atRound?: number;
}

/**
 * churn({ leaveFraction, atRound }): the chosen peers leave gracefully as they start round `atRound` (`peer.leave`:
 * the machine ends in `left`, sessions and the tracker link close with a goodbye, not a crash). Their update for that
 * round never exists, so the others' coverage tops out at 1 − leaveFraction, as after a crash.
 *
 * Only departures: the roster is fixed when the run starts (the tracker admits roster ids and the topology is drawn
 * over them), so brand-new ids cannot join mid-run. A comeback of a known id is `restart`.
 */
export function churn(opts: ChurnOptions): PluginFactory<"faults"> {
  const leaveFraction = checkFraction("churn", "leaveFraction", opts.leaveFraction);
  const atRound = checkRound("churn", "atRound", opts.atRound ?? 1);
  return brand("faults", "churn", { leaveFraction, atRound }, () => ({
    name: "churn",
    install(world) {
      const leaving = new Map(pickFraction(world.peers, leaveFraction, world.rng).map((p) => [p.id, p]));
      world.onState((peer, state, round) => {
        const p = leaving.get(peer);
        if (!p || state !== "train" || round < atRound) return;
        leaving.delete(peer);
        // Not inside the machine's own transition: leave a moment later on the clock.
        world.clock.setTimeout(() => {
          world.report(peer, `leaves at round ${round} (churn)`);
          p.leave();
        }, 0);
      });
    },
  }));
}
