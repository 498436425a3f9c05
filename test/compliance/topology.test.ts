import { describe, expect, test } from "bun:test";
import { describePlugin } from "../../plugins/plugin.ts";
import {
  componentsOf,
  custom,
  edgesOf,
  erdosRenyi,
  full,
  listPeers,
  mesh,
  ring,
  smallWorld,
  star,
  tree,
  validateGraph,
  type Graph,
  type TopologyFactory,
} from "../../plugins/topology/index.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { checkTopology, ids, scrambledRoster, topologyCompliance } from "./topology-suite.ts";

const build = (factory: TopologyFactory, peers: readonly string[], seed = 1): Graph => factory({ rng: new SeededRng(seed) }).build(peers);
const degrees = (graph: Graph): number[] => [...graph.values()].map((ns) => ns.length);
const edgeCount = (graph: Graph): number => degrees(graph).reduce((a, b) => a + b, 0) / 2;
const edgeKeys = (graph: Graph, peers: readonly string[]): Set<string> => new Set(edgesOf(graph, peers).map(([a, b]) => `${a}-${b}`));

/** Breadth-first distance from `root` to every peer. */
function depths(graph: Graph, root: string): Map<string, number> {
  const out = new Map([[root, 0]]);
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i]!;
    for (const q of graph.get(p)!) if (!out.has(q)) (out.set(q, out.get(p)! + 1), queue.push(q));
  }
  return out;
}

/** A connected symmetric adjacency for any roster: a ring in roster order plus chords drawn from a fixed seed. */
function adjacencyFor(peers: readonly string[]): Record<string, string[]> {
  const rng = new SeededRng(`custom-${peers.length}`);
  const sets = new Map(peers.map((p) => [p, new Set<string>()]));
  const link = (a: string, b: string) => a !== b && (sets.get(a)!.add(b), sets.get(b)!.add(a));
  peers.forEach((p, i) => link(p, peers[(i + 1) % peers.length]!));
  for (let c = 0; c < peers.length / 2; c++) link(rng.pick(peers), rng.pick(peers));
  return Object.fromEntries([...sets].map(([p, s]) => [p, [...s]]));
}

describe("compliance of every shipped topology", () => {
  topologyCompliance("mesh()", () => mesh());
  topologyCompliance("mesh({ degree: 4 })", () => mesh({ degree: 4 }));
  topologyCompliance("ring()", () => ring());
  topologyCompliance("ring({ degree: 6 })", () => ring({ degree: 6 }));
  topologyCompliance("full()", () => full());
  topologyCompliance("star()", () => star());
  topologyCompliance("star({ hub: last peer })", (peers) => star(peers.length > 0 ? { hub: peers[peers.length - 1]! } : {}));
  topologyCompliance("tree()", () => tree());
  topologyCompliance("tree({ branching: 1 })", () => tree({ branching: 1 }));
  topologyCompliance("tree({ branching: 3 })", () => tree({ branching: 3 }));
  topologyCompliance("erdosRenyi({ p: 0.1 })", () => erdosRenyi({ p: 0.1 }));
  topologyCompliance("erdosRenyi({ p: 0 })", () => erdosRenyi({ p: 0 }));
  topologyCompliance("erdosRenyi({ p: 1 })", () => erdosRenyi({ p: 1 }));
  topologyCompliance("erdosRenyi({ p: 0.05, connected: false })", () => erdosRenyi({ p: 0.05, connected: false }), { connected: false });
  topologyCompliance("smallWorld()", () => smallWorld());
  topologyCompliance("smallWorld({ k: 2, beta: 1 })", () => smallWorld({ k: 2, beta: 1 }));
  topologyCompliance("smallWorld({ k: 6, beta: 0.5 })", () => smallWorld({ k: 6, beta: 0.5 }));
  topologyCompliance("custom({ adjacency })", (peers) => custom({ adjacency: adjacencyFor(peers) }));
});

