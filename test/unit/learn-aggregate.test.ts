import { describe, expect, test } from "bun:test";
import { aggregateModel } from "../../learn/aggregate.ts";
import { chunkLayout } from "../../learn/chunking.ts";
import type { ChunkLayout, ChunkSpec, ModelSpec } from "../../learn/types.ts";
import { fedavg, fedavgChunk } from "../../plugins/aggregation/fedavg.ts";
import type { AggregationPlugin, Contribution } from "../../plugins/aggregation/types.ts";
import { bytesEqual } from "../../swarm/hash.ts";

/** Two tensors of 2 and 3 floats, cap 2 → chunks: w[0..2), b[2..4), b[4..5). */
const spec: ModelSpec = {
  id: "tiny",
  tensors: [
    { name: "w", shape: [2] },
    { name: "b", shape: [3] },
  ],
  inputShape: [2],
  classes: 2,
};
const layout: ChunkLayout = chunkLayout(spec, 2);
const plugin = fedavg()({});
const own = () => Float32Array.of(10, 20, 30, 40, 50);

const contrib = (origin: string, samples: number, ...data: number[]): Contribution => ({
  origin,
  samples,
  data: Float32Array.from(data),
});

/** Contributions per chunk index; chunks not listed get none. */
const gatherFrom = (byChunk: Record<number, Contribution[]>) => (c: ChunkSpec) => byChunk[c.index] ?? [];

const bits = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
}

describe("fedavg plugin", () => {
  test("is named fedavg, keeps a lone contribution and the mean of equal values exactly", () => {
    expect(plugin.name).toBe("fedavg");
    const chunk = layout.chunks[1]!;
    const x = Float32Array.of(0.1, -3.7);
    expect(bits(plugin.aggregate(chunk, [{ origin: "a", samples: 17, data: x }]))).toEqual(bits(x));
    const same = ["a", "b", "c"].map((o, i) => ({ origin: o, samples: i + 1, data: x }));
    expect(bits(plugin.aggregate(chunk, same))).toEqual(bits(x));
  });

  test("is pure: does not touch its inputs and returns a fresh array", () => {
    const cs = [contrib("a", 1, 1, 2), contrib("b", 3, 5, -2)];
    const before = cs.map((c) => c.data.slice());
    const out = plugin.aggregate(layout.chunks[0]!, cs);
    cs.forEach((c, i) => expect(c.data).toEqual(before[i]!));
    expect(cs.some((c) => c.data.buffer === out.buffer)).toBe(false);
    expect(plugin.aggregate(layout.chunks[0]!, cs)).toEqual(out);
  });
});

