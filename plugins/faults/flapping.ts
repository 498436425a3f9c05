import { brand, type PluginFactory } from "../plugin.ts";
import { cycleCuts, othersOf, runEnded } from "./cuts.ts";
import { checkFraction, checkMs, needMemoryNet, pickFraction } from "./types.ts";

export interface FlappingOptions {
  /** Share of the peers whose link flaps, drawn from the seed. */
  fraction: number;
  /** One cut every this many ms, the first at `periodMs` from the start. */
  periodMs: number;
  /** Each cut lasts this long (< periodMs). */
  downMs: number;
}

/**
 * flapping({ fraction, periodMs, downMs }): the chosen peers' links go down for `downMs` at every multiple of
 * `periodMs` until the run ends: each is cut from every other peer (sessions drop, dials fail), then healed, and
 * the peers redial their lost neighbours. All chosen peers flap together; `intermittent` draws its windows per peer.
 * Memory network (virtual clock) only.
 */
export function flapping(opts: FlappingOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("flapping", "fraction", opts.fraction);
  const periodMs = checkMs("flapping", "periodMs", opts.periodMs);
  const downMs = checkMs("flapping", "downMs", opts.downMs);
  if (!(downMs < periodMs)) throw new Error(`flapping.downMs: expected less than periodMs (${periodMs}), got ${downMs}`);
  return brand("faults", "flapping", { fraction, periodMs, downMs }, () => ({
    name: "flapping",
    install(world) {
      const net = needMemoryNet("flapping", world);
      const ended = runEnded(world);
      for (const p of pickFraction(world.peers, fraction, world.rng)) {
        let first = true;
        const upMs = () => {
          const gap = first ? periodMs : periodMs - downMs;
          first = false;
          return gap;
        };
        cycleCuts({
          net,
          clock: world.clock,
          self: world.addressOf(p.id),
          others: othersOf(world, p.id),
          schedule: { upMs, downMs: () => downMs },
          stop: ended,
          onCut: (ms) => world.report(p.id, `link down for ${ms} ms (flapping)`),
        });
      }
    },
  }));
}
