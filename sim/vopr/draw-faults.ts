/**
 * Draws a run's fault schedule from the seed: frame loss, duplication and delay spikes, partitions (halves, one
 * peer isolated, a bridge between two halves), links clogged one by one and restored in random order, crashes and
 * restarts in any machine state, graceful leaves, corrupt pieces and Byzantine updates.
 */
import { crashStates } from "../../plugins/faults/crash.ts";
import type { ByzantineAttack } from "../../plugins/faults/byzantine.ts";
import type { Graph } from "../../plugins/topology/types.ts";
import type { Rng } from "../../runtime/rng.ts";
import { machineStates, type FilterPlan, type NetFault, type PartitionShape, type PeerFault, type PluginFaults, type Schedule, type Trigger } from "./schedule.ts";

/** The safety phase ends by this clock time even if no peer reaches the heal round (every peer stuck or gone). */
export const healCapMs = 60_000;

/** Network faults (partitions, clog storms) per run: 0 … this. */
const netFaultsMax = 8;
/** Peer faults of the vopr plugin (crash, restart, leave in any state) per run: 0 … this. */
const peerFaultsMax = 4;
/** Links clogged by one clog storm. */
const clogLinksMax = 6;
/** Time-triggered faults fire in the first this-many ms (admission, connect, round 0 on fast devices). */
const earlyWindowMs = 3000;

const attacks: readonly ByzantineAttack[] = ["signFlip", "scale", "noise"];

export function drawSchedule(rng: Rng, ids: readonly string[], graph: Graph, healRound: number): Schedule {
  const n = ids.length;
  const trigger = (r: Rng, states: readonly (typeof machineStates)[number][] = ["connect", "train", "score", "swarm", "aggregate"]): Trigger =>
    r.bool(0.35) ? { atMs: r.range(0, earlyWindowMs) } : { peer: r.pick(ids), state: r.pick(states), round: r.int(healRound), afterMs: r.range(0, 200) };

  const fr = rng.split("filter");
  let filter: FilterPlan | undefined;
  if (fr.bool(0.6)) {
    filter = {
      dropP: fr.bool(0.5) ? fr.range(0.002, 0.1) : 0,
      duplicateP: fr.bool(0.4) ? fr.range(0.002, 0.05) : 0,
      delayP: fr.bool(0.6) ? fr.range(0.01, 0.3) : 0,
      delayMaxMs: fr.range(20, 2000),
    };
  }

  const nr = rng.split("net");
  const net: NetFault[] = [];
  const edges = directedEdges(graph);
  for (let i = nr.int(netFaultsMax + 1); i > 0; i--) {
    if (nr.bool(0.6) || edges.length === 0) {
      const { shape, a, b } = drawPartition(nr, ids);
      net.push({ kind: "partition", shape, a, b, at: trigger(nr), forMs: nr.range(100, 15000) });
    } else {
      const links = nr.shuffle([...edges]).slice(0, 1 + nr.int(Math.min(clogLinksMax, edges.length)));
      const unclogOrder = nr.shuffle(links.map((_, j) => j));
      net.push({ kind: "clog", links, stepMs: nr.range(10, 400), holdMs: nr.range(100, 4000), unclogOrder, at: trigger(nr) });
    }
  }

  // Peer faults hit distinct peers, and at least two peers are never their target.
  const pr = rng.split("peers");
  const peers: PeerFault[] = [];
  const targets = pr.shuffle([...ids]).slice(0, Math.max(0, Math.min(peerFaultsMax, n - 2)));
  for (const peer of targets.slice(0, pr.int(targets.length + 1))) {
    const state = pr.pick(machineStates);
    // A peer is in `join` and `connect` in round 0 only (a restarted process starts there again).
    const round = state === "join" || state === "connect" ? 0 : pr.int(healRound);
    const at: Trigger = { peer, state, round, afterMs: pr.bool(0.5) ? 0 : pr.range(0, 150) };
    const k = pr.next();
    if (k < 0.5) peers.push({ kind: "restart", peer, at, downMs: pr.range(0, 3000) });
    else if (k < 0.85) peers.push({ kind: "crash", peer, at, hard: pr.bool() });
    else peers.push({ kind: "leave", peer, at });
  }

  // Stock plugins: each picks its own peers from its own stream; fractions stay small so most peers stay honest.
  const gr = rng.split("plugins");
  const some = (maxShare: number) => (1 + gr.int(Math.max(1, Math.floor(n * maxShare)))) / n;
  const plugins: PluginFaults = {};
  if (gr.bool(0.25) && n >= 4) plugins.crash = { fraction: some(0.2), atRound: gr.int(healRound), inState: gr.pick(crashStates) };
  if (gr.bool(0.25) && n >= 4) plugins.restart = { fraction: some(0.2), atRound: gr.int(healRound), downMs: gr.range(0, 4000) };
  if (gr.bool(0.3)) plugins.corrupt = { fraction: some(0.3), probability: gr.range(0.05, 0.6) };
  if (gr.bool(0.25)) plugins.byzantine = { fraction: some(0.25), attack: gr.pick(attacks) };

  return { healRound, healCapMs, filter, net, peers, plugins };
}

function drawPartition(r: Rng, ids: readonly string[]): { shape: PartitionShape; a: string[]; b: string[] } {
  const shuffled = r.shuffle([...ids]);
  const shapes: PartitionShape[] = ids.length >= 3 ? ["halves", "isolate", "bridge"] : ["halves", "isolate"];
  const shape = r.pick(shapes);
  const sorted = (xs: string[]) => xs.sort();
  if (shape === "isolate") return { shape, a: shuffled.slice(0, 1), b: sorted(shuffled.slice(1)) };
  // A bridge peer stays in neither side: it keeps its links to both while they are cut from each other.
  const rest = shape === "bridge" ? shuffled.slice(1) : shuffled;
  const cutAt = 1 + r.int(rest.length - 1);
  return { shape, a: sorted(rest.slice(0, cutAt)), b: sorted(rest.slice(cutAt)) };
}

/** Every directed link of the topology (a → b and b → a), in roster order. */
function directedEdges(graph: Graph): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [a, ns] of graph) for (const b of ns) out.push([a, b]);
  return out;
}
