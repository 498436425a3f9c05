import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, checkRound, pickFraction } from "./types.ts";

export interface ChurnOptions {
  /** Share of the peers that leave, drawn from the seed. */
  leaveFraction: number;
  /** They leave as they start this round (0-based). @default 1 */
  atRound?: number;
  /** Share of the peers that are offline when the run starts and join later (drawn from the others). @default 0 */
  joinFraction?: number;
  /** The late peers come online when the first peer starts this round. @default atRound */
  joinAtRound?: number;
}

/**
 * churn({ leaveFraction, atRound, joinFraction, joinAtRound }): peers leave and join while the run goes on.
 * - Leaving: the chosen peers leave gracefully as they start round `atRound` (`peer.leave`: the machine ends in
 *   `left`, sessions close with a goodbye). Their update for that round never exists, so the others' coverage tops
 *   out at 1 − leaveFraction, as after a crash.
 * - Joining: the roster is fixed when the run starts (the tracker admits roster ids and the topology is drawn over
 *   them), so joiners are roster peers that are offline at the start: they go down as the run starts and come up,
 *   as a fresh peer, when the first peer starts round `joinAtRound`. They join through the tracker, dial their
 *   neighbours, start at round 0 and catch up to the swarm's round (`round.behind`). Until then the others
 *   aggregate without their updates.
 */
export function churn(opts: ChurnOptions): PluginFactory<"faults"> {
  const leaveFraction = checkFraction("churn", "leaveFraction", opts.leaveFraction);
  const atRound = checkRound("churn", "atRound", opts.atRound ?? 1);
  const joinFraction = checkFraction("churn", "joinFraction", opts.joinFraction ?? 0);
  const joinAtRound = checkRound("churn", "joinAtRound", opts.joinAtRound ?? atRound);
  if (leaveFraction + joinFraction > 1) throw new Error(`churn.joinFraction: leaveFraction + joinFraction must be ≤ 1, got ${leaveFraction} + ${joinFraction}`);
  const options = joinFraction > 0 ? { leaveFraction, atRound, joinFraction, joinAtRound } : { leaveFraction, atRound };
  return brand("faults", "churn", options, () => ({
    name: "churn",
    install(world) {
      const leaving = new Map(pickFraction(world.peers, leaveFraction, world.rng).map((p) => [p.id, p]));
      const rest = world.peers.filter((p) => !leaving.has(p.id));
      const joining = new Map(pickFraction(rest, rest.length ? joinFraction / (1 - leaveFraction || 1) : 0, world.rng.split("join")).map((p) => [p.id, p]));
      const offline = new Set<string>();
      let joined = joining.size === 0;
      world.onState((peer, state, round) => {
        // Joiners: down as soon as their machine starts (before they are admitted anywhere)...
        const j = joining.get(peer);
        if (j && !offline.has(peer) && state === "join") {
          offline.add(peer);
          world.clock.setTimeout(() => {
            world.report(peer, `offline until round ${joinAtRound} (churn join)`);
            j.crash("offline at the start (churn join)");
          }, 0);
        }
        // ...and back, as fresh peers, when the swarm reaches joinAtRound.
        if (!joined && state === "train" && round >= joinAtRound && !joining.has(peer)) {
          joined = true;
          for (const id of joining.keys()) {
            world.report(id, `joins at round ${round} (churn)`);
            world.respawn(id, 0);
          }
        }
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