describe("star", () => {
  test("the first peer is the hub by default; everyone else links only to it", () => {
    const peers = scrambledRoster(9);
    const graph = checkTopology(star(), peers);
    expect(graph.get(peers[0]!)).toEqual(peers.slice(1));
    for (const p of peers.slice(1)) expect(graph.get(p)).toEqual([peers[0]!]);
    expect(edgeCount(graph)).toBe(8);
  });

  test("a given hub is used, and the graph does not depend on the seed", () => {
    const graph = checkTopology(star({ hub: "p003" }), ids(5));
    expect(graph).toEqual(
      new Map([
        ["p000", ["p003"]],
        ["p001", ["p003"]],
        ["p002", ["p003"]],
        ["p003", ["p000", "p001", "p002", "p004"]],
        ["p004", ["p003"]],
      ]),
    );
    expect(build(star({ hub: "p003" }), ids(5), 77)).toEqual(graph);
  });

  test("a hub outside the roster fails at build, naming it; a bad hub option fails at the call", () => {
    expect(() => build(star({ hub: "p9" }), ids(3))).toThrow('star.hub: "p9" is not in the roster of 3 peers ("p000", "p001", "p002")');
    expect(() => build(star({ hub: "p9" }), [])).toThrow('star.hub: "p9" is not in the roster of 0 peers');
    expect(build(star(), [])).toEqual(new Map());
    expect(() => star({ hub: "" })).toThrow('star.hub: expected a peer id (a non-empty string), got ""');
    expect(() => star({ hub: 3 as unknown as string })).toThrow("star.hub: expected a peer id (a non-empty string), got 3");
  });
});

describe("tree", () => {
  test("a balanced binary tree in roster order by default", () => {
    expect(checkTopology(tree(), ids(6))).toEqual(
      new Map([
        ["p000", ["p001", "p002"]],
        ["p001", ["p000", "p003", "p004"]],
        ["p002", ["p000", "p005"]],
        ["p003", ["p001"]],
        ["p004", ["p001"]],
        ["p005", ["p002"]],
      ]),
    );
  });

  test("N − 1 edges; root is the first peer; at most `branching` children; depth is the least d with 1 + b + … + b^d ≥ N; leaves on the last two levels", () => {
    for (const branching of [1, 2, 3, 5]) {
      for (const n of [1, 2, 3, 4, 7, 13, 40, 100]) {
        const peers = scrambledRoster(n);
        const graph = checkTopology(tree({ branching }), peers);
        expect(edgeCount(graph)).toBe(n - 1);
        const level = depths(graph, peers[0]!);
        let expected = 0;
        for (let capacity = 1, width = 1; capacity < n; expected++) {
          width *= branching;
          capacity += width;
        }
        const depth = Math.max(...level.values());
        expect([branching, n, depth]).toEqual([branching, n, expected]);
        for (const [p, ns] of graph) {
          const children = ns.filter((q) => level.get(q)! > level.get(p)!);
          expect(children.length).toBeLessThanOrEqual(branching);
          if (children.length === 0 && n > 1) expect(level.get(p)!).toBeGreaterThanOrEqual(depth - 1);
        }
        // Level order: every inner peer but at most one (the last) has a full set of children.
        const partial = peers.filter((p) => ![0, branching].includes(graph.get(p)!.length - (p === peers[0] ? 0 : 1)));
        expect(partial.length).toBeLessThanOrEqual(1);
      }
    }
  });

  test("rejects a branching that is not an integer ≥ 1, naming the field", () => {
    for (const branching of [0, -1, 1.5, Number.NaN]) expect(() => tree({ branching })).toThrow(`tree.branching: expected an integer ≥ 1, got ${branching}`);
    expect(describePlugin(tree())).toBe("tree({ branching: 2 })");
  });
});

