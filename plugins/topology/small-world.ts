import type { Rng } from "../../runtime/rng.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import type { Graph } from "./types.ts";

export interface SmallWorldOptions {
  /** Neighbours per peer in the starting ring lattice (k/2 each side). Even, ≥ 2; capped at peers − 1 like ring. @default 4 */
  k?: number;
  /** Probability that each lattice edge is rewired to a random peer, in [0, 1]: 0 is ring({ degree: k }). @default 0.1 */
  beta?: number;
}

/**
 * smallWorld({ k, beta }): Watts–Strogatz. Starts from the ring lattice of degree k, then visits its edges
 * (i, i+d) for d = 1 … k/2, i in roster order, and with probability beta moves the far end to a peer drawn from
 * the seed among those i is not yet linked to. No self loops or duplicates by construction; a move that would
 * disconnect the graph is undone. Each move keeps the edge count, so the degree sum stays N·k (for N > k).
 */
export function smallWorld(opts: SmallWorldOptions = {}): PluginFactory<"topology"> {
  const k = opts.k ?? 4;
  const beta = opts.beta ?? 0.1;
  if (!Number.isSafeInteger(k) || k < 2 || k % 2 !== 0) throw new Error(`smallWorld.k: expected an even integer ≥ 2, got ${String(k)}`);
  if (typeof beta !== "number" || !(beta >= 0 && beta <= 1)) throw new Error(`smallWorld.beta: expected a number in [0, 1], got ${String(beta)}`);
  return brand("topology", "smallWorld", { k, beta }, ({ rng }) => ({
    name: "smallWorld",
    build: (peers) => wattsStrogatz(peers, k, beta, rng),
  }));
}

export function wattsStrogatz(peers: readonly string[], k: number, beta: number, rng: Rng): Graph {
  const n = peers.length;
  const reach = Math.min(k / 2, Math.floor(n / 2));
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number) => (adj[a]!.add(b), adj[b]!.add(a));
  const unlink = (a: number, b: number) => (adj[a]!.delete(b), adj[b]!.delete(a));
  for (let i = 0; i < n; i++) for (let d = 1; d <= reach; d++) link(i, (i + d) % n);
  for (let d = 1; d <= reach; d++) {
    for (let i = 0; i < n; i++) {
      const j = (i + d) % n;
      if (!adj[i]!.has(j) || !rng.bool(beta)) continue;
      const free: number[] = [];
      for (let w = 0; w < n; w++) if (w !== i && !adj[i]!.has(w)) free.push(w);
      if (free.length === 0) continue;
      const w = rng.pick(free);
      unlink(i, j);
      link(i, w);
      // The graph was connected, so dropping (i, j) leaves at most i's side and j's side: still one iff j is reachable.
      if (!reachable(adj, i, j)) (unlink(i, w), link(i, j));
    }
  }
  return new Map(peers.map((id, i) => [id, [...adj[i]!].sort((x, y) => x - y).map((j) => peers[j]!)]));
}

function reachable(adj: readonly Set<number>[], from: number, to: number): boolean {
  const seen = new Set([from]);
  const queue = [from];
  for (let q = 0; q < queue.length; q++) {
    for (const v of adj[queue[q]!]!) {
      if (v === to) return true;
      if (!seen.has(v)) (seen.add(v), queue.push(v));
    }
  }
  return from === to;
}
