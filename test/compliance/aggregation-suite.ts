/**
 * The aggregation plugin compliance suite (STYLE 7): what learn/aggregate.ts relies on from every plugin. A plugin
 * test calls `aggregationCompliance(...)` inside its file; each property becomes a `test` under one `describe`.
 */
import { describe, expect, test } from "bun:test";
import { aggregateChunk } from "../../learn/aggregate.ts";
import type { ChunkSpec } from "../../learn/types.ts";
import type { Contribution } from "../../plugins/aggregation/types.ts";
import { describePlugin, isPlugin, type PluginFactory } from "../../plugins/plugin.ts";
import { SeededRng, type Rng } from "../../runtime/rng.ts";

export interface AggregationSuiteSpec {
  /** Makes the factory under test (called once per test, so no state leaks between tests). */
  make: () => PluginFactory<"aggregation">;
  /** The plugin's name, as brand and plugin must both report it. */
  name: string;
  /** The validated, defaulted options the brand must carry (`undefined` for a plugin without options). */
  options: unknown;
  /**
   * true: the output is a function of the multiset of values, so any assignment of values to origins gives a
   * bit-identical result. false: the assignment may matter, but only through float rounding (a fixed summation
   * order) or tie-breaks (krum); on tie-free data results must then agree within float32 rounding.
   */
  symmetric: boolean;
  /** Option sets the factory must refuse at the call, each with the field its error message must name. */
  invalid?: ReadonlyArray<{ call: () => unknown; field: string }>;
}

/** float32's largest finite value: values near it check that sums are taken in float64. */
export const float32Max = 3.4028234663852886e38;

export const chunkOf = (length: number, index = 0): ChunkSpec => ({ index, tensor: "t", start: 0, length });

/** Origin ids in the caller's fixed order (plain string order): o00, o01, … */
export const originIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `o${String(i).padStart(2, "0")}`);

/** n contributions of `length` floats in [-1, 1) (never exactly 0), with integer sample counts in [1, 1000]. */
export function randomContributions(rng: Rng, n: number, length: number): Contribution[] {
  return originIds(n).map((origin) => ({
    origin,
    samples: 1 + rng.int(1000),
    data: Float32Array.from({ length }, () => rng.range(-1, 1) || 0.5),
  }));
}

/** The same values as views into one shared buffer, like verified pieces in the chunk store. */
export function sharedViews(cs: readonly Contribution[]): { views: Contribution[]; buffer: ArrayBuffer } {
  const length = cs[0]?.data.length ?? 0;
  const buffer = new ArrayBuffer(4 * (1 + length * cs.length)); // one float of padding up front: views at an offset
  const views = cs.map((c, i) => {
    const data = new Float32Array(buffer, 4 * (1 + i * length), length);
    data.set(c.data);
    return { ...c, data };
  });
  return { views, buffer };
}

export const bits = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Deep copy, each contribution in its own buffer: what another peer holding the same pieces would pass. */
const copy = (cs: readonly Contribution[]): Contribution[] => cs.map((c) => ({ ...c, data: c.data.slice() }));

const scenarios = [
  { n: 1, length: 5 },
  { n: 2, length: 1 },
  { n: 3, length: 8 },
  { n: 4, length: 0 },
  { n: 5, length: 17 },
  { n: 7, length: 3 },
  { n: 12, length: 64 },
  { n: 13, length: 9 },
];

