import { describe, expect, test } from "bun:test";
import type { ChunkLayout } from "../../learn/types.ts";
import { fedavg } from "../../plugins/aggregation/index.ts";
import { fedavg as unbrandedFedavg } from "../../plugins/aggregation/fedavg.ts";
import { deviceProfiles, uniform } from "../../plugins/devices/index.ts";
import { magnitude, meanAbsoluteChange, random, type ImportanceFactory } from "../../plugins/importance/index.ts";
import { brand, describePlugin, isPlugin } from "../../plugins/plugin.ts";
import { full, mesh, ring } from "../../plugins/topology/index.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { importanceMax } from "../../swarm/limits.ts";
import { checkTopology } from "../compliance/topology-suite.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${String(i).padStart(3, "0")}`);

function layoutOf(lengths: readonly number[]): ChunkLayout {
  let start = 0;
  const chunks = lengths.map((length, index) => {
    const c = { index, tensor: `t${index}`, start, length };
    start += length;
    return c;
  });
  return { chunks, totalFloats: start, hash: new Uint8Array(32) };
}

/** What every importance plugin must give: one finite score ≥ 0 (and ≤ importanceMax) per chunk. */
function checkImportance(factory: ImportanceFactory, seed = 1): void {
  const layout = layoutOf([3, 1, 0, 5]);
  const rng = new SeededRng(seed);
  const before = Float32Array.from({ length: layout.totalFloats }, () => rng.range(-1, 1));
  const after = before.map((x, i) => (i === 4 ? NaN : x + rng.range(-0.1, 0.1)));
  const scores = factory({ rng: new SeededRng(seed) }).score({ round: 0, layout, before, after });
  expect(scores).toHaveLength(layout.chunks.length);
  for (const s of scores) expect(Number.isFinite(s) && s >= 0 && s <= importanceMax).toBe(true);
}

describe("ring", () => {
  test("symmetric, connected, no self loops, degree respected (capped for small N)", () => {
    for (const n of [1, 2, 3, 4, 5, 6, 9, 33]) {
      for (const degree of [2, 4, 6]) {
        const graph = checkTopology(ring({ degree }), ids(n));
        for (const ns of graph.values()) expect(ns.length).toBe(Math.min(degree, n - 1));
      }
    }
  });

  test("links the degree/2 nearest on each side, in peer order, whatever the seed", () => {
    const peers = ids(8);
    const graph = ring({ degree: 4 })({ rng: new SeededRng(1) }).build(peers);
    expect(graph.get("p000")).toEqual(["p001", "p002", "p006", "p007"]);
    expect(graph.get("p005")).toEqual(["p003", "p004", "p006", "p007"]);
    expect(ring({ degree: 4 })({ rng: new SeededRng(99) }).build(peers)).toEqual(graph);
    expect(ring()({ rng: new SeededRng(1) }).build(peers).get("p003")).toEqual(["p002", "p004"]);
  });

  test("rejects an odd, small or fractional degree, naming the field", () => {
    for (const degree of [0, 1, 3, 2.5, -2]) expect(() => ring({ degree })).toThrow(`ring.degree: expected an even integer ≥ 2, got ${degree}`);
  });
});

describe("mesh and full still work", () => {
  test("mesh is a connected regular graph drawn from the seed", () => {
    const peers = ids(40);
    const a = checkTopology(mesh({ degree: 6 }), peers, 5);
    for (const ns of a.values()) expect(ns).toHaveLength(6);
    expect(mesh({ degree: 6 })({ rng: new SeededRng(6) }).build(peers)).not.toEqual(a);
    expect(() => mesh({ degree: 0 })).toThrow("mesh.degree");
  });

  test("full links everyone", () => {
    const graph = checkTopology(full(), ids(7));
    for (const ns of graph.values()) expect(ns).toHaveLength(6);
  });
});

