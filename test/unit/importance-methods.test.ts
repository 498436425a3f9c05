import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chunkLayout } from "../../learn/chunking.ts";
import { synthetic } from "../../learn/data.ts";
import { initialWeights, mlpSpec } from "../../learn/models.ts";
import { createProbe } from "../../learn/probe.ts";
import { Trainer } from "../../learn/trainer.ts";
import type { ChunkLayout, Dataset } from "../../learn/types.ts";
import {
  adaptive,
  fisher,
  l2,
  magnitude,
  random,
  snip,
  tensorDepths,
  type ImportanceInput,
  type ImportancePlugin,
  type ImportanceProbe,
} from "../../plugins/importance/index.ts";
import { describePlugin, type PluginFactory } from "../../plugins/plugin.ts";
import { ring } from "../../plugins/topology/index.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { importanceMax } from "../../swarm/limits.ts";
import { layoutOf } from "../compliance/importance-suite.ts";

const make = (factory: PluginFactory<"importance">, seed = 1): ImportancePlugin => factory({ rng: new SeededRng(seed) });

/** A probe that answers fixed vectors, whatever the count. */
function fixedProbe(gradient: number[], squared: number[] = gradient.map((g) => g * g)): ImportanceProbe {
  return { gradient: () => Float32Array.from(gradient), squaredGradient: () => Float32Array.from(squared) };
}

/** Input whose update is `delta` (before = 0, after = delta). */
function update(layout: ChunkLayout, delta: number[], round = 0): ImportanceInput {
  return { round, layout, before: new Float32Array(delta.length), after: Float32Array.from(delta) };
}

describe("magnitude over a window", () => {
  const layout = layoutOf([["w", 2]]);
  const moved = (m: number, round: number) => update(layout, [m, -m], round);

  test("window 1 is this round's mean |Δw| alone", () => {
    const plugin = make(magnitude({ window: 1, varianceWeight: 5 }));
    expect(plugin.score(moved(1, 0))).toEqual([1]);
    expect(plugin.score(moved(3, 1))).toEqual([3]);
  });

  test("scores the mean plus varianceWeight × std of the last `window` rounds", () => {
    const plugin = make(magnitude({ window: 2, varianceWeight: 0.5 }));
    expect(plugin.score(moved(1, 0))).toEqual([1]); // one round: std 0
    expect(plugin.score(moved(3, 1))).toEqual([2 + 0.5 * 1]); // {1, 3}: mean 2, std 1
    expect(plugin.score(moved(7, 2))).toEqual([5 + 0.5 * 2]); // {3, 7}: round 0 has left the window
  });

  test("scoring a round again replaces it; a new layout starts over", () => {
    const plugin = make(magnitude({ window: 3 }));
    plugin.score(moved(1, 0));
    plugin.score(moved(5, 1));
    expect(plugin.score(moved(3, 1))).toEqual([2]); // {1, 3}, not {1, 5, 3}
    const wider = layoutOf([["w", 1], ["b", 1]]);
    expect(plugin.score(update(wider, [4, 2], 2))).toEqual([4, 2]);
  });

  test("each instance keeps its own history", () => {
    const factory = magnitude({ window: 2 });
    const a = make(factory);
    const b = make(factory);
    a.score(moved(10, 0));
    expect(b.score(moved(2, 0))).toEqual([2]);
    expect(a.score(moved(2, 1))).toEqual([6]);
  });

  test("a non-finite round counts as 0 in the window", () => {
    const plugin = make(magnitude({ window: 2 }));
    plugin.score(update(layout, [NaN, 0], 0));
    expect(plugin.score(moved(4, 1))).toEqual([2]);
  });
});

