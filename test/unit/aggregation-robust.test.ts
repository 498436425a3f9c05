import { describe, expect, test } from "bun:test";
import {
  krum,
  krumScores,
  krumSelect,
  median,
  medianChunk,
  multiKrum,
  trimCount,
  trimmedMean,
} from "../../plugins/aggregation/index.ts";
import type { Contribution } from "../../plugins/aggregation/types.ts";
import { describePlugin, type PluginFactory } from "../../plugins/plugin.ts";
import { bits, chunkOf, float32Max, originIds } from "../compliance/aggregation-suite.ts";

/** Contributions o00, o01, … with the given rows as values; sample counts vary so a rule that used them would show. */
const rows = (...values: number[][]): Contribution[] =>
  originIds(values.length).map((origin, i) => ({ origin, samples: 1 + 97 * i, data: Float32Array.from(values[i]!) }));

const run = (factory: PluginFactory<"aggregation">, cs: Contribution[]) => [...factory({}).aggregate(chunkOf(cs[0]!.data.length), cs)];

describe("median", () => {
  test("odd n: the middle value; even n: the mean of the two middle ones; sample counts are ignored", () => {
    expect(run(median(), rows([5, 0], [1, 9], [3, -4]))).toEqual([3, 0]);
    expect(run(median(), rows([5, 0], [1, 9], [3, -4], [100, 2]))).toEqual([4, 1]);
    expect(run(median(), rows([7], [-2]))).toEqual([2.5]);
  });

  test("the two middle values are averaged in float64: no overflow at float32's limit", () => {
    expect(Math.fround(float32Max + float32Max)).toBe(Infinity);
    expect(run(median(), rows([float32Max], [float32Max]))).toEqual([float32Max]);
    expect(run(median(), rows([-float32Max], [-float32Max], [0], [-float32Max]))).toEqual([-float32Max]);
  });

  test("a lone −0 stays −0 (the result is a bit copy)", () => {
    expect(Object.is(run(median(), rows([-0]))[0], -0)).toBe(true);
  });

  test("up to ⌈n/2⌉ − 1 outliers cannot leave the honest range; one more can", () => {
    const honest = [[1], [2], [3], [4], [5], [6], [7]];
    const liars = (k: number) => Array.from({ length: k }, () => [1e30]);
    for (const k of [1, 3, 6]) {
      const out = run(median(), rows(...honest, ...liars(k)))[0]!; // n = 7 + k, ⌈n/2⌉ − 1 ≥ k
      expect(out).toBeLessThanOrEqual(7);
    }
    expect(run(median(), rows(...honest, ...liars(7)))[0]).toBeGreaterThan(7);
  });

  test("medianChunk refuses no contributions (the caller never passes none)", () => {
    expect(() => medianChunk([])).toThrow(/non-empty/);
  });
});

describe("trimmedMean", () => {
  test("drops ⌊trim·n⌋ at each end per coordinate and averages the rest, ignoring sample counts", () => {
    const cs = rows([10, 0], [1, 1], [2, 2], [3, 3], [-50, 4]); // n = 5
    expect(run(trimmedMean({ trim: 0.2 }), cs)).toEqual([2, 2]); // 1 per side: [1, 2, 3] and [1, 2, 3]
    expect(run(trimmedMean({ trim: 0.1 }), cs)).toEqual([Math.fround(-34 / 5), 2]); // ⌊0.5⌋ = 0: the plain mean
    expect(run(trimmedMean({ trim: 0.49 }), cs)).toEqual([2, 2]); // ⌊2.45⌋ = 2 per side: the median
  });

  test("trim 0 is the unweighted mean", () => {
    expect(run(trimmedMean({ trim: 0 }), rows([1], [2], [6]))).toEqual([3]);
  });

  test("the count is ⌊trim·n⌋ of the decimal written, and always leaves a value", () => {
    expect(0.29 * 100).toBeLessThan(29); // binary rounding: a plain floor would give 28
    expect(trimCount(0.29, 100)).toBe(29);
    expect(trimCount(0.1, 10)).toBe(1);
    expect(trimCount(0.1, 9)).toBe(0);
    expect(trimCount(0.25, 8)).toBe(2);
    expect(trimCount(0.4999999999999, 2)).toBe(0);
    for (let n = 1; n <= 50; n++) expect(2 * trimCount(0.4999999999, n)).toBeLessThan(n);
  });

  test("a trim below the Byzantine fraction lets them through: with 2 of 12 scaled ×100, 0.1 fails and 0.2 holds", () => {
    const honest = Array.from({ length: 10 }, (_, i) => [1 + i / 100]);
    const cs = rows(...honest, [100], [100]);
    expect(run(trimmedMean({ trim: 0.1 }), cs)[0]).toBeGreaterThan(10); // ⌊1.2⌋ = 1 per side: one liar kept
    const held = run(trimmedMean({ trim: 0.2 }), cs)[0]!;
    expect(held).toBeGreaterThanOrEqual(1);
    expect(held).toBeLessThanOrEqual(1.09);
  });

  test("its brand describes the defaulted options", () => {
    expect(describePlugin(trimmedMean())).toBe("trimmedMean({ trim: 0.1 })");
  });
});