export function aggregationCompliance(spec: AggregationSuiteSpec): void {
  const plugin = () => spec.make()({});

  describe(`aggregation compliance: ${describePlugin(spec.make())}`, () => {
    test("is a branded aggregation factory carrying its name and validated options", () => {
      const factory = spec.make();
      expect(isPlugin(factory, "aggregation")).toBe(true);
      expect(factory.pluginName).toBe(spec.name);
      expect(factory.pluginOptions).toEqual(spec.options);
      expect(factory({}).name).toBe(spec.name);
    });

    if (spec.invalid && spec.invalid.length > 0) {
      const invalid = spec.invalid;
      test("refuses bad options at the factory call, naming the field", () => {
        for (const { call, field } of invalid) expect(call).toThrow(field);
      });
    }

    test("returns a new finite Float32Array of the chunk's length, aliasing no input, for n = 1…13", () => {
      const rng = new SeededRng(`${spec.name}:shape`);
      for (const { n, length } of scenarios) {
        const cs = randomContributions(rng, n, length);
        // Extremes: a sum or a squared distance taken in float32 would overflow here.
        if (length > 0 && n > 1) cs[0]!.data[0] = float32Max;
        if (length > 0 && n > 2) cs[1]!.data[0] = -float32Max;
        const { views, buffer } = sharedViews(cs);
        const out = plugin().aggregate(chunkOf(length), views);
        expect(out).toBeInstanceOf(Float32Array);
        expect(out.length).toBe(length);
        expect(out.every(Number.isFinite)).toBe(true);
        expect(out.buffer).not.toBe(buffer);
        for (const c of cs) expect(out.buffer).not.toBe(c.data.buffer);
      }
    });

    test("is pure: equal inputs give bit-identical outputs, inputs are untouched, outputs are not reused", () => {
      const rng = new SeededRng(`${spec.name}:pure`);
      for (const { n, length } of scenarios) {
        const cs = randomContributions(rng, n, length);
        const { views, buffer } = sharedViews(cs);
        const before = new Uint8Array(buffer.slice(0));
        const p = plugin();
        const first = p.aggregate(chunkOf(length), views);
        expect(new Uint8Array(buffer)).toEqual(before);
        const firstBits = bits(first).slice();
        first.fill(123); // a caller writing into its result must not change the next one
        expect(bits(p.aggregate(chunkOf(length), views))).toEqual(firstBits);
        expect(bits(plugin().aggregate(chunkOf(length), copy(cs)))).toEqual(firstBits); // another peer, same pieces
        expect(bits(p.aggregate(chunkOf(length, 7), views))).toEqual(firstBits); // the chunk's place does not matter
      }
    });

    test("a lone contribution comes back unchanged, as a copy", () => {
      const rng = new SeededRng(`${spec.name}:lone`);
      for (const length of [0, 1, 6, 33]) {
        const [c] = randomContributions(rng, 1, length);
        const out = plugin().aggregate(chunkOf(length), [c!]);
        expect(bits(out)).toEqual(bits(c!.data));
        expect(out.buffer).not.toBe(c!.data.buffer);
      }
    });

    test("identical contributions give that value: exactly with integer sample counts, within rounding otherwise", () => {
      const rng = new SeededRng(`${spec.name}:same`);
      for (const n of [2, 3, 4, 5, 9, 12]) {
        const x = randomContributions(rng, 1, 16)[0]!.data;
        const same = originIds(n).map((origin) => ({ origin, samples: 1 + rng.int(5000), data: x.slice() }));
        expect(bits(plugin().aggregate(chunkOf(16), same))).toEqual(bits(x));
        const fractional = same.map((c) => ({ ...c, samples: rng.range(0.01, 100) }));
        const out = plugin().aggregate(chunkOf(16), fractional);
        out.forEach((v, j) => expect(Math.abs(v - x[j]!)).toBeLessThanOrEqual(Math.abs(x[j]!) * 2 ** -23));
      }
    });

    if (spec.symmetric) {
      test("depends only on the multiset of values: any assignment to origins is bit-identical", () => {
        const rng = new SeededRng(`${spec.name}:multiset`);
        // Column 0: in float32, 1 + 2⁻²⁴ + 2⁻²⁴ depends on the order; column 1: even in float64 2¹⁰⁰ + 1 − 2¹⁰⁰
        // does. A rule that summed in the given order would differ across assignments.
        const e = 2 ** -24;
        const tricky = [
          [1, 2 ** 100],
          [e, 1],
          [e, -(2 ** 100)],
          [0.5, 0],
          [e, 3],
        ];
        const data = [...tricky.map((r) => Float32Array.from(r)), ...randomContributions(rng, 7, 2).map((c) => c.data)];
        for (const n of [1, 2, 3, 4, 5, 8, 12]) {
          const values = data.slice(0, n);
          const outs = Array.from({ length: 12 }, () => {
            const order = rng.shuffle(values.slice());
            const cs = originIds(n).map((origin, i) => ({ origin, samples: 1 + rng.int(100), data: order[i]! }));
            return bits(plugin().aggregate(chunkOf(2), cs));
          });
          for (const o of outs) expect(o).toEqual(outs[0]!);
        }
      });
    } else {
      test("on tie-free data, any assignment of values to origins agrees within float32 rounding", () => {
        const rng = new SeededRng(`${spec.name}:order`);
        for (const n of [2, 3, 5, 8, 12]) {
          const cs = randomContributions(rng, n, 12);
          const reference = plugin().aggregate(chunkOf(12), cs);
          for (let k = 0; k < 12; k++) {
            const order = rng.shuffle(cs.slice());
            const moved = originIds(n).map((origin, i) => ({ ...order[i]!, origin }));
            const out = plugin().aggregate(chunkOf(12), moved);
            out.forEach((v, j) => expect(Math.abs(v - reference[j]!)).toBeLessThanOrEqual(4 * 2 ** -24));
          }
        }
      });
    }

    test("passes learn/aggregate.ts's output checks for contributions gathered in any order", () => {
      const rng = new SeededRng(`${spec.name}:caller`);
      for (const { n, length } of scenarios) {
        const cs = randomContributions(rng, n, length);
        const own = new Float32Array(length).fill(42);
        const r = aggregateChunk({ chunk: chunkOf(length), own, contributions: rng.shuffle(cs.slice()), plugin: plugin() });
        expect(r.rejected).toEqual([]);
        expect(r.used).toEqual(originIds(n));
        expect(bits(r.values)).toEqual(bits(plugin().aggregate(chunkOf(length), cs)));
      }
    });
  });
}