describe("l2", () => {
  test("is the root mean square of each chunk's update", () => {
    const layout = layoutOf([["a", 2], ["a", 4], ["b", 1], ["c", 0]]);
    const scores = make(l2()).score(update(layout, [3, 4, 1, -1, 1, -1, -2]));
    expect(scores[0]).toBeCloseTo(5 / Math.SQRT2, 12);
    expect(scores.slice(1)).toEqual([1, 2, 0]);
  });

  test("depthFactor scales by the tensor's position, 0 for the first tensor and 1 for the last", () => {
    const layout = layoutOf([["a", 1], ["a", 1], ["b", 1], ["c", 1]]);
    expect(Object.fromEntries(tensorDepths(layout))).toEqual({ a: 0, b: 0.5, c: 1 });
    expect(make(l2({ depthFactor: 2 })).score(update(layout, [1, 1, 1, 1]))).toEqual([1, 1, 2, 3]);
    expect(make(l2({ depthFactor: -1 })).score(update(layout, [1, 1, 1, 1]))).toEqual([1, 1, 0.5, 0]);
    expect(Object.fromEntries(tensorDepths(layoutOf([["only", 3]])))).toEqual({ only: 0 });
  });

  test("non-finite chunks score 0, huge ones are capped", () => {
    const layout = layoutOf([["a", 2], ["b", 1], ["c", 1]]);
    expect(make(l2()).score(update(layout, [NaN, 1, Infinity, 3e38]))).toEqual([0, 0, importanceMax]);
  });

  test("rejects weights that do not match the layout", () => {
    const layout = layoutOf([["a", 2]]);
    expect(() => make(l2()).score({ round: 0, layout, before: new Float32Array(2), after: new Float32Array(3) })).toThrow("l2: layout has 2 floats, after has 3");
  });
});

describe("snip and fisher on a fixed probe", () => {
  const layout = layoutOf([["a", 2], ["b", 2], ["c", 1]]);
  const input: ImportanceInput = {
    round: 0,
    layout,
    before: new Float32Array(5),
    after: Float32Array.from([3, 0.5, 0, 0, 2]),
    probe: fixedProbe([1, -2, 5, 7, NaN], [1, 4, 0.5, 1.5, 2]),
  };

  test("snip is the mean |g ⊙ w| per chunk; all-zero weights score 0 whatever the gradient", () => {
    expect(make(snip()).score(input)).toEqual([(3 + 1) / 2, 0, 0]);
  });

  test("fisher is the mean squared gradient per chunk", () => {
    expect(make(fisher()).score(input)).toEqual([2.5, 1, 2]);
  });

  test("both ask the probe for their `examples`", () => {
    const asked: string[] = [];
    const probe: ImportanceProbe = {
      gradient: (n) => (asked.push(`g${n}`), new Float32Array(5)),
      squaredGradient: (n) => (asked.push(`s${n}`), new Float32Array(5)),
    };
    make(snip()).score({ ...input, probe });
    make(snip({ examples: 8 })).score({ ...input, probe });
    make(fisher({ examples: 100 })).score({ ...input, probe });
    expect(asked).toEqual(["g32", "g8", "s100"]);
  });

  test("without a probe they say what they need", () => {
    const { probe: _, ...bare } = input;
    expect(() => make(snip()).score(bare)).toThrow("snip needs a probe of the model and data");
    expect(() => make(fisher()).score(bare)).toThrow("fisher needs a probe of the model and data");
  });

  test("a probe answer of the wrong length is refused", () => {
    expect(() => make(snip()).score({ ...input, probe: fixedProbe([1, 2]) })).toThrow("snip: layout has 5 floats, probe.gradient has 2");
  });
});

