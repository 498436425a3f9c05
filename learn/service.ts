import type { ChunkLayout, EvalResult, ModelSpec, TrainResult } from "./types.ts";
import type { Rng } from "../runtime/rng.ts";
import type { ImportanceProbe } from "../plugins/importance/types.ts";

/**
 * What a peer needs from learning, shared by every peer of a process: one trainer (peers take turns), the
 * training examples, the held-out test set, and memo tables for pure functions (the initial model of a seed,
 * a model's evaluation). Implemented in learn/local-service.ts.
 */
export interface LearningService {
  readonly spec: ModelSpec;
  readonly layout: ChunkLayout;
  /** The common initial model drawn from the tracker's seed (the same array for every caller: do not mutate). */
  initialWeights(modelSeed: number): Float32Array;
  /**
   * Local training of `weights` on the examples `shard` of the training set. Calls take turns on the one
   * trainer, by weighted fair queueing: while several wait, each caller's turns come in proportion to its
   * `weight` (the device's accelerator share, > 0; @default 1), ties in arrival order. The result depends only
   * on the arguments, never on the order. The result never aliases the input.
   */
  train(weights: Float32Array, shard: Uint32Array, rng: Rng, weight?: number): Promise<TrainResult>;
  /** Accuracy and loss on the held-out test set, memoised by the model's hash (pass it when already computed). */
  evaluate(weights: Float32Array, modelHash?: string): EvalResult;
  /** Compute time a device of speed 1 spends training `samples` examples for the scenario's epochs (virtual clock). */
  trainComputeMs(samples: number): number;
  /**
   * Memo of a pure result (an aggregated chunk), keyed by its inputs' digests: peers of one process that hold
   * the same pieces compute the same chunk once. Returns the cached value or computes and stores it.
   */
  memo<T>(key: string, compute: () => T): T;
  /**
   * Model-and-data probe for importance methods that need gradients (snip, fisher): at `weights`, over examples of
   * `shard` drawn by `rng`. Lazy: costs nothing until a method asks.
   */
  probe(weights: Float32Array, shard: Uint32Array, rng: Rng): ImportanceProbe;
}
