/**
 * The topology compliance suite (STYLE 7): what every topology plugin promises, whatever its shape. A plugin's
 * tests start with `topologyCompliance(...)`, then test its own properties; `checkTopology` is the per-graph
 * check, for tests that build their own rosters.
 */
import { describe, expect, test } from "bun:test";
import { describePlugin, isPlugin, pluginKinds, type PluginFactory } from "../../plugins/plugin.ts";
import type { Graph, TopologyFactory } from "../../plugins/topology/types.ts";
import { SeededRng } from "../../runtime/rng.ts";

/** Roster sizes the suite builds over: degenerate, tiny, odd, and scenario-sized. */
export const defaultSizes: readonly number[] = [1, 2, 3, 5, 16, 64, 100];
export const defaultSeeds: readonly number[] = [1, 2, 3];

/** Violations listed per graph before the rest are counted: enough to see the pattern, short enough to read. */
const violationsShownMax = 20;

/** Ids "p000" … in roster order. */
export const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${String(i).padStart(3, "0")}`);

/** `ids(n)` in a scrambled (but fixed) order, so a plugin that sorts ids instead of following the roster shows. */
export const scrambledRoster = (n: number): string[] => new SeededRng(`roster-${n}`).shuffle(ids(n));

export interface TopologyPromise {
  /** The graph is one component. Every shipped topology promises it unless told otherwise. @default true */
  connected?: boolean;
}

/**
 * Every broken rule of the graph contract, one line each ("p003 lists itself"); empty when `graph` keeps it:
 * an entry for every roster peer and none else, neighbour lists of distinct roster ids, never self, symmetric,
 * and (when promised) connected.
 */
export function graphViolations(graph: unknown, peers: readonly string[], promise: TopologyPromise = {}): string[] {
  if (!(graph instanceof Map)) return [`build returned ${String(graph)}, not a Map`];
  const roster = new Set(peers);
  const out: string[] = [];
  for (const p of peers) if (!graph.has(p)) out.push(`no entry for ${p}`);
  for (const [p, ns] of graph as Map<unknown, unknown>) {
    if (typeof p !== "string" || !roster.has(p)) out.push(`an entry for ${String(p)}, who is not in the roster`);
    if (!Array.isArray(ns)) {
      out.push(`${String(p)}'s neighbours are ${String(ns)}, not an array`);
      continue;
    }
    const seen = new Set<unknown>();
    for (const q of ns) {
      if (typeof q !== "string") out.push(`${String(p)} lists ${String(q)}, which is not a peer id`);
      else if (q === p) out.push(`${p} lists itself`);
      else if (seen.has(q)) out.push(`${String(p)} lists ${q} twice`);
      else if (!roster.has(q)) out.push(`${String(p)} lists ${q}, who is not in the roster`);
      else if (!(graph.get(q) as unknown[] | undefined)?.includes(p)) out.push(`${String(p)} lists ${q} but ${q} does not list ${String(p)}`);
      seen.add(q);
    }
  }
  if ((promise.connected ?? true) && out.length === 0) {
    const sizes = componentSizes(graph as Graph, peers);
    if (sizes.length > 1) out.push(`disconnected: components of sizes ${sizes.join(", ")}`);
  }
  return out.length > violationsShownMax ? [...out.slice(0, violationsShownMax), `… and ${out.length - violationsShownMax} more`] : out;
}

/**
 * Builds over `peers` (frozen, so a plugin that sorts or edits the roster in place fails) from a fresh
 * `SeededRng(seed)`, expects no contract violations, and expects a second fresh plugin on the same seed to build
 * an equal graph. Returns the graph for further checks.
 */
export function checkTopology(factory: TopologyFactory, peers: readonly string[], seed = 1, promise: TopologyPromise = {}): Graph {
  const roster = Object.freeze([...peers]);
  const graph = factory({ rng: new SeededRng(seed) }).build(roster);
  expect(graphViolations(graph, roster, promise).map((v) => `seed ${seed}: ${v}`)).toEqual([]);
  expect(factory({ rng: new SeededRng(seed) }).build(roster)).toEqual(graph);
  return graph;
}

export interface TopologySuiteOptions extends TopologyPromise {
  /** @default defaultSizes */
  sizes?: readonly number[];
  /** @default defaultSeeds */
  seeds?: readonly number[];
}

/**
 * Registers the compliance tests for one topology configuration. `make` gets the roster first, since some
 * plugins' options depend on it (custom's adjacency, star's hub); most ignore it.
 */
export function topologyCompliance(label: string, make: (peers: readonly string[]) => PluginFactory<"topology">, opts: TopologySuiteOptions = {}): void {
  const sizes = opts.sizes ?? defaultSizes;
  const seeds = opts.seeds ?? defaultSeeds;
  describe(`${label}: topology compliance`, () => {
    test("is a branded topology factory; its plugin carries the same non-empty name", () => {
      const factory = make(scrambledRoster(3));
      expect(isPlugin(factory, "topology")).toBe(true);
      for (const kind of pluginKinds) expect(isPlugin(factory, kind)).toBe(kind === "topology");
      expect(typeof factory.pluginName).toBe("string");
      expect(factory.pluginName.length).toBeGreaterThan(0);
      expect(describePlugin(factory).startsWith(`${factory.pluginName}(`)).toBe(true);
      expect(factory({ rng: new SeededRng(1) }).name).toBe(factory.pluginName);
    });

    for (const n of sizes) {
      test(`${n} peers, seeds ${seeds.join(", ")}: an entry per peer, no self loops, duplicates or strangers, symmetric, ${
        (opts.connected ?? true) ? "connected, " : ""
      }the same graph from the same seed`, () => {
        const peers = scrambledRoster(n);
        for (const seed of seeds) checkTopology(make(peers), peers, seed, opts);
      });
    }
  });
}

function componentSizes(graph: Graph, peers: readonly string[]): number[] {
  const seen = new Set<string>();
  const sizes: number[] = [];
  for (const start of peers) {
    if (seen.has(start)) continue;
    const queue = [start];
    seen.add(start);
    for (let i = 0; i < queue.length; i++) for (const q of graph.get(queue[i]!) ?? []) if (!seen.has(q)) (seen.add(q), queue.push(q));
    sizes.push(queue.length);
  }
  return sizes;
}
