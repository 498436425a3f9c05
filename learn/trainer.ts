/**
 * Local training, evaluation and gradients for one model spec. ONE Trainer serves every peer of a process:
 * it holds one set of tf.Variables and loads a peer's flat weights into them per `train` call, so 100 peers
 * do not hold 100 tfjs models. `train` calls are queued (FIFO): a call that awaits `yieldToLoop` keeps the
 * variables until it returns. `evaluate` and `gradient` never touch the variables (they build their own
 * tensors from the weights), so they may run while a `train` is suspended.
 *
 * Everything tfjs is created inside tf.tidy or disposed explicitly: repeated calls do not grow
 * tf.memory().numTensors.
 */
import type * as tfc from "@tensorflow/tfjs-core";
import type { Rng } from "../runtime/rng.ts";
import { initBackend, type Tf } from "./backend.ts";
import { crossEntropy, forward, inputSize, paramCount, tensorSize } from "./models.ts";
import type { Dataset, EvalResult, ModelSpec, TrainOptions, TrainResult } from "./types.ts";

/** Examples per evaluate batch: bounds the activations held at once (1000 × 784 floats ≈ 3 MB in). */
const evalBatchMax = 1000;
/** Examples per gradient batch: backprop keeps every activation of the batch alive. */
const gradientBatchMax = 500;
/** SGD steps between `yieldToLoop` calls: ~20–40 ms of work on wasm, short enough for sockets and timers. */
const stepsPerYield = 16;

export class Trainer {
  readonly spec: ModelSpec;
  private readonly tf: Tf;
  private readonly vars: tfc.Variable[];
  private readonly features: number;
  private readonly floats: number;
  /** Tail of the FIFO of train calls; each waits for the previous one to release the variables. */
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  /** A trainer on `backend`'s tfjs, or on the process's backend (initBackend("auto")) when none is given. */
  static async create(spec: ModelSpec, backend?: { tf: Tf }): Promise<Trainer> {
    const tf = backend?.tf ?? (await initBackend("auto")).tf;
    return new Trainer(spec, tf);
  }

  constructor(spec: ModelSpec, tf: Tf) {
    if (spec.tensors.length === 0 || spec.tensors.length % 2 !== 0) {
      throw new Error(`Trainer: spec ${spec.id} must list kernel/bias pairs, got ${spec.tensors.length} tensors`);
    }
    this.spec = spec;
    this.tf = tf;
    this.features = inputSize(spec);
    this.floats = paramCount(spec);
    this.vars = spec.tensors.map((t) => tf.tidy(() => tf.variable(tf.zeros([...t.shape]), true)));
  }

