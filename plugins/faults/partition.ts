import { brand, type PluginFactory } from "../plugin.ts";
import { cut } from "./cuts.ts";
import { checkFraction, needMemoryNet, pickFraction } from "./types.ts";

interface PartitionTiming {
  /** Clock time (ms from the run's start) the partition begins. */
  fromMs: number;
  /** Clock time it heals. @default never */
  toMs?: number;
}

interface PartitionByFraction {
  /** Share of the peers cut off from the rest (drawn from the seed). Give this or `groups`. */
  fraction: number;
  groups?: undefined;
}

interface PartitionByGroups {
  /**
   * The two sides by peer id (two non-empty, disjoint lists of ids of the run's peers). Peers in neither list keep
   * their links to both sides. Give this or `fraction`.
   */
  groups: readonly (readonly string[])[];
  fraction?: undefined;
}

export type PartitionOptions = PartitionTiming & (PartitionByFraction | PartitionByGroups);

/**
 * partition({ fraction | groups, fromMs, toMs }): splits the peers in two groups between two instants: links between
 * the groups drop and dials fail; at `toMs` the network heals and peers redial. The groups are a share of the peers
 * drawn from the seed (the rest form the other group) or named explicitly. Memory network (virtual clock) only.
 */
export function partition(opts: PartitionOptions): PluginFactory<"faults"> {
  if (opts.fraction !== undefined && opts.groups !== undefined) throw new Error("partition.groups: expected either fraction or groups, not both");
  if (opts.fraction === undefined && opts.groups === undefined) throw new Error("partition.fraction: expected a number in [0, 1] (or groups instead), got neither");
  const fraction = opts.fraction === undefined ? undefined : checkFraction("partition", "fraction", opts.fraction);
  const groups = opts.groups === undefined ? undefined : checkGroups(opts.groups);
  if (!(Number.isFinite(opts.fromMs) && opts.fromMs >= 0)) throw new Error(`partition.fromMs: expected a time ≥ 0 in ms, got ${String(opts.fromMs)}`);
  if (opts.toMs !== undefined && !(opts.toMs > opts.fromMs)) throw new Error(`partition.toMs: expected a time after fromMs (${opts.fromMs}), got ${String(opts.toMs)}`);
  const { fromMs, toMs } = opts;
  return brand("faults", "partition", { fraction, groups, fromMs, toMs }, () => ({
    name: "partition",
    install(world) {
      const net = needMemoryNet("partition", world);
      let sides: [string[], string[]];
      if (groups) {
        const roster = new Set(world.peers.map((p) => p.id));
        const unknown = groups.flat().filter((id) => !roster.has(id));
        if (unknown.length > 0) {
          throw new Error(`partition.groups: ${unknown.map((id) => JSON.stringify(id)).join(", ")} ${unknown.length === 1 ? "is" : "are"} not in the roster of ${roster.size} peers`);
        }
        sides = [[...groups[0]], [...groups[1]]];
      } else {
        const cutOff = new Set(pickFraction(world.peers, fraction!, world.rng).map((p) => p.id));
        sides = [world.peers.filter((p) => cutOff.has(p.id)).map((p) => p.id), world.peers.filter((p) => !cutOff.has(p.id)).map((p) => p.id)];
      }
      // A side with nobody on it cuts nothing: arm nothing (fraction 0 or 1, or a roster of one).
      if (sides[0].length === 0 || sides[1].length === 0) return;
      const a = sides[0].map((id) => world.addressOf(id));
      const b = sides[1].map((id) => world.addressOf(id));
      const start = world.clock.now();
      let lift: (() => void) | undefined;
      world.clock.setTimeout(() => (lift = cut(net, a, b)), fromMs);
      if (toMs !== undefined) world.clock.setTimeout(() => lift?.(), toMs - (world.clock.now() - start));
    },
  }));
}

/** Two non-empty disjoint lists of distinct peer ids, copied (the caller may reuse its arrays). */
function checkGroups(v: unknown): [string[], string[]] {
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`partition.groups: expected two lists of peer ids, got ${describe(v)}`);
  const out = v.map((group: unknown, g) => {
    if (!Array.isArray(group) || group.length === 0) throw new Error(`partition.groups[${g}]: expected a non-empty list of peer ids, got ${describe(group)}`);
    const seen = new Set<string>();
    return group.map((id: unknown, i) => {
      if (typeof id !== "string" || id.length === 0) throw new Error(`partition.groups[${g}][${i}]: expected a peer id (a non-empty string), got ${describe(id)}`);
      if (seen.has(id)) throw new Error(`partition.groups[${g}]: ${JSON.stringify(id)} is listed twice`);
      seen.add(id);
      return id;
    });
  }) as [string[], string[]];
  const first = new Set(out[0]);
  const both = out[1].filter((id) => first.has(id));
  if (both.length > 0) throw new Error(`partition.groups: ${both.map((id) => JSON.stringify(id)).join(", ")} ${both.length === 1 ? "is" : "are"} in both groups`);
  return out;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return JSON.stringify(v) ?? String(v);
}
