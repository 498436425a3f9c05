import { describe, expect, test } from "bun:test";
import { aggregateChunk } from "../../learn/aggregate.ts";
import { fedavg, krum, median, multiKrum, trimmedMean } from "../../plugins/aggregation/index.ts";
import type { Contribution } from "../../plugins/aggregation/types.ts";
import { describePlugin, type PluginFactory } from "../../plugins/plugin.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { aggregationCompliance, chunkOf } from "./aggregation-suite.ts";

// Every shipped aggregation plugin runs the suite. fedavg sums in the given order and krum breaks score ties by
// it, so neither is symmetric; median and trimmed mean depend only on the multiset of values.
aggregationCompliance({ name: "fedavg", make: () => fedavg(), options: undefined, symmetric: false });
aggregationCompliance({ name: "median", make: () => median(), options: undefined, symmetric: true });
aggregationCompliance({
  name: "trimmedMean",
  make: () => trimmedMean(),
  options: { trim: 0.1 },
  symmetric: true,
  invalid: [
    { call: () => trimmedMean({ trim: 0.5 }), field: "trimmedMean.trim" },
    { call: () => trimmedMean({ trim: -0.01 }), field: "trimmedMean.trim" },
    { call: () => trimmedMean({ trim: NaN }), field: "trimmedMean.trim" },
    { call: () => trimmedMean({ trim: "0.2" as unknown as number }), field: "trimmedMean.trim" },
  ],
});
aggregationCompliance({ name: "trimmedMean", make: () => trimmedMean({ trim: 0.3 }), options: { trim: 0.3 }, symmetric: true });
aggregationCompliance({
  name: "krum",
  make: () => krum({ f: 1 }),
  options: { f: 1 },
  symmetric: false,
  invalid: [
    { call: () => krum({ f: -1 }), field: "krum.f" },
    { call: () => krum({ f: 1.5 }), field: "krum.f" },
    // @ts-expect-error f is required: there is no safe default for how many peers may lie
    { call: () => krum({}), field: "krum.f" },
    // @ts-expect-error as above
    { call: () => krum(), field: "krum.f" },
  ],
});
aggregationCompliance({
  name: "multiKrum",
  make: () => multiKrum({ f: 1 }),
  options: { f: 1, m: undefined },
  symmetric: false,
  invalid: [
    { call: () => multiKrum({ f: NaN }), field: "multiKrum.f" },
    { call: () => multiKrum({ f: 1, m: 0 }), field: "multiKrum.m" },
    { call: () => multiKrum({ f: 1, m: 2.5 }), field: "multiKrum.m" },
  ],
});
aggregationCompliance({ name: "multiKrum", make: () => multiKrum({ f: 2, m: 3 }), options: { f: 2, m: 3 }, symmetric: false });

describe("robustness: 10 honest contributions near a point, 2 Byzantine ones claiming huge sample counts", () => {
  const length = 32;
  const noise = 0.01;
  const rng = new SeededRng("robustness");
  const centre = Float64Array.from({ length }, () => rng.range(-1, 1));
  const honest = Array.from({ length: 10 }, () => Float32Array.from(centre, (c) => c + rng.range(-noise, noise)));
  const honestMean = Float64Array.from(centre, (_, j) => honest.reduce((s, h) => s + h[j]!, 0) / honest.length);
  const dist = (x: ArrayLike<number>) => Math.hypot(...Array.from(honestMean, (m, j) => x[j]! - m));
  /** The farthest any honest contribution lies from the honest mean: "small" means no farther than this. */
  const honestRadius = Math.max(...honest.map(dist));

  const attacks: Record<string, (h: Float32Array) => Float32Array> = {
    "scaled ×100": (h) => h.map((x) => 100 * x),
    "sign-flipped": (h) => h.map((x) => -x),
    "sign-flipped ×100": (h) => h.map((x) => -100 * x),
  };
  const robust: Record<string, PluginFactory<"aggregation">> = {
    median: median(),
    trimmed: trimmedMean({ trim: 0.2 }), // drops ⌊0.2 · 12⌋ = 2 per side: enough for 2 Byzantine values
    krum: krum({ f: 2 }),
    multiKrum: multiKrum({ f: 2 }),
  };

  /** Byzantine origins sort first and last, so the fixed order puts them at both ends. */
  function contributions(attack: (h: Float32Array) => Float32Array): Contribution[] {
    const good = honest.map((data, i) => ({ origin: `h${i}`, samples: 100 + 10 * i, data }));
    const bad = [
      { origin: "a-byz", samples: 1e6, data: attack(honest[3]!) },
      { origin: "z-byz", samples: 1e6, data: attack(honest[7]!) },
    ];
    return rng.shuffle([...good, ...bad]);
  }
  const run = (factory: PluginFactory<"aggregation">, cs: Contribution[]) => {
    const r = aggregateChunk({ chunk: chunkOf(length), own: new Float32Array(length), contributions: cs, plugin: factory({}) });
    expect(r.rejected).toEqual([]);
    return r.values;
  };

  test("the honest contributions really are near one point", () => {
    expect(honestRadius).toBeGreaterThan(0);
    expect(honestRadius).toBeLessThan(noise * Math.sqrt(length));
  });

  for (const [attackName, attack] of Object.entries(attacks)) {
    test(`${attackName}: fedavg is dragged far from the honest mean`, () => {
      expect(dist(run(fedavg(), contributions(attack)))).toBeGreaterThan(50 * honestRadius);
    });

    for (const [name, factory] of Object.entries(robust)) {
      test(`${attackName}: ${describePlugin(factory)} stays within the honest values`, () => {
        const out = run(factory, contributions(attack));
        expect(dist(out)).toBeLessThanOrEqual(honestRadius);
        // Coordinate-wise too: every output value lies inside the honest values' range.
        for (let j = 0; j < length; j++) {
          const column = honest.map((h) => h[j]!);
          expect(out[j]!).toBeGreaterThanOrEqual(Math.min(...column));
          expect(out[j]!).toBeLessThanOrEqual(Math.max(...column));
        }
        if (name === "multiKrum") {
          // m = n − f = 10 best are exactly the honest ones: their plain mean, up to float32 rounding.
          out.forEach((v, j) => expect(v).toBe(Math.fround(honestMean[j]!)));
        }
      });
    }
  }
});