describe("aggregateModel", () => {
  test("matches a hand computation, weighted by samples", () => {
    const r = aggregateModel({
      layout,
      own: own(),
      plugin,
      gather: gatherFrom({
        0: [contrib("a", 1, 1, 2), contrib("b", 3, 5, -2)], // [(1 + 15) / 4, (2 - 6) / 4]
        1: [contrib("a", 99, 0, 0), contrib("b", 1, 100, 100)], // 100 / 100 = 1
        2: [contrib("c", 2, 7)],
      }),
    });
    expect([...r.weights]).toEqual([4, -1, 1, 1, 7]);
    expect([...r.originsPerChunk]).toEqual([2, 2, 1]);
    expect(r.rejected).toEqual([]);
  });

  test("any order of contributions gives a bit-identical model, though the plain sum is order-sensitive", () => {
    // Element 0: in float32, 1 + 2⁻²⁴ + 2⁻²⁴ depends on the order (ties round to even).
    // Element 1: even in float64, 2¹⁰⁰ + 1 − 2¹⁰⁰ depends on the order. Only a fixed order makes peers agree.
    const e = 2 ** -24;
    const cs = [contrib("d", 1, 1, 2 ** 100), contrib("a", 1, e, 1), contrib("c", 1, e, -(2 ** 100)), contrib("b", 1, 0, 0)];
    const f32 = (xs: number[]) => xs.reduce((s, x) => Math.fround(s + x), 0);
    expect(f32([1, e, e])).not.toBe(f32([e, e, 1]));
    const direct = new Set(permutations(cs).map((p) => fedavgChunk(p).join(",")));
    expect(direct.size).toBeGreaterThan(1);

    const shapeOnly: ModelSpec = { ...spec, tensors: [{ name: "w", shape: [2] }] };
    const l = chunkLayout(shapeOnly, 2);
    const outs = permutations(cs).map(
      (p) => aggregateModel({ layout: l, own: new Float32Array(2), plugin, gather: () => p }).weights,
    );
    expect(outs).toHaveLength(24);
    for (const o of outs) expect(bytesEqual(bits(o), bits(outs[0]!))).toBe(true);
    // The fixed order is a, b, c, d: float64 sums e + 0 + e + 1 exactly, and 1 + 0 − 2¹⁰⁰ + 2¹⁰⁰ = 0.
    expect([...outs[0]!]).toEqual([Math.fround((1 + 2 * e) / 4), 0]);
  });

  test("a chunk without contributions keeps own values", () => {
    const r = aggregateModel({ layout, own: own(), plugin, gather: gatherFrom({ 1: [contrib("a", 1, -1, -2)] }) });
    expect([...r.weights]).toEqual([10, 20, -1, -2, 50]);
    expect([...r.originsPerChunk]).toEqual([0, 1, 0]);
  });

  test("never mutates own and returns a new array", () => {
    const mine = own();
    const r = aggregateModel({ layout, own: mine, plugin, gather: () => [] });
    expect(r.weights).not.toBe(mine);
    expect(r.weights).toEqual(mine);
    aggregateModel({ layout, own: mine, plugin, gather: gatherFrom({ 0: [contrib("a", 1, 0, 0)] }) });
    expect(mine).toEqual(own());
  });

  test("drops and reports non-finite values, wrong lengths and bad sample counts; the rest still count", () => {
    const r = aggregateModel({
      layout,
      own: own(),
      plugin,
      gather: gatherFrom({
        0: [contrib("nan", 1, NaN, 1), contrib("ok", 2, 3, 4), contrib("inf", 1, 1, -Infinity)],
        1: [contrib("short", 1, 1), contrib("long", 1, 1, 2, 3)],
        2: [contrib("zero", 0, 1), contrib("neg", -1, 1), contrib("nans", NaN, 1), contrib("infs", Infinity, 1)],
      }),
    });
    expect([...r.weights]).toEqual([3, 4, 30, 40, 50]);
    expect([...r.originsPerChunk]).toEqual([1, 0, 0]);
    const seen = r.rejected.map((x) => `${x.chunk}:${x.origin}`);
    expect(seen).toEqual(["0:inf", "0:nan", "1:long", "1:short", "2:infs", "2:nans", "2:neg", "2:zero"]);
    expect(r.rejected.find((x) => x.origin === "nan")!.reason).toMatch(/non-finite/);
    expect(r.rejected.find((x) => x.origin === "short")!.reason).toMatch(/wrong length: 1 values, expected 2/);
    expect(r.rejected.find((x) => x.origin === "neg")!.reason).toMatch(/samples/);
  });

  test("an origin listed twice for a chunk is dropped whole, whichever copy came first", () => {
    for (const order of [0, 1]) {
      const copies = [contrib("a", 1, 1, 1), contrib("a", 1, 9, 9)];
      const cs = [contrib("b", 1, 3, 3), ...(order ? copies.reverse() : copies)];
      const r = aggregateModel({ layout, own: own(), plugin, gather: gatherFrom({ 0: cs }) });
      expect([...r.weights.subarray(0, 2)]).toEqual([3, 3]);
      expect(r.rejected.map((x) => x.origin)).toEqual(["a", "a"]);
      expect(r.rejected[0]!.reason).toMatch(/duplicate/);
    }
  });

  test("a plugin that returns non-finite values or the wrong length cannot corrupt the model", () => {
    const bad = (out: Float32Array): AggregationPlugin => ({ name: "bad", aggregate: () => out });
    for (const [out, reason] of [
      [Float32Array.of(NaN, 1), /plugin bad returned non-finite/],
      [Float32Array.of(1), /plugin bad returned 1 values, expected 2/],
    ] as const) {
      const r = aggregateModel({ layout, own: own(), plugin: bad(out), gather: gatherFrom({ 0: [contrib("a", 1, 0, 0)] }) });
      expect([...r.weights]).toEqual([...own()]);
      expect(r.originsPerChunk[0]).toBe(0);
      expect(r.rejected).toEqual([{ origin: "a", chunk: 0, reason: expect.stringMatching(reason) }]);
    }
  });

  test("hands the plugin screened contributions in origin order", () => {
    const seen: string[][] = [];
    const spy: AggregationPlugin = {
      name: "spy",
      aggregate: (chunk, cs) => {
        seen.push(cs.map((c) => c.origin));
        return new Float32Array(chunk.length);
      },
    };
    const cs = ["peer-10", "peer-2", "Peer-1", "nan", "peer-1"].map((o) => contrib(o, 1, o === "nan" ? NaN : 0, 0));
    aggregateModel({ layout, own: own(), plugin: spy, gather: gatherFrom({ 0: cs }) });
    expect(seen).toEqual([["Peer-1", "peer-1", "peer-10", "peer-2"]]);
  });

  test("own of the wrong length is a programmer error", () => {
    expect(() => aggregateModel({ layout, own: new Float32Array(4), plugin, gather: () => [] })).toThrow(/own.length/);
  });
});
