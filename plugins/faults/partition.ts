import { brand, type PluginFactory } from "../plugin.ts";
import { cut } from "./cuts.ts";
import { checkFraction, needMemoryNet, pickFraction } from "./types.ts";

export interface PartitionOptions {
  /** Share of the peers cut off from the rest (drawn from the seed). */
  fraction: number;
  /** Clock time (ms from the run's start) the partition begins. */
  fromMs: number;
  /** Clock time it heals. @default never */
  toMs?: number;
}

/**
 * partition({ fraction, fromMs, toMs }): splits the peers in two groups between two instants: links between the
 * groups drop and dials fail; at `toMs` the network heals and peers redial. Memory network (virtual clock) only.
 */
export function partition(opts: PartitionOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("partition", "fraction", opts.fraction);
  if (!(Number.isFinite(opts.fromMs) && opts.fromMs >= 0)) throw new Error(`partition.fromMs: expected a time ≥ 0 in ms, got ${String(opts.fromMs)}`);
  if (opts.toMs !== undefined && !(opts.toMs > opts.fromMs)) throw new Error(`partition.toMs: expected a time after fromMs (${opts.fromMs}), got ${String(opts.toMs)}`);
  return brand("faults", "partition", { fraction, fromMs: opts.fromMs, toMs: opts.toMs }, () => ({
    name: "partition",
    install(world) {
      const net = needMemoryNet("partition", world);
      const cutOff = new Set(pickFraction(world.peers, fraction, world.rng).map((p) => p.id));
      const a = world.peers.filter((p) => cutOff.has(p.id)).map((p) => world.addressOf(p.id));
      const b = world.peers.filter((p) => !cutOff.has(p.id)).map((p) => world.addressOf(p.id));
      const start = world.clock.now();
      let lift: (() => void) | undefined;
      world.clock.setTimeout(() => (lift = cut(net, a, b)), opts.fromMs);
      if (opts.toMs !== undefined) world.clock.setTimeout(() => lift?.(), opts.toMs - (world.clock.now() - start));
    },
  }));
}
