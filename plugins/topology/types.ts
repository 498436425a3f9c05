import type { Rng } from "../../runtime/rng.ts";

/** Undirected neighbour lists: `graph.get(a)` includes b iff `graph.get(b)` includes a. Never includes self. */
export type Graph = Map<string, string[]>;

export interface TopologyPlugin {
  readonly name: string;
  /** Neighbours for every peer id, in a deterministic order. */
  build(peers: readonly string[]): Graph;
}

/** Narrow dependencies a topology gets (second stage of the two-stage factory). */
export interface TopologyDeps {
  rng: Rng;
}

export type TopologyFactory = (deps: TopologyDeps) => TopologyPlugin;

/** Edges (a, b) with a before b in `peers` order: who dials whom. */
export function edgesOf(graph: Graph, peers: readonly string[]): Array<[string, string]> {
  const rank = new Map(peers.map((p, i) => [p, i]));
  const out: Array<[string, string]> = [];
  for (const a of peers) for (const b of graph.get(a) ?? []) if (rank.get(a)! < rank.get(b)!) out.push([a, b]);
  return out;
}

export function isConnected(graph: Graph, peers: readonly string[]): boolean {
  if (peers.length === 0) return true;
  const seen = new Set<string>([peers[0]!]);
  const stack = [peers[0]!];
  while (stack.length) for (const n of graph.get(stack.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), stack.push(n));
  return seen.size === peers.length;
}