describe("krum", () => {
  test("returns a copy of the contribution closest to its n − f − 2 nearest others", () => {
    // f = 1, n = 5 → 2 nearest. Scores: [0]: 1 + 4 = 5, [1]: 1 + 1 = 2, [2]: 1 + 4 = 5, [3]: far, [4]: far.
    const cs = rows([0], [1], [2], [50], [-70]);
    expect([...krumScores(cs, 1)]).toEqual([5, 2, 5, 48 ** 2 + 49 ** 2, 70 ** 2 + 71 ** 2]);
    const out = krum({ f: 1 })({}).aggregate(chunkOf(1), cs);
    expect([...out]).toEqual([1]);
    expect(out.buffer).not.toBe(cs[1]!.data.buffer);
  });

  test("scores in float64: squared distances beyond float32's range still rank", () => {
    // f = 0, n = 4 → 2 nearest. In units of 1e40: [0]: 4 + 9, [1]: 1 + 4, [2]: 1 + 9, [3]: 49 + 64. In float32
    // every square would be Infinity and the tie-break would pick [0].
    const cs = rows([0], [2e20], [3e20], [10e20]);
    expect(Math.fround(2e20 ** 2)).toBe(Infinity);
    expect(run(krum({ f: 0 }), cs)).toEqual([Math.fround(2e20)]);
  });

  test("equal scores go to the first in the given (origin id) order, so the result is not a function of the multiset", () => {
    // f = 0, n = 3 → 1 nearest: every point scores 1.
    expect([...krumScores(rows([0], [1], [2]), 0)]).toEqual([1, 1, 1]);
    expect(run(krum({ f: 0 }), rows([0], [1], [2]))).toEqual([0]);
    expect(run(krum({ f: 0 }), rows([2], [1], [0]))).toEqual([2]);
    expect(krumSelect(Float64Array.of(3, 1, 1, 0), 3)).toEqual([1, 2, 3]);
  });

  test("with n ≤ 2f + 2 falls back to the coordinate-wise median, bit for bit", () => {
    const cs = rows([0, 5], [1, 1], [2, -3], [50, 0.5]);
    for (const f of [1, 2, 7]) {
      expect(bits(krum({ f })({}).aggregate(chunkOf(2), cs))).toEqual(bits(medianChunk(cs)));
      expect(bits(multiKrum({ f })({}).aggregate(chunkOf(2), cs))).toEqual(bits(medianChunk(cs)));
    }
    expect(run(krum({ f: 0 }), rows([7], [-2]))).toEqual([2.5]); // n = 2 ≤ 2: median, not a pick
    expect(() => krumScores(cs.slice(0, 3), 1)).toThrow(/3 contributions cannot tolerate f = 1/); // no neighbour left
  });
});

describe("multiKrum", () => {
  const cs = rows([0], [1], [2], [50], [-70]); // krum scores 5, 2, 5, far, far (f = 1)

  test("averages the m best, unweighted; m defaults to n − f and is capped there", () => {
    expect(run(multiKrum({ f: 1, m: 1 }), cs)).toEqual(run(krum({ f: 1 }), cs));
    expect(run(multiKrum({ f: 1, m: 3 }), cs)).toEqual([1]); // [0], [1], [2]
    expect(run(multiKrum({ f: 1 }), cs)).toEqual([Math.fround((0 + 1 + 2 + 50) / 4)]); // n − f = 4
    expect(run(multiKrum({ f: 1, m: 99 }), cs)).toEqual(run(multiKrum({ f: 1 }), cs));
  });

  test("ties at the cut go to the first in origin order", () => {
    // f = 1, m = 2: [1] scores 2, then [0] and [2] tie at 5; [0] comes first.
    expect(run(multiKrum({ f: 1, m: 2 }), cs)).toEqual([0.5]);
  });

  test("its brand leaves an unset m out of the description", () => {
    expect(describePlugin(multiKrum({ f: 2 }))).toBe("multiKrum({ f: 2 })");
    expect(describePlugin(multiKrum({ f: 2, m: 5 }))).toBe("multiKrum({ f: 2, m: 5 })");
  });
});
