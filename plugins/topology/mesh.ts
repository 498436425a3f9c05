import type { Rng } from "../../runtime/rng.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import { isConnected, type Graph } from "./types.ts";

export interface MeshOptions {
  /** Neighbours per peer (random regular graph). Must be even or the peer count even; capped at peers − 1. @default 6 */
  degree?: number;
}

/**
 * mesh({ degree }): a connected random regular graph, drawn from the seed. Built as a ring lattice (connected by
 * construction) then randomised with degree-preserving double-edge swaps that keep it connected.
 */
export function mesh(opts: MeshOptions = {}): PluginFactory<"topology"> {
  const degree = opts.degree ?? 6;
  if (!Number.isInteger(degree) || degree < 1) throw new Error(`mesh.degree: expected a positive integer, got ${degree}`);
  return brand("topology", "mesh", { degree }, ({ rng }) => ({
    name: "mesh",
    build: (peers) => randomRegular(peers, Math.min(degree, peers.length - 1), rng),
  }));
}

export function randomRegular(peers: readonly string[], degree: number, rng: Rng): Graph {
  const n = peers.length;
  if (n <= 1) return new Map(peers.map((p) => [p, []]));
  if ((n * degree) % 2 !== 0) throw new Error(`mesh: ${n} peers × degree ${degree} is odd; no regular graph exists`);
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number) => (adj[a]!.add(b), adj[b]!.add(a));
  for (let i = 0; i < n; i++) for (let k = 1; k <= degree >> 1; k++) link(i, (i + k) % n);
  if (degree % 2 === 1) for (let i = 0; i < n / 2; i++) link(i, i + n / 2);
  const edges = (): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (let a = 0; a < n; a++) for (const b of adj[a]!) if (a < b) out.push([a, b]);
    return out;
  };
  const swaps = n * degree * 2;
  for (let s = 0; s < swaps; s++) {
    const es = edges();
    const [a, b] = rng.pick(es);
    const [c, d] = rng.pick(es);
    if (new Set([a, b, c, d]).size < 4 || adj[a]!.has(d) || adj[c]!.has(b)) continue;
    adj[a]!.delete(b), adj[b]!.delete(a), adj[c]!.delete(d), adj[d]!.delete(c);
    link(a, d), link(c, b);
    if (!isConnected(toGraph(adj, peers), peers)) {
      adj[a]!.delete(d), adj[d]!.delete(a), adj[c]!.delete(b), adj[b]!.delete(c);
      link(a, b), link(c, d);
    }
  }
  return toGraph(adj, peers);
}

function toGraph(adj: Set<number>[], peers: readonly string[]): Graph {
  return new Map(peers.map((p, i) => [p, [...adj[i]!].sort((x, y) => x - y).map((j) => peers[j]!)]));
}
