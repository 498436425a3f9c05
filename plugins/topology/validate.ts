/** A graph as validation reads it; every `Graph` is one. */
export type GraphLike = ReadonlyMap<string, readonly string[]>;

/** Peer ids named in one error message before "… and N more": keeps a 1000-peer error on one readable line. */
export const namesShownMax = 8;

export interface ValidateGraphOptions {
  /** Also require one component (aggregation scope "all" needs every update to reach every peer). */
  requireConnected: boolean;
  /** Prefix of every message, naming where the graph came from, e.g. "custom.adjacency". @default "topology" */
  label?: string;
}

/**
 * Checks `graph` against the topology contract over `peers` and throws an `Error` naming the peers involved at
 * the first broken rule: each roster id once; no ids outside the roster; an entry for every roster peer; then
 * the roster-free rules of `checkStructure`; then, when asked, connectivity (the message gives the sizes of the
 * components and the peers cut off from the first peer's).
 */
export function validateGraph(graph: GraphLike, peers: readonly string[], opts: ValidateGraphOptions): void {
  const label = opts.label ?? "topology";
  const roster = new Set<string>();
  for (const p of peers) {
    if (roster.has(p)) throw new Error(`${label}: the roster lists ${show(p)} twice`);
    roster.add(p);
  }
  const unknown = [...graph.keys()].filter((p) => !roster.has(p));
  if (unknown.length > 0) throw new Error(`${label}: ${count(unknown, "peer")} not in the roster: ${listPeers(unknown)}`);
  for (const [p, ns] of graph) {
    const stranger = ns.find((q) => !roster.has(q));
    if (stranger !== undefined) throw new Error(`${label}: ${show(p)} lists ${show(stranger)}, who is not in the roster`);
  }
  const missing = peers.filter((p) => !graph.has(p));
  if (missing.length > 0) throw new Error(`${label}: no entry for ${count(missing, "roster peer")}: ${listPeers(missing)}`);
  checkStructure(graph, label);
  if (opts.requireConnected) {
    const components = componentsOf(graph, peers);
    if (components.length > 1) throw new Error(`${label}: the graph is disconnected: ${describeComponents(components)}`);
  }
}

/**
 * The rules that need no roster: no self loops, no neighbour listed twice, and undirected edges (if a lists b,
 * b has an entry and lists a). Throws at the first break, naming both peers.
 */
export function checkStructure(graph: GraphLike, label: string): void {
  for (const [p, ns] of graph) {
    if (ns.includes(p)) throw new Error(`${label}: ${show(p)} lists itself as a neighbour`);
    const seen = new Set<string>();
    for (const q of ns) {
      if (seen.has(q)) throw new Error(`${label}: ${show(p)} lists ${show(q)} twice`);
      seen.add(q);
    }
  }
  for (const [p, ns] of graph) {
    for (const q of ns) {
      const back = graph.get(q);
      if (back === undefined) throw new Error(`${label}: ${show(p)} lists ${show(q)}, which has no entry (edges are undirected: list each on both sides)`);
      if (!back.includes(p)) throw new Error(`${label}: ${show(p)} lists ${show(q)} but ${show(q)} does not list ${show(p)} (edges are undirected)`);
    }
  }
}

/** Connected components over `peers`, the first holding `peers[0]`, each in roster order. Ids outside the roster are ignored. */
export function componentsOf(graph: GraphLike, peers: readonly string[]): string[][] {
  const rank = new Map(peers.map((p, i) => [p, i]));
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const start of peers) {
    if (seen.has(start)) continue;
    const component = [start];
    seen.add(start);
    for (let i = 0; i < component.length; i++) {
      for (const q of graph.get(component[i]!) ?? []) {
        if (rank.has(q) && !seen.has(q)) (seen.add(q), component.push(q));
      }
    }
    out.push(component.sort((a, b) => rank.get(a)! - rank.get(b)!));
  }
  return out;
}

/** "3 components of sizes 5, 1, 1; cut off from "p000": {"p005"}, {"p006"}" */
export function describeComponents(components: readonly (readonly string[])[]): string {
  const sizes = components.map((c) => c.length);
  const shown = components.slice(1, 1 + namesShownMax).map((c) => `{${listPeers(c)}}`);
  const more = components.length - 1 - shown.length;
  const first = components[0]?.[0];
  return (
    `${components.length} components of sizes ${sizes.join(", ")}` +
    (first === undefined || shown.length === 0 ? "" : `; cut off from ${show(first)}: ${shown.join(", ")}${more > 0 ? `, … and ${more} more` : ""}`)
  );
}

/** `"a", "b", … and 3 more`: at most `max` ids, quoted so odd ids stay readable. */
export function listPeers(ids: readonly string[], max = namesShownMax): string {
  const shown = ids.slice(0, max).map(show).join(", ");
  return ids.length > max ? `${shown}, … and ${ids.length - max} more` : shown;
}

const show = (id: string): string => JSON.stringify(id);
const count = (ids: readonly unknown[], noun: string): string => `${ids.length} ${noun}${ids.length === 1 ? "" : "s"}`;
