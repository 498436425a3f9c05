import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { initBackend, type Tf } from "../../learn/backend.ts";
import { cnnSpec, initialWeights, mlpSpec, paramCount, specFor } from "../../learn/models.ts";
import { Trainer } from "../../learn/trainer.ts";
import type { Dataset, ModelSpec, TrainOptions } from "../../learn/types.ts";
import { SeededRng, type Rng } from "../../runtime/rng.ts";

let tf: Tf;
const trainers: Trainer[] = [];

beforeAll(async () => {
  tf = (await initBackend("auto")).tf;
});

afterAll(() => {
  for (const t of trainers) t.dispose();
});

async function trainer(spec: ModelSpec): Promise<Trainer> {
  const t = await Trainer.create(spec);
  trainers.push(t);
  return t;
}

/** Gaussian blobs around ±2 class centres in `features` dimensions: linearly separable with a wide margin. */
function blobs(n: number, features: number, classes: number, rng: Rng): Dataset {
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: features }, () => (rng.bool() ? 2 : -2)));
  const x = new Float32Array(n * features);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    y[i] = label;
    for (let j = 0; j < features; j++) x[i * features + j] = centres[label]![j]! + rng.range(-1, 1);
  }
  return { x, y, n, features, classes };
}

/** 28×28 images whose class is a bright horizontal band (row block = label) over faint noise. */
function bands(n: number, classes: number, rng: Rng): Dataset {
  const x = new Float32Array(n * 784);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    y[i] = label;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = 0.2 * rng.next();
    for (let r = 2 * label; r < 2 * label + 3; r++) for (let c = 4; c < 24; c++) x[i * 784 + r * 28 + c] = 1;
  }
  return { x, y, n, features: 784, classes };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

const smallSpec = mlpSpec([16], 12, 4);
const opts: TrainOptions = { epochs: 1, batchSize: 8, learningRate: 0.1 };

describe("models", () => {
  test("mlpSpec lays out dense kernels and biases in order", () => {
    const spec = mlpSpec();
    expect(spec.id).toBe("mlp-784-128-10");
    expect(spec.tensors.map((t) => [t.name, [...t.shape]])).toEqual([
      ["dense1/kernel", [784, 128]],
      ["dense1/bias", [128]],
      ["dense2/kernel", [128, 10]],
      ["dense2/bias", [10]],
    ]);
    expect(paramCount(spec)).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(mlpSpec([32, 16], 20, 3).id).toBe("mlp-20-32-16-3");
    expect(() => mlpSpec([0])).toThrow(/width/);
  });

  test("cnnSpec is a small 28×28×1 CNN; specFor picks by kind and checks the input size", () => {
    const spec = cnnSpec();
    expect(spec.inputShape).toEqual([28, 28, 1]);
    expect(spec.tensors.map((t) => t.name)).toEqual(["conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias", "dense1/kernel", "dense1/bias"]);
    expect(paramCount(spec)).toBeLessThan(20_000);
    expect(specFor({ kind: "cnn" }, 784, 10)).toEqual(spec);
    expect(specFor({ kind: "mlp", hidden: [64] }, 784, 10).id).toBe("mlp-784-64-10");
    expect(() => specFor({ kind: "cnn" }, 100, 10)).toThrow(/28×28/);
  });

  test("initialWeights: deterministic per seed, different across seeds, Glorot-bounded kernels, zero biases", () => {
    for (const spec of [mlpSpec(), cnnSpec()]) {
      const a = initialWeights(spec, new SeededRng(1));
      const b = initialWeights(spec, new SeededRng(1));
      const c = initialWeights(spec, new SeededRng(2));
      expect(a.length).toBe(paramCount(spec));
      expect(bits(a)).toEqual(bits(b));
      expect(a.some((v, i) => v !== c[i])).toBe(true);
      let offset = 0;
      for (const t of spec.tensors) {
        const n = t.shape.reduce((x, y) => x * y, 1);
        const part = a.subarray(offset, offset + n);
        if (t.shape.length === 1) expect(part.every((v) => v === 0)).toBe(true);
        else {
          const receptive = t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
          const limit = Math.sqrt(6 / ((t.shape.at(-2)! + t.shape.at(-1)!) * receptive));
          const max = part.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          expect(max).toBeLessThanOrEqual(limit);
          expect(max).toBeGreaterThan(0.9 * limit);
        }
        offset += n;
      }
    }
  });
});