describe("erdosRenyi", () => {
  test("edge count is near p·N(N−1)/2 (within 4σ of the binomial) for large N", () => {
    for (const [n, p] of [[100, 0.1], [100, 0.3], [64, 0.5]] as const) {
      const pairs = (n * (n - 1)) / 2;
      const sigma = Math.sqrt(pairs * p * (1 - p));
      for (const seed of [1, 2, 3, 4, 5]) {
        const m = edgeCount(checkTopology(erdosRenyi({ p, connected: false }), ids(n), seed, { connected: false }));
        expect(Math.abs(m - p * pairs)).toBeLessThan(4 * sigma);
      }
    }
  });

  test("connecting adds exactly components − 1 edges to the same G(N, p) draw", () => {
    const peers = scrambledRoster(60);
    let sawSplit = false;
    for (const seed of [1, 2, 3]) {
      const raw = build(erdosRenyi({ p: 0.02, connected: false }), peers, seed);
      const joined = checkTopology(erdosRenyi({ p: 0.02 }), peers, seed);
      const parts = componentsOf(raw, peers).length;
      sawSplit ||= parts > 1;
      const rawEdges = edgeKeys(raw, peers);
      const joinedEdges = edgeKeys(joined, peers);
      for (const e of rawEdges) expect(joinedEdges.has(e)).toBe(true);
      expect(joinedEdges.size).toBe(rawEdges.size + parts - 1);
    }
    expect(sawSplit).toBe(true);
  });

  test("p = 0 gives a spanning tree (or no edges when not connected); p = 1 gives the full graph", () => {
    const peers = ids(30);
    expect(edgeCount(checkTopology(erdosRenyi({ p: 0 }), peers))).toBe(29);
    expect(edgeCount(build(erdosRenyi({ p: 0, connected: false }), peers))).toBe(0);
    expect(build(erdosRenyi({ p: 1 }), peers)).toEqual(build(full(), peers));
  });

  test("the graph is drawn from the seed", () => {
    const peers = ids(40);
    expect(build(erdosRenyi({ p: 0.2 }), peers, 1)).not.toEqual(build(erdosRenyi({ p: 0.2 }), peers, 2));
  });

  test("rejects p outside [0, 1] and a non-boolean connected, naming the field", () => {
    for (const p of [-0.1, 1.5, Number.NaN, undefined, "0.5"]) {
      expect(() => erdosRenyi({ p } as unknown as { p: number })).toThrow(`erdosRenyi.p: expected a number in [0, 1], got ${String(p)}`);
    }
    expect(() => erdosRenyi({ p: 0.5, connected: "yes" as unknown as boolean })).toThrow('erdosRenyi.connected: expected a boolean, got "yes"');
    expect(describePlugin(erdosRenyi({ p: 0.25 }))).toBe("erdosRenyi({ p: 0.25, connected: true })");
  });
});

describe("smallWorld", () => {
  test("rewiring keeps the degree sum at N·k (N > k)", () => {
    for (const k of [2, 4, 6]) {
      for (const beta of [0.1, 0.5, 1]) {
        for (const n of [k + 1, 16, 64, 100]) {
          const graph = checkTopology(smallWorld({ k, beta }), scrambledRoster(n), n);
          expect([k, beta, n, degrees(graph).reduce((a, b) => a + b, 0)]).toEqual([k, beta, n, n * k]);
        }
      }
    }
  });

  test("beta = 0 is the ring lattice of degree k, whatever the seed", () => {
    for (const k of [2, 4, 6]) {
      for (const n of [1, 2, 3, 5, 7, 16, 50]) {
        const peers = scrambledRoster(n);
        expect(build(smallWorld({ k, beta: 0 }), peers, n)).toEqual(build(ring({ degree: k }), peers));
      }
    }
  });

  test("beta > 0 rewires about beta of the lattice edges, drawn from the seed", () => {
    const peers = ids(100);
    const lattice = edgeKeys(build(ring({ degree: 4 }), peers), peers);
    const moved = (seed: number, beta: number) => [...edgeKeys(build(smallWorld({ k: 4, beta }), peers, seed), peers)].filter((e) => !lattice.has(e)).length;
    for (const seed of [1, 2, 3]) {
      expect(moved(seed, 0.1)).toBeGreaterThan(5);
      expect(moved(seed, 0.1)).toBeLessThan(40);
      expect(moved(seed, 1)).toBeGreaterThan(150);
    }
    expect(build(smallWorld(), peers, 1)).not.toEqual(build(smallWorld(), peers, 2));
  });

  test("rejects an odd or small k and a beta outside [0, 1], naming the field", () => {
    for (const k of [0, 1, 3, 2.5, -2]) expect(() => smallWorld({ k })).toThrow(`smallWorld.k: expected an even integer ≥ 2, got ${k}`);
    for (const beta of [-0.1, 1.1, Number.NaN]) expect(() => smallWorld({ beta })).toThrow(`smallWorld.beta: expected a number in [0, 1], got ${beta}`);
    expect(describePlugin(smallWorld())).toBe("smallWorld({ k: 4, beta: 0.1 })");
  });
});

