/**
 * The importance compliance suite (STYLE 7): what every importance plugin must do, whatever it measures. A
 * plugin's test calls `importanceCompliance` with a way to make its factory; the suite registers bun tests.
 */
import { describe, expect, test } from "bun:test";
import type { ChunkLayout } from "../../learn/types.ts";
import type { ImportanceInput, ImportanceProbe } from "../../plugins/importance/types.ts";
import { describePlugin, isPlugin, type PluginFactory } from "../../plugins/plugin.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { importanceMax } from "../../swarm/limits.ts";

export interface ImportanceCase {
  /** A fresh factory per call (the suite compares instances made from separate calls). */
  make: () => PluginFactory<"importance">;
  /** Calls with bad options, each with the `plugin.field` its error must name. */
  badOptions?: ReadonlyArray<readonly [call: () => unknown, field: string]>;
}

/** Rounds each check scores in sequence: enough to fill a history window and cross an adaptive switch. */
const rounds = 6;

/**
 * Two tensors of two layers, a chunk split across a tensor, a zero-length chunk (the contract allows it) and a
 * one-float chunk.
 */
export const suiteLayout: ChunkLayout = layoutOf([
  ["dense1/kernel", 4],
  ["dense1/kernel", 3],
  ["dense1/bias", 2],
  ["dense2/kernel", 0],
  ["dense2/kernel", 5],
  ["dense2/bias", 1],
]);

export function layoutOf(chunks: ReadonlyArray<readonly [tensor: string, length: number]>): ChunkLayout {
  let start = 0;
  const specs = chunks.map(([tensor, length], index) => {
    const c = { index, tensor, start, length };
    start += length;
    return c;
  });
  return { chunks: specs, totalFloats: start, hash: new Uint8Array(32) };
}

/**
 * A probe whose answers depend only on the count asked for; it hands out the SAME array per count so the
 * suite can tell whether a plugin wrote into it. One gradient entry is NaN: a broken loss must not break scores.
 */
export function fakeProbe(floats: number): ImportanceProbe & { answers: Map<string, Float32Array> } {
  const answers = new Map<string, Float32Array>();
  const answer = (kind: string, examples: number, f: (i: number) => number) => {
    const key = `${kind}:${examples}`;
    let a = answers.get(key);
    if (!a) answers.set(key, (a = Float32Array.from({ length: floats }, (_, i) => f(i))));
    return a;
  };
  return {
    answers,
    gradient: (examples) => answer("gradient", examples, (i) => (i === 5 ? NaN : Math.sin(i + examples) / 4)),
    squaredGradient: (examples) => answer("squaredGradient", examples, (i) => Math.sin(i + examples) ** 2 / 16),
  };
}

/**
 * Round `round`'s input: weights in [−1, 1), a small update, and the troubles a real update may carry — a NaN
 * (round 1) and an Infinity (round 2) in the 5-float chunk, and a jump near float32's max in the last chunk
 * (from round 3) that every method must cap.
 */
export function suiteInput(round: number, layout: ChunkLayout = suiteLayout, withProbe = true): ImportanceInput {
  const rng = new SeededRng(`importance-suite:${round}`);
  const n = layout.totalFloats;
  const before = Float32Array.from({ length: n }, () => rng.range(-1, 1));
  const after = before.map((w) => w + rng.range(-0.1, 0.1));
  if (round === 1) after[10] = NaN;
  if (round === 2) after[11] = Infinity;
  if (round >= 3) after[n - 1] = 3e38;
  return withProbe ? { round, layout, before, after, probe: fakeProbe(n) } : { round, layout, before, after };
}

/** Scores rounds 0 … rounds−1 with one fresh instance of `factory` seeded `seed`. */
function scoreRounds(factory: PluginFactory<"importance">, seed: number): number[][] {
  const plugin = factory({ rng: new SeededRng(seed) });
  return Array.from({ length: rounds }, (_, r) => plugin.score(suiteInput(r)));
}

/** The bit patterns of `values` (toEqual on floats would call NaN unequal to itself). */
function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

export function importanceCompliance(c: ImportanceCase): void {
  const title = describePlugin(c.make());
  describe(`importance compliance: ${title}`, () => {
    test("is a branded importance plugin whose instances carry its name", () => {
      const factory = c.make();
      expect(isPlugin(factory, "importance")).toBe(true);
      const plugin = factory({ rng: new SeededRng(1) });
      expect(plugin.name).toBe(factory.pluginName);
      expect(title.startsWith(`${plugin.name}(`)).toBe(true);
    });

    test("one finite score in [0, importanceMax] per chunk, every round, caps included", () => {
      for (const scores of scoreRounds(c.make(), 1)) {
        expect(scores).toHaveLength(suiteLayout.chunks.length);
        for (const s of scores) {
          expect(typeof s).toBe("number");
          expect(Number.isFinite(s) && s >= 0 && s <= importanceMax).toBe(true);
        }
      }
    });

    test("fresh instances with the same seed give the same scores round after round", () => {
      expect(scoreRounds(c.make(), 7)).toEqual(scoreRounds(c.make(), 7));
    });

    test("does not write into its input (weights, layout, probe answers)", () => {
      const plugin = c.make()({ rng: new SeededRng(3) });
      for (let r = 0; r < rounds; r++) {
        const input = suiteInput(r);
        const layoutBefore = JSON.stringify(input.layout, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v));
        const weightsBefore = [bits(input.before), bits(input.after)];
        plugin.score(input);
        expect(bits(input.before)).toEqual(weightsBefore[0]!);
        expect(bits(input.after)).toEqual(weightsBefore[1]!);
        expect(JSON.stringify(input.layout, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v))).toBe(layoutBefore);
        const probe = input.probe as ReturnType<typeof fakeProbe>;
        const fresh = fakeProbe(input.layout.totalFloats);
        for (const [key, answer] of probe.answers) {
          const [kind, examples] = key.split(":") as ["gradient" | "squaredGradient", string];
          expect(bits(answer)).toEqual(bits(fresh[kind](Number(examples))));
        }
      }
    });

    test("without a probe it either scores within the contract or says it needs one", () => {
      const plugin = c.make()({ rng: new SeededRng(1) });
      for (let r = 0; r < rounds; r++) {
        let scores: number[];
        try {
          scores = plugin.score(suiteInput(r, suiteLayout, false));
        } catch (e) {
          expect((e as Error).message).toMatch(/needs a probe of the model and data/);
          continue;
        }
        expect(scores).toHaveLength(suiteLayout.chunks.length);
        for (const s of scores) expect(Number.isFinite(s) && s >= 0 && s <= importanceMax).toBe(true);
      }
    });

    test("an empty layout gets no scores", () => {
      const empty = layoutOf([]);
      const plugin = c.make()({ rng: new SeededRng(1) });
      expect(plugin.score({ round: 0, layout: empty, before: new Float32Array(0), after: new Float32Array(0), probe: fakeProbe(0) })).toEqual([]);
    });

    if (c.badOptions?.length) {
      test("bad options are rejected when the factory is made, naming the field", () => {
        for (const [call, field] of c.badOptions!) expect(call).toThrow(field);
      });
    }
  });
}
