import type { Trainer } from "./trainer.ts";
import type { LearningService } from "./service.ts";
import type { ChunkLayout, Dataset, EvalResult, ModelSpec, TrainOptions, TrainResult } from "./types.ts";
import { initialWeights, paramCount } from "./models.ts";
import { SeededRng, type Rng } from "../runtime/rng.ts";
import { sha256 } from "../swarm/hash.ts";
import type { ImportanceProbe } from "../plugins/importance/types.ts";
import { createProbe } from "./probe.ts";
import { FairScheduler } from "./fair-scheduler.ts";

/**
 * Work a device of compute speed 1 does per second, for the virtual clock's training time. Training an example
 * costs about 6 × parameters FLOPs (forward + backward); 10 GFLOP/s is a desktop core's effective rate on small
 * dense layers. A convolution reuses its weights, so this undercounts CNN time; fine for relative device speeds.
 */
export const referenceFlopsPerSec = 10e9;

/** Bytes of memoised chunk results kept per process before the oldest are dropped. */
export const memoBytesMax = 256 * 1024 * 1024;

/** Evaluations kept (one per distinct model hash). */
export const evalMemoMax = 4096;

export interface LocalLearningOptions {
  spec: ModelSpec;
  layout: ChunkLayout;
  trainer: Trainer;
  train: Dataset;
  test: Dataset;
  training: TrainOptions;
  /** Let the event loop run between batches (real clock: sockets keep moving while a peer trains). */
  yieldToLoop?: () => Promise<void>;
}

/**
 * The in-process learning service: one shared trainer, plus memo tables. Training calls take turns through a
 * weighted fair queue (fair-scheduler.ts): a peer's turn comes in proportion to the weight it passes.
 */
export class LocalLearningService implements LearningService {
  readonly spec: ModelSpec;
  readonly layout: ChunkLayout;
  private readonly scheduler = new FairScheduler();
  private readonly inits = new Map<number, Float32Array>();
  private readonly evals = new Map<string, EvalResult>();
  private readonly memos = new Map<string, { value: unknown; bytes: number }>();
  private memoBytes = 0;

  constructor(private readonly opts: LocalLearningOptions) {
    this.spec = opts.spec;
    this.layout = opts.layout;
  }

  initialWeights(modelSeed: number): Float32Array {
    let w = this.inits.get(modelSeed);
    if (!w) this.inits.set(modelSeed, (w = initialWeights(this.spec, new SeededRng(modelSeed))));
    return w;
  }

  /**
   * A peer's flow in the fair queue is its shard (each peer trains on its own array, the same one every round);
   * a job costs its examples × epochs.
   */
  train(weights: Float32Array, shard: Uint32Array, rng: Rng, weight = 1): Promise<TrainResult> {
    return this.scheduler.submit({
      flow: shard,
      weight,
      cost: shard.length * this.opts.training.epochs,
      run: () => this.opts.trainer.train(weights, this.opts.train, shard, this.opts.training, rng, this.opts.yieldToLoop),
    });
  }

  evaluate(weights: Float32Array, modelHash?: string): EvalResult {
    const key = modelHash ?? Buffer.from(sha256(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength))).toString("hex");
    let r = this.evals.get(key);
    if (!r) {
      r = this.opts.trainer.evaluate(weights, this.opts.test);
      if (this.evals.size >= evalMemoMax) this.evals.delete(this.evals.keys().next().value!);
      this.evals.set(key, r);
    }
    return r;
  }

  trainComputeMs(samples: number): number {
    return ((6 * paramCount(this.spec) * samples * this.opts.training.epochs) / referenceFlopsPerSec) * 1000;
  }

  probe(weights: Float32Array, shard: Uint32Array, rng: Rng): ImportanceProbe {
    return createProbe({ trainer: this.opts.trainer, weights, data: this.opts.train, shard, rng });
  }

  memo<T>(key: string, compute: () => T): T {
    const hit = this.memos.get(key);
    if (hit) {
      // Refresh recency (Map iteration order is insertion order).
      this.memos.delete(key);
      this.memos.set(key, hit);
      return hit.value as T;
    }
    const value = compute();
    const bytes = sizeOf(value);
    this.memos.set(key, { value, bytes });
    this.memoBytes += bytes;
    while (this.memoBytes > memoBytesMax && this.memos.size > 1) {
      const [k, v] = this.memos.entries().next().value!;
      this.memos.delete(k);
      this.memoBytes -= v.bytes;
    }
    return value;
  }
}

function sizeOf(v: unknown): number {
  if (v && typeof v === "object" && "values" in v && (v as { values: unknown }).values instanceof Float32Array) {
    return (v as { values: Float32Array }).values.byteLength + 256;
  }
  return 256;
}