describe("custom", () => {
  const diamond = { a: ["b", "c"], b: ["d", "a"], c: ["a", "d"], d: ["c", "b"] };

  test("builds exactly the written graph: entries in roster order, neighbours as written", () => {
    const peers = ["d", "a", "c", "b"];
    const graph = checkTopology(custom({ adjacency: diamond }), peers);
    expect([...graph]).toEqual([
      ["d", ["c", "b"]],
      ["a", ["b", "c"]],
      ["c", ["a", "d"]],
      ["b", ["d", "a"]],
    ]);
  });

  test("keeps its own copy of the adjacency; ids such as toString are plain ids", () => {
    const adjacency = { toString: ["constructor"], constructor: ["toString"] };
    const factory = custom({ adjacency });
    adjacency.toString.push("x");
    expect(build(factory, ["constructor", "toString"])).toEqual(
      new Map([
        ["constructor", ["toString"]],
        ["toString", ["constructor"]],
      ]),
    );
    expect(describePlugin(custom({ adjacency: { a: ["b"], b: ["a"] } }))).toBe('custom({ adjacency: {"a":["b"],"b":["a"]} })');
  });

  test("a malformed adjacency fails at the call, naming the field", () => {
    const bad = (adjacency: unknown) => () => custom({ adjacency } as { adjacency: Record<string, string[]> });
    expect(bad(undefined)).toThrow("custom.adjacency: expected an object mapping each peer id to an array of peer ids, got undefined");
    expect(bad([["a", "b"]])).toThrow("custom.adjacency: expected an object mapping each peer id to an array of peer ids, got an array");
    expect(bad(new Map([["a", []]]))).toThrow("custom.adjacency: expected an object mapping each peer id to an array of peer ids, got a Map");
    expect(bad({ a: "b" })).toThrow('custom.adjacency["a"]: expected an array of peer ids, got "b"');
    expect(bad({ a: ["b", 7] })).toThrow('custom.adjacency["a"][1]: expected a peer id (a non-empty string), got 7');
  });

  test("self loops, duplicates and one-way edges fail at the call, naming the peers (the first asymmetric pair)", () => {
    expect(() => custom({ adjacency: { a: ["b", "a"], b: ["a"] } })).toThrow('custom.adjacency: "a" lists itself as a neighbour');
    expect(() => custom({ adjacency: { a: ["b", "b"], b: ["a"] } })).toThrow('custom.adjacency: "a" lists "b" twice');
    expect(() => custom({ adjacency: { a: ["b", "c"], b: ["a"], c: [], d: ["b"] } })).toThrow(
      'custom.adjacency: "a" lists "c" but "c" does not list "a" (edges are undirected)',
    );
    expect(() => custom({ adjacency: { a: ["b", "z"], b: ["a"] } })).toThrow('custom.adjacency: "a" lists "z", which has no entry');
  });

  test("ids outside the roster fail at build, listing them", () => {
    expect(() => build(custom({ adjacency: diamond }), ["a", "b", "c"])).toThrow('custom.adjacency: 1 peer is not in the roster: "d"');
    expect(() => build(custom({ adjacency: diamond }), ["a"])).toThrow('custom.adjacency: 3 peers are not in the roster: "b", "c", "d"');
  });

  test("roster peers without an entry are isolated: a disconnected error with the component sizes, naming them", () => {
    expect(() => build(custom({ adjacency: diamond }), ["a", "b", "c", "d", "e", "f"])).toThrow(
      'custom.adjacency: the graph is disconnected: 3 components of sizes 4, 1, 1; cut off from "a": {"e"}, {"f"}; no entry (so no neighbours) for "e", "f"',
    );
    expect(build(custom({ adjacency: {} }), ["solo"])).toEqual(new Map([["solo", []]]));
  });

  test("a disconnected adjacency fails at build with the component sizes", () => {
    const adjacency = { a: ["b"], b: ["a"], c: ["d", "e"], d: ["c"], e: ["c"], f: [] };
    expect(() => build(custom({ adjacency }), ["a", "b", "c", "d", "e", "f"])).toThrow(
      'custom.adjacency: the graph is disconnected: 3 components of sizes 2, 3, 1; cut off from "a": {"c", "d", "e"}, {"f"}',
    );
  });
});

