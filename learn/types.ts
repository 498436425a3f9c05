/**
 * Contracts shared by the learning modules, the peer actor and the plugins. A model's weights always travel
 * as ONE flat Float32Array in the order of `ModelSpec.tensors` (each tensor row-major), so chunking,
 * aggregation, hashing and importance never need tfjs.
 */

/** One named tensor of a model, in flat-weight order. */
export interface TensorSpec {
  /** Stable name, e.g. "dense1/kernel". Part of the layout hash. */
  name: string;
  shape: readonly number[];
}

/** A model architecture: its tensors in flat order and the input it takes. */
export interface ModelSpec {
  /** "mlp" | "cnn" (plus options in `id`, e.g. "mlp-784-128-10"). */
  id: string;
  tensors: readonly TensorSpec[];
  /** Per-example input shape, e.g. [784] for the MLP or [28, 28, 1] for the CNN. */
  inputShape: readonly number[];
  classes: number;
}

/** Examples in memory: `x` is n × features (row-major, float32), `y` holds the class of each example. */
export interface Dataset {
  x: Float32Array;
  y: Uint8Array;
  n: number;
  /** Features per example (784 for MNIST). */
  features: number;
  classes: number;
}

/** One contiguous slice of ONE tensor: chunks never mix tensors (DESIGN §8). Offsets are in floats. */
export interface ChunkSpec {
  index: number;
  tensor: string;
  /** Offset of the chunk in the flat weight vector. */
  start: number;
  /** Number of floats. */
  length: number;
}

export interface ChunkLayout {
  chunks: readonly ChunkSpec[];
  /** Total floats (= sum of chunk lengths = flat weight length). */
  totalFloats: number;
  /** SHA-256 of the canonical layout description (tensor names, shapes, split points). */
  hash: Uint8Array;
}

/** Local training settings. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export interface TrainResult {
  weights: Float32Array;
  /** Mean training loss over the last epoch. */
  loss: number;
  /** Examples trained on (the FedAvg weight). */
  samples: number;
}

export interface EvalResult {
  accuracy: number;
  loss: number;
}
