import { describe, expect, test } from "bun:test";
import { dirichlet, loadMnist, splitDirichlet, splitIid, subset, synthetic } from "../../learn/data.ts";
import { SeededRng } from "../../runtime/rng.ts";

/** Every index 0..n-1 appears in exactly one shard, and each shard is sorted ascending. */
function expectPartition(shards: Uint32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const shard of shards) {
    for (let k = 0; k < shard.length; k++) {
      const i = shard[k]!;
      expect(i).toBeLessThan(n);
      seen[i]!++;
      if (k > 0) expect(shard[k - 1]!).toBeLessThan(i);
    }
  }
  expect(seen.every((c) => c === 1)).toBe(true);
}

function entropy(y: Uint8Array, shard: Uint32Array, classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (const i of shard) counts[y[i]!]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / shard.length) * Math.log2(c / shard.length);
  return h;
}

const meanEntropy = (y: Uint8Array, shards: Uint32Array[], classes: number) =>
  shards.reduce((s, shard) => s + entropy(y, shard, classes), 0) / shards.length;

/** Balanced labels 0..classes-1, cycling. */
const labels = (n: number, classes: number) => Uint8Array.from({ length: n }, (_, i) => i % classes);

describe("loadMnist", () => {
  const { train, test: held } = loadMnist();

  test("holds 10,000 real digits: ≈8000 train, 2000 test, 784 pixels in [0, 1]", () => {
    expect(train.n + held.n).toBe(10_000);
    expect(held.n).toBe(2000);
    for (const d of [train, held]) {
      expect(d.features).toBe(784);
      expect(d.classes).toBe(10);
      expect(d.x.length).toBe(d.n * 784);
      expect(d.y.length).toBe(d.n);
      let min = Infinity;
      let max = -Infinity;
      for (const v of d.x) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(0);
      expect(max).toBeGreaterThan(0.9);
      expect(max).toBeLessThanOrEqual(1);
    }
  });

  test("every digit is in both sets, 200 of each in test, and a prefix is interleaved", () => {
    const perDigit = (y: Uint8Array) => Array.from({ length: 10 }, (_, d) => y.filter((c) => c === d).length);
    expect(perDigit(held.y)).toEqual(new Array(10).fill(200));
    for (const c of perDigit(train.y)) expect(c).toBeGreaterThan(600);
    expect([...train.y.subarray(0, 10)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(train.y.subarray(0, 100)).size).toBe(10);
  });

  test("is deterministic and cached per testPerDigit; the hold-out is the last examples of each digit", () => {
    expect(loadMnist()).toBe(loadMnist({ testPerDigit: 200 }));
    const other = loadMnist({ testPerDigit: 100 });
    expect(other.test.n).toBe(1000);
    expect(other.train.n).toBe(9000);
    // The last 100 of each digit are the last 100 of the 200-per-digit hold-out: rows 100..199 of each digit.
    const rowsOf = (d: { x: Float32Array; y: Uint8Array }, digit: number) =>
      [...d.y.keys()].filter((i) => d.y[i] === digit).map((i) => d.x.subarray(i * 784, (i + 1) * 784));
    const a = rowsOf(other.test, 3);
    const b = rowsOf(held, 3).slice(100);
    expect(a.length).toBe(100);
    for (let k = 0; k < a.length; k++) expect(a[k]).toEqual(b[k]!);
  });

  test("rejects a bad testPerDigit, naming it", () => {
    expect(() => loadMnist({ testPerDigit: -1 })).toThrow(/testPerDigit/);
    expect(() => loadMnist({ testPerDigit: 1.5 })).toThrow(/testPerDigit/);
    expect(() => loadMnist({ testPerDigit: 5000 })).toThrow(/testPerDigit/);
  });
});

describe("synthetic", () => {
  test("has the asked shape, balanced labels, and clusters nearer their own centroid", () => {
    const d = synthetic({ examples: 300, features: 20, classes: 3, rng: new SeededRng(1) });
    expect(d.n).toBe(300);
    expect(d.x.length).toBe(300 * 20);
    expect([0, 1, 2].map((c) => d.y.filter((y) => y === c).length)).toEqual([100, 100, 100]);
    // Nearest class mean classifies (almost) everything: the data is learnable.
    const means = [0, 1, 2].map((c) => {
      const m = new Float64Array(20);
      for (let i = 0; i < d.n; i++) if (d.y[i] === c) for (let f = 0; f < 20; f++) m[f]! += d.x[i * 20 + f]! / 100;
      return m;
    });
    let right = 0;
    for (let i = 0; i < d.n; i++) {
      const dist = means.map((m) => m.reduce((s, v, f) => s + (v - d.x[i * 20 + f]!) ** 2, 0));
      if (dist.indexOf(Math.min(...dist)) === d.y[i]) right++;
    }
    expect(right / d.n).toBeGreaterThan(0.95);
  });

  test("same seed, same data; different seed, different data", () => {
    const make = (seed: number) => synthetic({ examples: 50, features: 4, classes: 2, rng: new SeededRng(seed) });
    expect(make(7).x).toEqual(make(7).x);
    expect(make(7).x).not.toEqual(make(8).x);
  });

  test("rejects bad options, naming the field", () => {
    const rng = new SeededRng(1);
    expect(() => synthetic({ examples: 0, features: 4, classes: 2, rng })).toThrow(/examples/);
    expect(() => synthetic({ examples: 10, features: 2.5, classes: 2, rng })).toThrow(/features/);
    expect(() => synthetic({ examples: 10, features: 4, classes: 300, rng })).toThrow(/classes/);
    expect(() => synthetic({ examples: 10, features: 4, classes: 2, rng, noise: -1 })).toThrow(/noise/);
  });
});

describe("splitIid", () => {
  test("covers every example once with sizes differing by at most 1", () => {
    const y = labels(1003, 10);
    const shards = splitIid(y, 7, new SeededRng(3));
    expect(shards).toHaveLength(7);
    expectPartition(shards, 1003);
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  test("is a function of the seed", () => {
    const y = labels(500, 10);
    expect(splitIid(y, 5, new SeededRng(1))).toEqual(splitIid(y, 5, new SeededRng(1)));
    expect(splitIid(y, 5, new SeededRng(1))).not.toEqual(splitIid(y, 5, new SeededRng(2)));
  });

  test("rejects bad peer counts, naming the field", () => {
    expect(() => splitIid(labels(10, 2), 0, new SeededRng(1))).toThrow(/peers/);
    expect(() => splitIid(labels(10, 2), 11, new SeededRng(1))).toThrow(/peers/);
  });
});

describe("splitDirichlet", () => {
  const y = labels(2000, 10);

  test("covers every example once and gives every peer at least minPerPeer", () => {
    for (const [alpha, min] of [[0.05, 1], [0.1, 20], [1, 5], [100, 1]] as const) {
      const shards = splitDirichlet(y, 10, 20, alpha, new SeededRng(alpha * 1000), min);
      expect(shards).toHaveLength(20);
      expectPartition(shards, 2000);
      for (const s of shards) expect(s.length).toBeGreaterThanOrEqual(min);
    }
  });

  test("minPerPeer can take every example (peers × min = examples)", () => {
    const shards = splitDirichlet(labels(100, 10), 10, 10, 0.01, new SeededRng(5), 10);
    expectPartition(shards, 100);
    for (const s of shards) expect(s.length).toBe(10);
  });

  test("same seed, same split; different seed, different split", () => {
    const split = (seed: number) => splitDirichlet(y, 10, 8, 0.5, new SeededRng(seed));
    expect(split(11)).toEqual(split(11));
    expect(split(11)).not.toEqual(split(12));
  });

  test("smaller alpha means more label skew (lower mean per-peer label entropy)", () => {
    const skewed = meanEntropy(y, splitDirichlet(y, 10, 20, 0.1, new SeededRng(9)), 10);
    const mixed = meanEntropy(y, splitDirichlet(y, 10, 20, 100, new SeededRng(9)), 10);
    expect(mixed).toBeGreaterThan(3.1); // log2(10) ≈ 3.32 is perfectly mixed
    expect(skewed).toBeLessThan(2);
    expect(skewed).toBeLessThan(mixed);
  });

  test("Dirichlet proportions are positive and sum to 1, even for tiny alpha", () => {
    for (const alpha of [0.001, 0.1, 1, 50]) {
      const p = dirichlet(12, alpha, new SeededRng(4));
      expect(p.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    }
  });

  test("rejects bad inputs, naming the field", () => {
    const rng = new SeededRng(1);
    expect(() => splitDirichlet(y, 10, 4, -1, rng)).toThrow("splitDirichlet: alpha must be > 0 and finite, got -1");
    expect(() => splitDirichlet(y, 10, 4, 0, rng)).toThrow(/alpha/);
    expect(() => splitDirichlet(y, 10, 4, Infinity, rng)).toThrow(/alpha/);
    expect(() => splitDirichlet(y, 10, 4, NaN, rng)).toThrow(/alpha/);
    expect(() => splitDirichlet(y, 10, 0, 1, rng)).toThrow(/peers/);
    expect(() => splitDirichlet(y, 10, 2001, 1, rng)).toThrow(/peers/);
    expect(() => splitDirichlet(y, 0, 4, 1, rng)).toThrow(/classes/);
    expect(() => splitDirichlet(y, 5, 4, 1, rng)).toThrow(/y\[5\] = 5/);
    expect(() => splitDirichlet(y, 10, 4, 1, rng, -1)).toThrow(/minPerPeer/);
    expect(() => splitDirichlet(y, 10, 4, 1, rng, 501)).toThrow(/minPerPeer/);
  });
});

describe("subset", () => {
  test("copies the chosen rows and labels in order", () => {
    const d = synthetic({ examples: 10, features: 3, classes: 2, rng: new SeededRng(1) });
    const s = subset(d, [4, 1]);
    expect(s.n).toBe(2);
    expect([...s.y]).toEqual([d.y[4]!, d.y[1]!]);
    expect(s.x).toEqual(Float32Array.from([...d.x.subarray(12, 15), ...d.x.subarray(3, 6)]));
    s.x[0] = 99;
    expect(d.x[12]).not.toBe(99);
    expect(() => subset(d, [10])).toThrow(/indices\[0\] = 10/);
  });
});