  /** Frees the variables; the trainer is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars) v.dispose();
  }

  /**
   * Plain SGD on softmax cross-entropy over the examples `indices` of `data`, `opts.epochs` times, in
   * minibatches of `opts.batchSize` (the last may be smaller) shuffled by `rng` each epoch. Returns new
   * weights (never the input array); `loss` is the mean over the last epoch. Throws on bad input (wrong
   * length, NaN/Infinity weights, empty or out-of-range indices, bad options) and when training diverges.
   */
  async train(
    weights: Float32Array,
    data: Dataset,
    indices: ArrayLike<number>,
    opts: TrainOptions,
    rng: Rng,
    yieldToLoop?: () => Promise<void>,
  ): Promise<TrainResult> {
    this.checkWeights("train", weights);
    this.checkData("train", data);
    checkOptions(opts);
    const order = this.checkIndices("train", data, indices);

    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await this.trainLocked(weights, data, order, opts, rng, yieldToLoop);
    } finally {
      release();
    }
  }

  private async trainLocked(
    weights: Float32Array,
    data: Dataset,
    order: number[],
    opts: TrainOptions,
    rng: Rng,
    yieldToLoop: (() => Promise<void>) | undefined,
  ): Promise<TrainResult> {
    const { tf, features } = this;
    const classes = this.spec.classes;
    const batchMax = Math.min(opts.batchSize, order.length);
    const xBuf = new Float32Array(batchMax * features);
    const yBuf = new Float32Array(batchMax * classes);
    // Batch losses stay on the device until the epoch ends: reading one back per step would force a sync
    // per step on a GPU backend.
    const losses: tfc.Scalar[] = [];
    const sizes: number[] = [];
    let steps = 0;
    let loss = Number.NaN;
    this.load(weights);
    try {
      for (let epoch = 0; epoch < opts.epochs; epoch++) {
        rng.shuffle(order);
        for (let start = 0; start < order.length; start += batchMax) {
          const b = Math.min(batchMax, order.length - start);
          yBuf.fill(0);
          for (let k = 0; k < b; k++) {
            const e = order[start + k]!;
            xBuf.set(data.x.subarray(e * features, (e + 1) * features), k * features);
            yBuf[k * classes + data.y[e]!] = 1;
          }
          losses.push(this.step(xBuf.subarray(0, b * features), yBuf.subarray(0, b * classes), b, opts.learningRate));
          sizes.push(b);
          if (yieldToLoop && ++steps % stepsPerYield === 0) await yieldToLoop();
        }
        // Σ batch mean × batch size / examples = the epoch's mean loss.
        const total = tf.tidy(() => tf.sum(tf.mul(tf.stack(losses), tf.tensor1d(sizes))));
        loss = total.dataSync()[0]! / order.length;
        total.dispose();
        tf.dispose(losses.splice(0));
        sizes.length = 0;
        if (!Number.isFinite(loss)) {
          throw new Error(`train: diverged in epoch ${epoch + 1} (mean loss ${loss}); lower the learning rate (${opts.learningRate})`);
        }
      }
    } finally {
      tf.dispose(losses);
    }
    const out = this.read();
    const bad = firstNonFinite(out);
    if (bad >= 0) throw new Error(`train: diverged (weight ${bad} is ${out[bad]}); lower the learning rate (${opts.learningRate})`);
    return { weights: out, loss, samples: order.length };
  }

  /** One SGD step on a batch already in `x` (b × features) and one-hot `y`; returns the batch's mean loss (kept). */
  private step(x: Float32Array, y: Float32Array, b: number, lr: number): tfc.Scalar {
    const { tf } = this;
    return tf.tidy(() => {
      const xt = tf.tensor2d(x, [b, this.features]);
      const yt = tf.tensor2d(y, [b, this.spec.classes]);
      // The learning rate scales the loss's gradient, so each gradient is already the step to subtract.
      const { value, grads } = tf.variableGrads(() => crossEntropy(tf, forward(tf, this.spec, this.vars, xt), yt, lr), this.vars);
      for (const v of this.vars) v.assign(tf.sub(v, grads[v.name]!));
      return value;
    });
  }

  /**
   * Accuracy and mean cross-entropy over the first `maxExamples` examples of `data` (all by default), in
   * batches of 1000. Weights with NaN give a NaN loss (a diverged model is reported, not rejected).
   */
  evaluate(weights: Float32Array, data: Dataset, maxExamples?: number): EvalResult {
    this.checkWeights("evaluate", weights, { allowNonFinite: true });
    this.checkData("evaluate", data);
    const n = Math.min(data.n, maxExamples ?? data.n);
    if (!(n >= 1)) throw new Error(`evaluate: no examples (data.n = ${data.n}, maxExamples = ${maxExamples})`);
    const { tf, features } = this;
    const classes = this.spec.classes;
    const params = this.tensors(weights);
    let correct = 0;
    let lossSum = 0;
    try {
      for (let start = 0; start < n; start += evalBatchMax) {
        const b = Math.min(evalBatchMax, n - start);
        const logits = tf.tidy(() => {
          const xt = tf.tensor2d(data.x.subarray(start * features, (start + b) * features), [b, features]);
          return forward(tf, this.spec, params, xt);
        });
        const z = logits.dataSync();
        logits.dispose();
        for (let k = 0; k < b; k++) {
          const label = data.y[start + k]!;
          const row = k * classes;
          let best = 0;
          let max = z[row]!;
          for (let c = 1; c < classes; c++) {
            if (z[row + c]! > max) {
              max = z[row + c]!;
              best = c;
            }
          }
          if (best === label) correct++;
          let sumExp = 0;
          for (let c = 0; c < classes; c++) sumExp += Math.exp(z[row + c]! - max);
          lossSum += Math.log(sumExp) + max - z[row + label]!;
        }
      }
    } finally {
      for (const p of params) p.dispose();
    }
    return { accuracy: correct / n, loss: lossSum / n };
  }

  /** Mean gradient of the loss over the examples `indices`, flat in spec order (for importance plugins). */
  gradient(weights: Float32Array, data: Dataset, indices: ArrayLike<number>): Float32Array {
    this.checkWeights("gradient", weights);
    this.checkData("gradient", data);
    const order = this.checkIndices("gradient", data, indices);
    const { tf, features } = this;
    const classes = this.spec.classes;
    const params = this.tensors(weights);
    const sum = new Float64Array(this.floats);
    try {
      for (let start = 0; start < order.length; start += gradientBatchMax) {
        const b = Math.min(gradientBatchMax, order.length - start);
        const x = new Float32Array(b * features);
        const y = new Float32Array(b * classes);
        for (let k = 0; k < b; k++) {
          const e = order[start + k]!;
          x.set(data.x.subarray(e * features, (e + 1) * features), k * features);
          y[k * classes + data.y[e]!] = 1;
        }
        const grads = tf.tidy(() => {
          const xt = tf.tensor2d(x, [b, features]);
          const yt = tf.tensor2d(y, [b, classes]);
          // Batch mean × batch share = this batch's part of the mean over all `indices`.
          const share = b / order.length;
          const f = (...ps: tfc.Tensor[]) => crossEntropy(tf, forward(tf, this.spec, ps, xt), yt, share);
          return tf.grads(f)(params);
        });
        let offset = 0;
        for (const g of grads) {
          const values = g.dataSync();
          for (let i = 0; i < values.length; i++) sum[offset + i]! += values[i]!;
          offset += values.length;
          g.dispose();
        }
      }
    } finally {
      for (const p of params) p.dispose();
    }
    return Float32Array.from(sum);
  }

  /**
   * Mean over the examples `indices` of each example's squared loss gradient, flat in spec order: the diagonal of
   * the empirical Fisher information (for importance plugins). tfjs has no per-example gradients, so this takes
   * one backward pass per example; the running sums stay on the backend and are read back once.
   */
  squaredGradient(weights: Float32Array, data: Dataset, indices: ArrayLike<number>): Float32Array {
    this.checkWeights("squaredGradient", weights);
    this.checkData("squaredGradient", data);
    const order = this.checkIndices("squaredGradient", data, indices);
    const { tf, features } = this;
    const classes = this.spec.classes;
    const params = this.tensors(weights);
    let sums: tfc.Tensor[] = params.map((p) => tf.zerosLike(p));
    const y = new Float32Array(classes);
    try {
      for (const e of order) {
        const x = data.x.slice(e * features, (e + 1) * features);
        y.fill(0);
        y[data.y[e]!] = 1;
        const next = tf.tidy(() => {
          const xt = tf.tensor2d(x, [1, features]);
          const yt = tf.tensor2d(y, [1, classes]);
          const f = (...ps: tfc.Tensor[]) => crossEntropy(tf, forward(tf, this.spec, ps, xt), yt);
          const grads = tf.grads(f)(params);
          return sums.map((s, i) => tf.add(s, tf.square(grads[i]!)));
        });
        tf.dispose(sums);
        sums = next;
      }
      const out = new Float32Array(this.floats);
      let offset = 0;
      for (const s of sums) {
        const values = s.dataSync();
        for (let i = 0; i < values.length; i++) out[offset + i] = values[i]! / order.length;
        offset += values.length;
      }
      return out;
    } finally {
      tf.dispose(sums);
      for (const p of params) p.dispose();
    }
  }

  /** Copies flat weights into the variables (copies: the cpu backend would otherwise alias the caller's array). */
  private load(weights: Float32Array): void {
    const { tf } = this;
    let offset = 0;
    tf.tidy(() => {
      for (const [i, t] of this.spec.tensors.entries()) {
        const size = tensorSize(t);
        this.vars[i]!.assign(tf.tensor(weights.slice(offset, offset + size), [...t.shape]));
        offset += size;
      }
    });
  }

  private read(): Float32Array {
    const out = new Float32Array(this.floats);
    let offset = 0;
    for (const v of this.vars) {
      const values = v.dataSync();
      out.set(values, offset);
      offset += values.length;
    }
    return out;
  }

  /** Plain tensors holding `weights`, in spec order; the caller disposes them. */
  private tensors(weights: Float32Array): tfc.Tensor[] {
    const { tf } = this;
    let offset = 0;
    return this.spec.tensors.map((t) => {
      const size = tensorSize(t);
      const tensor = tf.tensor(weights.slice(offset, offset + size), [...t.shape]);
      offset += size;
      return tensor;
    });
  }

  private checkWeights(op: string, weights: Float32Array, opts: { allowNonFinite?: boolean } = {}): void {
    if (this.disposed) throw new Error(`${op}: the trainer was disposed`);
    if (!(weights instanceof Float32Array)) throw new Error(`${op}: weights must be a Float32Array`);
    if (weights.length !== this.floats) {
      throw new Error(`${op}: weights have ${weights.length} floats, model ${this.spec.id} has ${this.floats}`);
    }
    if (opts.allowNonFinite) return;
    const bad = firstNonFinite(weights);
    if (bad >= 0) throw new Error(`${op}: weight ${bad} is ${weights[bad]} (weights must be finite)`);
  }

  private checkData(op: string, data: Dataset): void {
    if (data.features !== this.features) {
      throw new Error(`${op}: data has ${data.features} features per example, model ${this.spec.id} takes ${this.features}`);
    }
    if (data.x.length < data.n * data.features || data.y.length < data.n) {
      throw new Error(`${op}: data holds fewer values than n = ${data.n} examples need`);
    }
    if (data.classes > this.spec.classes) {
      throw new Error(`${op}: data has ${data.classes} classes, model ${this.spec.id} outputs ${this.spec.classes}`);
    }
  }

  /** A copy of `indices` as a plain array, after checking each is an example of `data` with a valid label. */
  private checkIndices(op: string, data: Dataset, indices: ArrayLike<number>): number[] {
    if (indices.length === 0) throw new Error(`${op}: no examples (indices is empty)`);
    const out = new Array<number>(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const e = indices[k]!;
      if (!Number.isInteger(e) || e < 0 || e >= data.n) throw new Error(`${op}: indices[${k}] = ${e} is not an example of data (n = ${data.n})`);
      const label = data.y[e]!;
      if (label >= this.spec.classes) throw new Error(`${op}: example ${e} has label ${label}, model ${this.spec.id} has ${this.spec.classes} classes`);
      out[k] = e;
    }
    return out;
  }
}

function checkOptions(opts: TrainOptions): void {
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new Error(`train: opts.epochs must be an integer >= 1, got ${opts.epochs}`);
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`train: opts.batchSize must be an integer >= 1, got ${opts.batchSize}`);
  if (!(Number.isFinite(opts.learningRate) && opts.learningRate > 0)) {
    throw new Error(`train: opts.learningRate must be a finite number > 0, got ${opts.learningRate}`);
  }
}

/** Index of the first NaN or ±Infinity, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
