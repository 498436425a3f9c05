import { brand, type PluginFactory } from "../plugin.ts";
import type { Graph } from "./types.ts";

export interface RingOptions {
  /**
   * Neighbours per peer: degree/2 on each side of a ring in peer order. Even, ≥ 2; with few peers it is capped
   * at peers − 1 (every peer then sees every other). @default 2
   */
  degree?: number;
}

/**
 * ring({ degree }): a ring lattice in peer order, peer i linked to i±1 … i±degree/2. Needs no randomness, so the
 * same peer list always gives the same graph; connected for any degree ≥ 2. The worst case for spreading
 * (diameter ≈ N/degree), which is what makes it a useful baseline against mesh.
 */
export function ring(opts: RingOptions = {}): PluginFactory<"topology"> {
  const degree = opts.degree ?? 2;
  if (!Number.isInteger(degree) || degree < 2 || degree % 2 !== 0) {
    throw new Error(`ring.degree: expected an even integer ≥ 2, got ${String(degree)}`);
  }
  return brand("topology", "ring", { degree }, () => ({
    name: "ring",
    build: (peers) => ringLattice(peers, degree / 2),
  }));
}

/** Peer i's neighbours are the peers at ring distance 1..reach, in peer order; reach is capped at ⌊N/2⌋. */
export function ringLattice(peers: readonly string[], reach: number): Graph {
  const n = peers.length;
  const k = Math.min(reach, Math.floor(n / 2));
  const graph: Graph = new Map();
  for (let i = 0; i < n; i++) {
    const near = new Set<number>();
    for (let d = 1; d <= k; d++) near.add((i + d) % n).add((i - d + n) % n);
    near.delete(i);
    graph.set(peers[i]!, [...near].sort((a, b) => a - b).map((j) => peers[j]!));
  }
  return graph;
}
