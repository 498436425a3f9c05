import type { Rng } from "../../runtime/rng.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import type { Graph } from "./types.ts";
import { componentsOf } from "./validate.ts";

export interface ErdosRenyiOptions {
  /** Probability that each pair of peers is linked, in [0, 1]. Expect p·N(N−1)/2 edges; ln(N)/N is about where G(N, p) turns connected. */
  p: number;
  /**
   * Join the components G(N, p) leaves with the fewest edges (components − 1), so aggregation scope "all" can
   * reach everyone. Turn off only to study a partitioned swarm. @default true
   */
  connected?: boolean;
}

/**
 * erdosRenyi({ p, connected }): the random graph G(N, p) drawn from the seed, each pair tested once in roster
 * order. When `connected`, each further component is then joined by one edge from a random member of it to a
 * random peer of the components before it, also drawn from the seed.
 */
export function erdosRenyi(opts: ErdosRenyiOptions): PluginFactory<"topology"> {
  const { p } = opts;
  const connected = opts.connected ?? true;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`erdosRenyi.p: expected a number in [0, 1], got ${String(p)}`);
  if (typeof connected !== "boolean") throw new Error(`erdosRenyi.connected: expected a boolean, got ${JSON.stringify(connected)}`);
  return brand("topology", "erdosRenyi", { p, connected }, ({ rng }) => ({
    name: "erdosRenyi",
    build: (peers) => gnp(peers, p, connected, rng),
  }));
}

export function gnp(peers: readonly string[], p: number, connected: boolean, rng: Rng): Graph {
  const n = peers.length;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number) => (adj[a]!.add(b), adj[b]!.add(a));
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (rng.next() < p) link(a, b);
  if (!connected) return toGraph(adj, peers);
  const rank = new Map(peers.map((id, i) => [id, i]));
  const components = componentsOf(toGraph(adj, peers), peers).map((c) => c.map((id) => rank.get(id)!));
  const joined: number[] = [...(components[0] ?? [])];
  for (const component of components.slice(1)) {
    link(rng.pick(component), rng.pick(joined));
    joined.push(...component);
  }
  return toGraph(adj, peers);
}

function toGraph(adj: readonly Set<number>[], peers: readonly string[]): Graph {
  return new Map(peers.map((id, i) => [id, [...adj[i]!].sort((x, y) => x - y).map((j) => peers[j]!)]));
}
