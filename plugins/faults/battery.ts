import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, pickFraction } from "./types.ts";

export interface BatteryOptions {
  /** Share of the peers on a battery, drawn from the seed. */
  fraction: number;
  /** Rounds of work (training) their energy lasts. */
  rounds: number;
}

/**
 * battery({ fraction, rounds }): the chosen peers have energy for `rounds` rounds of work. Each round they start
 * training counts (a round skipped while catching up costs nothing); when they would start one more, they leave
 * gracefully (`peer.leave` → `left`), so their update for that round never exists.
 */
export function battery(opts: BatteryOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("battery", "fraction", opts.fraction);
  if (typeof opts.rounds !== "number" || !Number.isInteger(opts.rounds) || opts.rounds < 1) {
    throw new Error(`battery.rounds: expected an integer ≥ 1, got ${String(opts.rounds)}`);
  }
  const rounds = opts.rounds;
  return brand("faults", "battery", { fraction, rounds }, () => ({
    name: "battery",
    install(world) {
      const chosen = new Map(pickFraction(world.peers, fraction, world.rng).map((p) => [p.id, p]));
      /** Rounds each chosen peer has started training, and the last one (state reports repeat within a round). */
      const worked = new Map<string, { rounds: number; last: number }>();
      world.onState((peer, state, round) => {
        const p = chosen.get(peer);
        if (!p || state !== "train") return;
        const w = worked.get(peer) ?? { rounds: 0, last: -1 };
        worked.set(peer, w);
        if (w.last === round) return;
        w.last = round;
        if (++w.rounds <= rounds) return;
        chosen.delete(peer);
        world.clock.setTimeout(() => {
          world.report(peer, `battery empty after ${rounds} rounds: leaves at round ${round}`);
          p.leave();
        }, 0);
      });
    },
  }));
}
