/**
 * Model architectures on tfjs-core ops only (no tfjs-layers). A model is its ModelSpec: the tensors in flat
 * order are the layers, read back by `forward`: a rank-4 kernel [kh, kw, in, out] is a 'same'-padded stride-2
 * convolution + ReLU, a rank-2 kernel [in, out] a dense layer with ReLU after all but the last (logits out).
 */
import type * as tfc from "@tensorflow/tfjs-core";
import type { Rng } from "../runtime/rng.ts";
import type { Tf } from "./backend.ts";
import type { ModelSpec, TensorSpec } from "./types.ts";

/** Model architecture as scenarios describe it (structurally the scenario's ModelConfig). */
type ModelConfig = { kind: "mlp"; hidden: readonly number[] } | { kind: "cnn" };

/** The CNN takes MNIST-shaped images. */
const cnnSide = 28;
/**
 * The CNN: conv 5×5×8 stride 2 (28→14) → conv 3×3×16 stride 2 (14→7) → dense 784→10, ReLU between, 9.2k
 * parameters. Strided convolutions instead of max-pools: on wasm (2-core machine) an 8000-example epoch at
 * batch 10 takes ~1.0 s against ~3.5 s for [conv 3×3 + 2×2 max-pool]×2, and centralized training reaches 95%
 * on the 2000-digit MNIST hold-out after 3 epochs (lr 0.1–0.2).
 */
const cnnLayers = [
  { kernel: 5, channels: 8 },
  { kernel: 3, channels: 16 },
] as const;
/** Every conv layer halves the image ('same' padding, stride 2). */
const convStride = 2;

/** Dense network: inputs → hidden… → classes, ReLU between layers, logits out. */
export function mlpSpec(hidden: readonly number[] = [128], inputs = 784, classes = 10): ModelSpec {
  const widths = [inputs, ...hidden, classes];
  for (const [i, w] of widths.entries()) {
    if (!Number.isInteger(w) || w < 1) throw new Error(`mlpSpec: layer width ${i} must be a positive integer, got ${w}`);
  }
  if (classes < 2) throw new Error(`mlpSpec: classes must be >= 2, got ${classes}`);
  const tensors: TensorSpec[] = [];
  for (let l = 1; l < widths.length; l++) {
    tensors.push({ name: `dense${l}/kernel`, shape: [widths[l - 1]!, widths[l]!] });
    tensors.push({ name: `dense${l}/bias`, shape: [widths[l]!] });
  }
  return { id: `mlp-${widths.join("-")}`, tensors, inputShape: [inputs], classes };
}

/** Small CNN for 28×28×1 images (see `cnnLayers`); id "cnn-5x5s2x8-3x3s2x16-10". */
export function cnnSpec(classes = 10): ModelSpec {
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`cnnSpec: classes must be an integer >= 2, got ${classes}`);
  const tensors: TensorSpec[] = [];
  let side = cnnSide;
  let channels = 1;
  for (const [i, { kernel, channels: out }] of cnnLayers.entries()) {
    tensors.push({ name: `conv${i + 1}/kernel`, shape: [kernel, kernel, channels, out] });
    tensors.push({ name: `conv${i + 1}/bias`, shape: [out] });
    channels = out;
    side = Math.ceil(side / convStride);
  }
  tensors.push({ name: "dense1/kernel", shape: [side * side * channels, classes] });
  tensors.push({ name: "dense1/bias", shape: [classes] });
  const layers = cnnLayers.map((l) => `${l.kernel}x${l.kernel}s${convStride}x${l.channels}`);
  return { id: `cnn-${layers.join("-")}-${classes}`, tensors, inputShape: [cnnSide, cnnSide, 1], classes };
}

/** The spec for a scenario's model config and its data's shape. */
export function specFor(config: ModelConfig, inputs: number, classes: number): ModelSpec {
  if (config.kind === "mlp") return mlpSpec(config.hidden, inputs, classes);
  if (inputs !== cnnSide * cnnSide) {
    throw new Error(`specFor: the cnn model takes ${cnnSide}×${cnnSide} images (${cnnSide * cnnSide} features), the data has ${inputs}`);
  }
  return cnnSpec(classes);
}

export function tensorSize(t: TensorSpec): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

export function paramCount(spec: ModelSpec): number {
  return spec.tensors.reduce((sum, t) => sum + tensorSize(t), 0);
}

/** Floats per example the model reads (784 for both MNIST models). */
export function inputSize(spec: ModelSpec): number {
  return spec.inputShape.reduce((a, b) => a * b, 1);
}

/** Glorot-uniform kernels (fan-in / fan-out count the receptive field for convs), zero biases; all from `rng`. */
export function initialWeights(spec: ModelSpec, rng: Rng): Float32Array {
  const out = new Float32Array(paramCount(spec));
  let offset = 0;
  for (const t of spec.tensors) {
    const size = tensorSize(t);
    if (t.shape.length >= 2) {
      const receptive = t.shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = t.shape[t.shape.length - 2]! * receptive;
      const fanOut = t.shape[t.shape.length - 1]! * receptive;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) out[offset + i] = (2 * rng.next() - 1) * limit;
    }
    offset += size;
  }
  return out;
}

/**
 * Logits [n, classes] for a batch `x` [n, features] (reshaped to images for a CNN). `params` are the model's
 * tensors in spec order (variables or plain tensors). Call inside tf.tidy or a gradient function.
 */
export function forward(tf: Tf, spec: ModelSpec, params: readonly tfc.Tensor[], x: tfc.Tensor): tfc.Tensor2D {
  const n = x.shape[0]!;
  let h: tfc.Tensor = spec.inputShape.length === 1 ? x : tf.reshape(x, [n, ...spec.inputShape]);
  const layers = spec.tensors.length / 2;
  for (let l = 0; l < layers; l++) {
    const kernel = params[2 * l]!;
    const bias = params[2 * l + 1]!;
    const last = l === layers - 1;
    if (kernel.rank === 4) {
      h = tf.fused.conv2d({ x: h as tfc.Tensor4D, filter: kernel as tfc.Tensor4D, strides: convStride, pad: "same", bias, activation: "relu" });
    } else {
      if (h.rank !== 2) h = tf.reshape(h, [n, -1]);
      h = tf.fused.matMul({ a: h as tfc.Tensor2D, b: kernel as tfc.Tensor2D, bias, activation: last ? "linear" : "relu" });
    }
  }
  return h as tfc.Tensor2D;
}

/**
 * Mean softmax cross-entropy of `logits` [n, classes] against one-hot `labels`, whose gradient is multiplied
 * by `gradScale`: with the learning rate there, the gradients ARE the SGD steps, which saves one op per tensor
 * per step. Written as one custom gradient (softmax − labels) instead of tfjs's composite loss: fewer kernels.
 */
export function crossEntropy(tf: Tf, logits: tfc.Tensor2D, labels: tfc.Tensor2D, gradScale = 1): tfc.Scalar {
  const n = logits.shape[0];
  const loss = tf.customGrad((...args: Array<tfc.Tensor | tfc.GradSaveFunc>) => {
    const [z, save] = args as [tfc.Tensor2D, tfc.GradSaveFunc];
    const logp = tf.logSoftmax(z);
    save([logp]);
    const value = tf.div(tf.neg(tf.sum(tf.mul(labels, logp))), n) as tfc.Scalar;
    const gradFunc = (dy: tfc.Scalar, saved: tfc.Tensor[]) => tf.mul(tf.sub(tf.exp(saved[0]!), labels), tf.mul(dy, gradScale / n));
    return { value, gradFunc };
  });
  return loss(logits);
}