describe("Trainer", () => {
  test("the MLP learns a linearly separable problem well above chance", async () => {
    const rng = new SeededRng("learns");
    const data = blobs(400, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w0 = initialWeights(smallSpec, rng.split("init"));
    const before = t.evaluate(w0, data);
    const r = await t.train(w0, data, range(300), { epochs: 5, batchSize: 10, learningRate: 0.05 }, rng.split("train"));
    const after = t.evaluate(r.weights, { ...data }, 400);
    expect(r.samples).toBe(300);
    expect(r.loss).toBeLessThan(before.loss);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThan(0.9);
  });

  test("same weights, data and seed give bit-identical weights; another seed does not", async () => {
    const rng = new SeededRng("determinism");
    const data = blobs(100, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w0 = initialWeights(smallSpec, rng.split("init"));
    const o: TrainOptions = { epochs: 2, batchSize: 7, learningRate: 0.1 };
    const a = await t.train(w0, data, range(50), o, new SeededRng(5));
    await t.train(initialWeights(smallSpec, new SeededRng(9)), data, range(100), o, new SeededRng(6));
    const b = await t.train(w0, data, range(50), o, new SeededRng(5));
    const c = await t.train(w0, data, range(50), o, new SeededRng(6));
    expect(bits(a.weights)).toEqual(bits(b.weights));
    expect(a.loss).toBe(b.loss);
    expect(bits(a.weights)).not.toEqual(bits(c.weights));
  });

  test("the CNN is deterministic too", async () => {
    const rng = new SeededRng("cnn determinism");
    const spec = cnnSpec();
    const data = bands(20, 10, rng.split("data"));
    const t = await trainer(spec);
    const w0 = initialWeights(spec, rng.split("init"));
    const a = await t.train(w0, data, range(20), opts, new SeededRng(1));
    const b = await t.train(w0, data, range(20), opts, new SeededRng(1));
    expect(bits(a.weights)).toEqual(bits(b.weights));
  });

  test("returns new weights and never mutates its input", async () => {
    const rng = new SeededRng("no mutation");
    const data = blobs(40, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w0 = initialWeights(smallSpec, rng.split("init"));
    const copy = w0.slice();
    const r = await t.train(w0, data, range(40), opts, rng.split("train"));
    expect(r.weights).not.toBe(w0);
    expect(r.weights.buffer).not.toBe(w0.buffer);
    expect(bits(w0)).toEqual(bits(copy));
    expect(r.weights.some((v, i) => v !== w0[i])).toBe(true);
    // Mutating the result later must not reach into the trainer or the input either.
    r.weights.fill(0);
    expect(bits(w0)).toEqual(bits(copy));
  });

  test("many train / evaluate / gradient calls do not grow the tfjs tensor count", async () => {
    const rng = new SeededRng("memory");
    const data = blobs(40, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    let w = initialWeights(smallSpec, rng.split("init"));
    w = (await t.train(w, data, range(16), opts, rng)).weights;
    t.evaluate(w, data);
    t.gradient(w, data, range(8));
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      w = (await t.train(w, data, range(16), opts, rng)).weights;
      if (i % 10 === 0) {
        t.evaluate(w, data);
        t.gradient(w, data, range(8));
      }
    }
    await expect(t.train(w, data, [], opts, rng)).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test("bad input is rejected with an error naming the problem", async () => {
    const rng = new SeededRng("bad input");
    const data = blobs(20, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w = initialWeights(smallSpec, rng.split("init"));
    const nan = w.slice();
    nan[3] = Number.NaN;
    const inf = w.slice();
    inf[7] = Number.POSITIVE_INFINITY;
    await expect(t.train(nan, data, range(10), opts, rng)).rejects.toThrow(/weight 3 is NaN/);
    await expect(t.train(inf, data, range(10), opts, rng)).rejects.toThrow(/weight 7 is Infinity/);
    await expect(t.train(w.subarray(1), data, range(10), opts, rng)).rejects.toThrow(/weights have \d+ floats, model mlp-12-16-4 has \d+/);
    await expect(t.train(w, data, [], opts, rng)).rejects.toThrow(/no examples/);
    await expect(t.train(w, data, [0, 20], opts, rng)).rejects.toThrow(/indices\[1\] = 20/);
    await expect(t.train(w, data, [1.5], opts, rng)).rejects.toThrow(/indices\[0\] = 1.5/);
    await expect(t.train(w, data, range(10), { ...opts, batchSize: 0 }, rng)).rejects.toThrow(/batchSize/);
    await expect(t.train(w, data, range(10), { ...opts, epochs: 0 }, rng)).rejects.toThrow(/epochs/);
    await expect(t.train(w, data, range(10), { ...opts, learningRate: Number.NaN }, rng)).rejects.toThrow(/learningRate/);
    await expect(t.train(w, { ...data, features: 13 }, range(10), opts, rng)).rejects.toThrow(/13 features/);
    expect(() => t.gradient(nan, data, range(4))).toThrow(/weight 3 is NaN/);
    expect(() => t.evaluate(w, data, 0)).toThrow(/no examples/);
  });

  test("a learning rate that blows up is reported as divergence, not returned", async () => {
    const rng = new SeededRng("diverge");
    const data = blobs(40, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w = initialWeights(smallSpec, rng.split("init"));
    await expect(t.train(w, data, range(40), { epochs: 3, batchSize: 4, learningRate: 1e30 }, rng)).rejects.toThrow(/diverged/);
  });

  test("the CNN trains: loss drops over a few steps", async () => {
    const rng = new SeededRng("cnn trains");
    const spec = cnnSpec();
    const data = bands(60, 10, rng.split("data"));
    const t = await trainer(spec);
    const w0 = initialWeights(spec, rng.split("init"));
    const before = t.evaluate(w0, data);
    const r = await t.train(w0, data, range(60), { epochs: 3, batchSize: 10, learningRate: 0.1 }, rng.split("train"));
    const after = t.evaluate(r.weights, data);
    expect(after.loss).toBeLessThan(0.8 * before.loss);
    expect(after.accuracy).toBeGreaterThan(before.accuracy);
  });

  test("gradient: right length, finite, and one full-batch SGD step is exactly weights − lr · gradient", async () => {
    const rng = new SeededRng("gradient");
    const data = blobs(30, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w = initialWeights(smallSpec, rng.split("init"));
    const g = t.gradient(w, data, range(30));
    expect(g.length).toBe(paramCount(smallSpec));
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
    const lr = 0.5;
    const stepped = await t.train(w, data, range(30), { epochs: 1, batchSize: 30, learningRate: lr }, rng);
    let worst = 0;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(stepped.weights[i]! - (w[i]! - lr * g[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });

  test("gradient over many examples is the mean over its batches", async () => {
    const rng = new SeededRng("gradient batches");
    const data = blobs(1200, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w = initialWeights(smallSpec, rng.split("init"));
    const all = t.gradient(w, data, range(1200));
    const first = t.gradient(w, data, range(600));
    const second = t.gradient(w, data, range(600).map((i) => i + 600));
    for (let i = 0; i < all.length; i++) expect(all[i]!).toBeCloseTo((first[i]! + second[i]!) / 2, 5);
  });

  test("yieldToLoop is awaited during training, and concurrent train calls are serialised", async () => {
    const rng = new SeededRng("yield");
    const data = blobs(200, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const wa = initialWeights(smallSpec, rng.split("a"));
    const wb = initialWeights(smallSpec, rng.split("b"));
    const o: TrainOptions = { epochs: 2, batchSize: 5, learningRate: 0.1 };
    const alone = [await t.train(wa, data, range(200), o, new SeededRng(1)), await t.train(wb, data, range(100), o, new SeededRng(2))];
    let yields = 0;
    const yieldToLoop = async () => {
      yields++;
      // While a train is suspended here, evaluate may run: it must not disturb it.
      t.evaluate(wb, data, 50);
      await Promise.resolve();
    };
    const both = await Promise.all([
      t.train(wa, data, range(200), o, new SeededRng(1), yieldToLoop),
      t.train(wb, data, range(100), o, new SeededRng(2), yieldToLoop),
    ]);
    expect(yields).toBeGreaterThan(4);
    expect(bits(both[0]!.weights)).toEqual(bits(alone[0]!.weights));
    expect(bits(both[1]!.weights)).toEqual(bits(alone[1]!.weights));
  });

  test("evaluate works in batches and honours maxExamples", async () => {
    const rng = new SeededRng("evaluate");
    const data = blobs(2500, 12, 4, rng.split("data"));
    const t = await trainer(smallSpec);
    const w = (await t.train(initialWeights(smallSpec, rng.split("init")), data, range(2500), opts, rng)).weights;
    const all = t.evaluate(w, data);
    const some = t.evaluate(w, data, 1000);
    const firstThousand = t.evaluate(w, { ...data, n: 1000 });
    expect(some).toEqual(firstThousand);
    expect(all.accuracy).toBeGreaterThan(0.9);
    expect(Number.isFinite(all.loss)).toBe(true);
  });
});
