import { brand, type PluginFactory } from "../plugin.ts";
import type { Graph } from "./types.ts";
import { checkStructure, componentsOf, describeComponents, listPeers, validateGraph } from "./validate.ts";

export interface CustomOptions {
  /**
   * Each peer's neighbours, written out by the scenario: `{ a: ["b"], b: ["a", "c"], c: ["b"] }`. Edges are
   * undirected, so if a lists b then b lists a; no self loops, no neighbour twice. Every roster peer needs an
   * entry and the graph must be connected (both checked when it is built, against the roster).
   */
  adjacency: Readonly<Record<string, readonly string[]>>;
}

/**
 * custom({ adjacency }): exactly the graph the scenario wrote, neighbours in the order written. The shape and
 * the roster-free rules (self loops, duplicates, symmetry) are checked when the factory is called; unknown ids,
 * roster peers without an entry and disconnection are checked by `build`, which is when the roster is known.
 */
export function custom(opts: CustomOptions): PluginFactory<"topology"> {
  const adjacency = readAdjacency((opts as Partial<CustomOptions> | undefined)?.adjacency);
  checkStructure(adjacency, "custom.adjacency");
  const options = { adjacency: Object.fromEntries([...adjacency].map(([p, ns]) => [p, [...ns]])) };
  return brand("topology", "custom", options, () => ({
    name: "custom",
    build: (peers) => customGraph(adjacency, peers),
  }));
}

function customGraph(adjacency: ReadonlyMap<string, readonly string[]>, peers: readonly string[]): Graph {
  const roster = new Set(peers);
  const unknown = [...adjacency.keys()].filter((p) => !roster.has(p));
  if (unknown.length > 0) {
    throw new Error(`custom.adjacency: ${unknown.length === 1 ? "1 peer is" : `${unknown.length} peers are`} not in the roster: ${listPeers(unknown)}`);
  }
  const graph: Graph = new Map(peers.map((p) => [p, [...(adjacency.get(p) ?? [])]]));
  const missing = peers.filter((p) => !adjacency.has(p));
  const components = componentsOf(graph, peers);
  if (missing.length > 0 && components.length > 1) {
    throw new Error(
      `custom.adjacency: the graph is disconnected: ${describeComponents(components)}; ` +
        `no entry (so no neighbours) for ${listPeers(missing)}`,
    );
  }
  validateGraph(graph, peers, { requireConnected: true, label: "custom.adjacency" });
  return graph;
}

/** The adjacency as a Map (own keys only, so ids such as "toString" are plain ids), copied so later edits to the scenario object do not leak in. */
function readAdjacency(value: unknown): Map<string, string[]> {
  if (typeof value !== "object" || value === null || ![Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    throw new Error(`custom.adjacency: expected an object mapping each peer id to an array of peer ids, got ${describe(value)}`);
  }
  const out = new Map<string, string[]>();
  for (const [p, ns] of Object.entries(value)) {
    if (p === "") throw new Error(`custom.adjacency: a peer id is the empty string`);
    if (!Array.isArray(ns)) throw new Error(`custom.adjacency[${JSON.stringify(p)}]: expected an array of peer ids, got ${describe(ns)}`);
    ns.forEach((q: unknown, i) => {
      if (typeof q !== "string" || q === "") throw new Error(`custom.adjacency[${JSON.stringify(p)}][${i}]: expected a peer id (a non-empty string), got ${describe(q)}`);
    });
    out.set(p, [...(ns as string[])]);
  }
  return out;
}

const describe = (v: unknown): string => {
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object" && v !== null && ![Object.prototype, null].includes(Object.getPrototypeOf(v))) return `a ${v.constructor?.name ?? "class instance"}`;
  return JSON.stringify(v) ?? String(v);
};