describe("adaptive", () => {
  const layout = layoutOf([["a", 2], ["b", 1]]);
  const at = (round: number) => update(layout, [3, 4, -1], round);

  test("scores with early before switchRound and late from it on", () => {
    const plugin = make(adaptive({ early: magnitude(), late: l2(), switchRound: 2 }));
    const early = make(magnitude()).score(at(0));
    const late = make(l2()).score(at(0));
    expect(early).not.toEqual(late);
    expect([0, 1, 2, 3].map((r) => plugin.score(at(r)))).toEqual([early, early, late, late]);
  });

  test("is described with its sub-methods as written", () => {
    expect(describePlugin(adaptive({ early: magnitude(), late: fisher({ examples: 64 }), switchRound: 5 }))).toBe(
      'adaptive({ early: "magnitude()", late: "fisher({ examples: 64 })", switchRound: 5 })',
    );
  });

  test("sub-methods get their own rngs, split from the instance's", () => {
    const input = at(0);
    const a = make(adaptive({ early: random(), late: random(), switchRound: 1 }), 9).score(input);
    expect(make(adaptive({ early: random(), late: random(), switchRound: 1 }), 9).score(input)).toEqual(a);
    expect(a).toEqual(random()({ rng: new SeededRng(9).split("early") }).score(input));
  });

  test("rejects anything but importance plugins, naming the field and what it got", () => {
    expect(() => adaptive({ early: ring() as never, late: fisher(), switchRound: 1 })).toThrow(
      "adaptive.early: expected an importance plugin such as magnitude() or fisher(), got a topology plugin (ring({ degree: 2 }))",
    );
    expect(() => adaptive({ early: magnitude(), late: undefined as never, switchRound: 1 })).toThrow("adaptive.late: expected an importance plugin");
    expect(() => adaptive({ early: magnitude(), late: fisher(), switchRound: 1.5 })).toThrow("adaptive.switchRound: expected an integer");
    expect(() => adaptive({ early: magnitude(), late: fisher(), switchRound: 1, rule: "x" } as never)).toThrow("adaptive.rule: unknown option");
  });
});

describe("options", () => {
  test("errors name the field and the value", () => {
    expect(() => magnitude({ window: 0 })).toThrow("magnitude.window: expected an integer in [1, 64], got 0");
    expect(() => magnitude({ varianceWeight: -0.5 })).toThrow("magnitude.varianceWeight: expected a finite number ≥ 0, got -0.5");
    expect(() => l2({ depthFactor: -1.5 })).toThrow("l2.depthFactor: expected a finite number ≥ -1, got -1.5");
    expect(() => snip({ examples: 0 })).toThrow("snip.examples: expected an integer in [1, 4096], got 0");
    expect(() => fisher({ exmples: 3 } as never)).toThrow("fisher.exmples: unknown option (known: examples)");
    expect(() => snip(null as never)).toThrow("snip: options must be an object, got null");
  });

  test("brands record the options that differ from the defaults", () => {
    const written = [magnitude(), magnitude({ window: 1 }), magnitude({ window: 4, varianceWeight: 1 }), l2(), l2({ depthFactor: 0.5 }), snip(), snip({ examples: 64 }), fisher()].map(
      describePlugin,
    );
    expect(written).toEqual(["magnitude()", "magnitude()", "magnitude({ window: 4, varianceWeight: 1 })", "l2()", "l2({ depthFactor: 0.5 })", "snip()", "snip({ examples: 64 })", "fisher()"]);
  });
});