describe("validateGraph", () => {
  const peers = ["a", "b", "c"];
  const path = (): Graph =>
    new Map([
      ["a", ["b"]],
      ["b", ["a", "c"]],
      ["c", ["b"]],
    ]);
  const check = (graph: Graph, roster = peers, requireConnected = true) => () => validateGraph(graph, roster, { requireConnected });

  test("accepts a graph that keeps the contract; connectivity only when asked", () => {
    expect(check(path())).not.toThrow();
    const split = new Map([
      ["a", ["b"]],
      ["b", ["a"]],
      ["c", []],
    ]);
    expect(check(split, peers, false)).not.toThrow();
    expect(check(split)).toThrow('topology: the graph is disconnected: 2 components of sizes 2, 1; cut off from "a": {"c"}');
  });

  test("each broken rule is reported with the peers involved", () => {
    expect(check(path(), ["a", "b", "c", "b"])).toThrow('topology: the roster lists "b" twice');
    expect(check(path().set("x", []).set("y", []))).toThrow('topology: 2 peers not in the roster: "x", "y"');
    expect(check(path().set("c", ["b", "q"]))).toThrow('topology: "c" lists "q", who is not in the roster');
    expect(check(path(), ["a", "b", "c", "d"])).toThrow('topology: no entry for 1 roster peer: "d"');
    expect(check(path().set("c", ["b", "c"]))).toThrow('topology: "c" lists itself as a neighbour');
    expect(check(path().set("c", ["b", "b"]))).toThrow('topology: "c" lists "b" twice');
    expect(check(path().set("c", ["b", "a"]))).toThrow('topology: "c" lists "a" but "a" does not list "c" (edges are undirected)');
    expect(() => validateGraph(path().set("c", []), peers, { requireConnected: false, label: "scenario.topology" })).toThrow(
      'scenario.topology: "b" lists "c" but "c" does not list "b"',
    );
  });

  test("long lists of peers are cut short", () => {
    expect(listPeers(ids(10), 3)).toBe('"p000", "p001", "p002", … and 7 more');
    const isolated: Graph = new Map(ids(30).map((p) => [p, []]));
    expect(check(isolated, ids(30))).toThrow(
      'topology: the graph is disconnected: 30 components of sizes 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1; cut off from "p000": {"p001"}, {"p002"}, {"p003"}, {"p004"}, {"p005"}, {"p006"}, {"p007"}, {"p008"}, … and 21 more',
    );
  });
});
