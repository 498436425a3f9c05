/**
 * A VOPR fault schedule: plain data drawn from the seed (draw-faults.ts), carried out by the `vopr` fault plugin
 * (fault-plugin.ts) and the stock plugins it gates (gate.ts). Data, so a failing seed can print what it injected.
 */
import type { ByzantineAttack } from "../../plugins/faults/byzantine.ts";
import type { CrashState } from "../../plugins/faults/crash.ts";

/** Round-machine states (machines/round.ts) a peer fault can be tied to: any state a live peer passes through. */
export const machineStates = ["join", "connect", "train", "score", "swarm", "grace", "aggregate"] as const;
export type MachineState = (typeof machineStates)[number];

/**
 * When a fault fires: at a clock time (ms from the start), or `afterMs` after `peer` first enters `state` in a round
 * ≥ `round`. A trigger that never comes (the peer died first, skipped the round, never needed `grace`) fires nothing.
 */
export type Trigger = { atMs: number } | { peer: string; state: MachineState; round: number; afterMs: number };

/**
 * Frame faults through `MemoryFaults.setFilter`, for every frame (tracker links too) during the safety phase. The
 * emulated streams are reliable, so a drop or a duplicate is a fault the swarm must survive, never a normal event.
 */
export interface FilterPlan {
  dropP: number;
  duplicateP: number;
  /** Chance of a delay spike; the spike is drawn uniformly in (0, delayMaxMs]. Later frames on the conn wait too. */
  delayP: number;
  delayMaxMs: number;
}

export type PartitionShape = "halves" | "isolate" | "bridge";

export type NetFault =
  /** Cuts `a` from `b` for `forMs` (a "bridge" peer is in neither side and keeps its links to both). */
  | { kind: "partition"; shape: PartitionShape; a: string[]; b: string[]; at: Trigger; forMs: number }
  /** Clogs the directed links one by one every `stepMs`, holds `holdMs`, then unclogs them in `unclogOrder`, one per step. */
  | { kind: "clog"; links: Array<[string, string]>; stepMs: number; holdMs: number; unclogOrder: number[]; at: Trigger };

export type PeerFault =
  /** The process dies in `state`. `hard`: the network drops its frames in flight at once (else its conns close). */
  | { kind: "crash"; peer: string; at: Trigger; hard: boolean }
  /** Dies like a hard crash and comes back `downMs` later as a new process with the same id. */
  | { kind: "restart"; peer: string; at: Trigger; downMs: number }
  /** Leaves gracefully. */
  | { kind: "leave"; peer: string; at: Trigger };

/** Stock fault plugins, gated to the safety phase (corrupt and Byzantine peers stay so for the whole run). */
export interface PluginFaults {
  crash?: { fraction: number; atRound: number; inState: CrashState };
  restart?: { fraction: number; atRound: number; downMs: number };
  corrupt?: { fraction: number; probability: number };
  byzantine?: { fraction: number; attack: ByzantineAttack };
}

export interface Schedule {
  /** The safety phase ends when the first peer starts training this round (or at `healCapMs`, whichever is first). */
  healRound: number;
  healCapMs: number;
  filter: FilterPlan | undefined;
  net: NetFault[];
  peers: PeerFault[];
  plugins: PluginFaults;
}

/** One line per fault, for a failing seed's report. */
export function describeSchedule(s: Schedule): string[] {
  const at = (t: Trigger) => ("atMs" in t ? `at ${Math.round(t.atMs)} ms` : `${Math.round(t.afterMs)} ms after ${t.peer} enters ${t.state} of round ≥ ${t.round}`);
  const out: string[] = [`heal when a peer starts round ${s.healRound} (at the latest ${s.healCapMs} ms)`];
  if (s.filter) {
    const f = s.filter;
    out.push(`filter: drop ${pct(f.dropP)}, duplicate ${pct(f.duplicateP)}, delay ${pct(f.delayP)} up to ${Math.round(f.delayMaxMs)} ms`);
  }
  for (const n of s.net) {
    if (n.kind === "partition") out.push(`partition (${n.shape}) [${n.a.join(",")}] | [${n.b.join(",")}] for ${Math.round(n.forMs)} ms, ${at(n.at)}`);
    else out.push(`clog ${n.links.map(([a, b]) => `${a}→${b}`).join(" ")} every ${Math.round(n.stepMs)} ms, hold ${Math.round(n.holdMs)} ms, ${at(n.at)}`);
  }
  for (const p of s.peers) {
    const extra = p.kind === "crash" ? (p.hard ? " (hard)" : "") : p.kind === "restart" ? `, back in ${Math.round(p.downMs)} ms` : "";
    out.push(`${p.kind} ${p.peer}${extra}, ${at(p.at)}`);
  }
  for (const [name, o] of Object.entries(s.plugins)) if (o) out.push(`${name}(${JSON.stringify(o)})`);
  return out;
}

function pct(p: number): string {
  return `${(p * 100).toFixed(1)}%`;
}