describe("on a tiny MLP with a real probe", () => {
  const spec = mlpSpec([8], 20, 4);
  /** dense1/kernel (160 floats) in 3 chunks, then dense1/bias, dense2/kernel, dense2/bias whole. */
  const layout = chunkLayout(spec, 64);
  let trainer: Trainer;
  let data: Dataset;
  const shard = Uint32Array.from({ length: 48 }, (_, i) => i);
  let before: Float32Array;
  let after: Float32Array;

  beforeAll(async () => {
    trainer = await Trainer.create(spec);
    data = synthetic({ examples: 64, features: 20, classes: 4, rng: new SeededRng("importance-data"), noise: 1.5 });
    before = initialWeights(spec, new SeededRng("importance-init"));
    after = (await trainer.train(before, data, shard, { epochs: 3, batchSize: 8, learningRate: 0.05 }, new SeededRng(2))).weights;
  });

  afterAll(() => trainer.dispose());

  const probeAt = (weights: Float32Array, seed = 1) => createProbe({ trainer, weights, data, shard, rng: new SeededRng(seed) });
  const chunkOf = (tensor: string) => layout.chunks.find((c) => c.tensor === tensor)!;

  test("the layout is the one the checks below assume", () => {
    expect(layout.chunks.map((c) => [c.tensor, c.length])).toEqual([
      ["dense1/kernel", 54],
      ["dense1/kernel", 53],
      ["dense1/kernel", 53],
      ["dense1/bias", 8],
      ["dense2/kernel", 32],
      ["dense2/bias", 4],
    ]);
  });

  test("snip and fisher give finite scores, positive on every trained chunk", () => {
    for (const factory of [snip(), fisher(), snip({ examples: 5 }), fisher({ examples: 1000 })]) {
      const scores = make(factory).score({ round: 0, layout, before, after, probe: probeAt(after) });
      expect(scores).toHaveLength(layout.chunks.length);
      for (const s of scores) expect(Number.isFinite(s) && s > 0 && s <= importanceMax).toBe(true);
    }
  });

  test("snip scores a chunk whose weights are all zero 0, fisher does not", () => {
    const bias = chunkOf("dense1/bias");
    const pruned = after.slice();
    pruned.fill(0, bias.start, bias.start + bias.length);
    const input = { round: 0, layout, before, after: pruned, probe: probeAt(pruned) };
    const s = make(snip()).score(input);
    expect(s[bias.index]).toBe(0);
    expect(s.filter((v) => v > 0)).toHaveLength(layout.chunks.length - 1);
    expect(make(fisher()).score({ ...input, probe: probeAt(pruned) })[bias.index]).toBeGreaterThan(0);
  });

  test("the same seed gives the same scores; another seed samples other examples", () => {
    const score = (seed: number) => make(snip({ examples: 8 })).score({ round: 0, layout, before, after, probe: probeAt(after, seed) });
    expect(score(4)).toEqual(score(4));
    expect(score(5)).not.toEqual(score(4));
  });

  test("squaredGradient of one example is that example's gradient squared", () => {
    const g = trainer.gradient(after, data, [7]);
    const s = trainer.squaredGradient(after, data, [7]);
    expect(s).toHaveLength(g.length);
    for (let i = 0; i < g.length; i += 7) expect(s[i]!).toBeCloseTo(g[i]! ** 2, 6);
  });

  test("squaredGradient averages per-example squares (not the square of the mean)", () => {
    const g1 = trainer.gradient(after, data, [3]);
    const g2 = trainer.gradient(after, data, [10]);
    const s = trainer.squaredGradient(after, data, [3, 10]);
    const mean = trainer.gradient(after, data, [3, 10]);
    let jensenGap = 0;
    for (let i = 0; i < s.length; i++) {
      expect(s[i]!).toBeCloseTo((g1[i]! ** 2 + g2[i]! ** 2) / 2, 6);
      jensenGap += s[i]! - mean[i]! ** 2;
    }
    expect(jensenGap).toBeGreaterThan(0);
  });

  test("the probe samples up to `examples` of the shard once, by its seed, and hands out copies", () => {
    const probe = probeAt(after, 3);
    const all = probe.gradient(1000);
    const full = trainer.gradient(after, data, shard);
    for (let i = 0; i < all.length; i++) expect(all[i]!).toBeCloseTo(full[i]!, 5);
    const few = probe.gradient(4);
    expect(few).not.toEqual(all);
    few.fill(0);
    expect(probe.gradient(4)).not.toEqual(few);
    expect(probe.gradient(4)).toEqual(probeAt(after, 3).gradient(4));
    // The squared gradient of the first example drawn equals its gradient squared: both took the same prefix.
    const one = probe.gradient(1);
    const sq = probe.squaredGradient(1);
    for (let i = 0; i < one.length; i += 11) expect(sq[i]!).toBeCloseTo(one[i]! ** 2, 6);
  });

  test("the probe refuses a bad count and an empty shard", () => {
    expect(() => probeAt(after).gradient(0)).toThrow("probe.gradient: examples must be an integer ≥ 1, got 0");
    expect(() => probeAt(after).squaredGradient(2.5)).toThrow("probe.squaredGradient: examples");
    expect(() => createProbe({ trainer, weights: after, data, shard: [], rng: new SeededRng(1) })).toThrow("createProbe: shard is empty");
  });
});