describe("importance", () => {
  test("both plugins meet the contract", () => {
    checkImportance(random());
    checkImportance(magnitude());
  });

  test("random is deterministic per seed and in [0, 1)", () => {
    const layout = layoutOf(Array.from({ length: 200 }, () => 2));
    const input = { round: 3, layout, before: new Float32Array(400), after: new Float32Array(400) };
    const a = random()({ rng: new SeededRng(11) }).score(input);
    expect(random()({ rng: new SeededRng(11) }).score(input)).toEqual(a);
    expect(random()({ rng: new SeededRng(12) }).score(input)).not.toEqual(a);
    for (const s of a) expect(s >= 0 && s < 1).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(190);
  });

  test("magnitude is the mean |after − before| per chunk", () => {
    const layout = layoutOf([3, 2, 0, 1]);
    const before = Float32Array.from([0, 0, 0, 1, 1, 5]);
    const after = Float32Array.from([1, -2, 3, 1, 3, 4.5]);
    expect(magnitude()({ rng: new SeededRng(1) }).score({ round: 0, layout, before, after })).toEqual([2, 1, 0, 0.5]);
  });

  test("magnitude scores a chunk with NaN or Infinity 0 and caps huge ones", () => {
    const layout = layoutOf([2, 2, 2, 1]);
    const before = Float32Array.from([0, 0, 0, 0, 1, 1, 0]);
    const after = Float32Array.from([NaN, 1, Infinity, 1, 3, 1, 3e38]);
    expect(meanAbsoluteChange({ round: 0, layout, before, after })).toEqual([0, 0, 1, importanceMax]);
  });

  test("magnitude rejects weights that do not match the layout", () => {
    const layout = layoutOf([2]);
    expect(() => meanAbsoluteChange({ round: 0, layout, before: new Float32Array(2), after: new Float32Array(3) })).toThrow("magnitude");
  });
});

describe("devices", () => {
  test("uniform gives every peer the named profile (edge_server by default)", () => {
    const peers = ids(5);
    const low = uniform("smartphone_low")({ rng: new SeededRng(1) }).assign(peers);
    expect([...low.keys()]).toEqual(peers);
    for (const p of low.values()) expect(p).toEqual(deviceProfiles["smartphone_low"]!);
    for (const p of uniform()({ rng: new SeededRng(1) }).assign(peers).values()) expect(p.name).toBe("edge_server");
  });

  test("an unknown profile lists the known ones", () => {
    expect(() => uniform("toaster")).toThrow('uniform.profileName: unknown device profile "toaster" (known: edge_server, smartphone_high, smartphone_low, raspberry_pi, iot)');
    expect(() => uniform("toString")).toThrow("unknown device profile");
  });
});

describe("brands", () => {
  test("every shipped factory carries its kind, name and options", () => {
    const cases: Array<[unknown, string, string]> = [
      [mesh({ degree: 4 }), "topology", "mesh({ degree: 4 })"],
      [full(), "topology", "full()"],
      [ring(), "topology", "ring({ degree: 2 })"],
      [random(), "importance", "random()"],
      [magnitude(), "importance", "magnitude()"],
      [uniform("iot"), "devices", 'uniform("iot")'],
      [fedavg(), "aggregation", "fedavg()"],
    ];
    for (const [factory, kind, written] of cases) {
      expect(isPlugin(factory)).toBe(true);
      for (const k of ["topology", "importance", "devices", "aggregation"] as const) expect(isPlugin(factory, k)).toBe(k === kind);
      if (isPlugin(factory)) expect(describePlugin(factory)).toBe(written);
    }
  });

  test("brand forwards to the factory and leaves it untouched; plain values are not plugins", () => {
    const raw = unbrandedFedavg();
    const branded = brand("aggregation", "mine", { k: 1 }, raw);
    expect(isPlugin(raw)).toBe(false);
    expect(branded.pluginOptions).toEqual({ k: 1 });
    const out = branded({}).aggregate({ index: 0, tensor: "t", start: 0, length: 2 }, [
      { origin: "a", samples: 1, data: Float32Array.from([0, 2]) },
      { origin: "b", samples: 3, data: Float32Array.from([4, 6]) },
    ]);
    expect([...out]).toEqual([3, 5]);
    for (const v of [undefined, null, 3, {}, () => ({}), { pluginKind: "topology", pluginName: "x" }]) expect(isPlugin(v)).toBe(false);
  });
});
