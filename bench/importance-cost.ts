/**
 * The importance cost benchmark: what one `score()` call costs per method on the MNIST MLP (784-128-10, the
 * 65,536-float chunk layout), for one peer's 80-example synthetic shard, on the backend this process loads.
 * Methods that read the loss get a fresh probe per call, as a peer does each round, so their numbers include
 * the backward passes. Returns numbers, asserts and prints nothing.
 */
import { initBackend } from "../learn/backend.ts";
import { chunkLayout } from "../learn/chunking.ts";
import { synthetic } from "../learn/data.ts";
import { initialWeights, mlpSpec } from "../learn/models.ts";
import { createProbe } from "../learn/probe.ts";
import { Trainer } from "../learn/trainer.ts";
import type { TrainOptions } from "../learn/types.ts";
import { fisher, l2, magnitude, random, snip } from "../plugins/importance/index.ts";
import { describePlugin, type PluginFactory } from "../plugins/plugin.ts";
import { SeededRng } from "../runtime/rng.ts";

export interface ImportanceCostOptions {
  /** Timed calls per method, after one untimed warm-up call. @default 5 */
  reps?: number;
  seed?: number;
}

/** The product's chunking and shard: pieces of at most 64 Ki floats, 80 examples per peer. */
const maxChunkFloats = 65_536;
const shardExamples = 80;
/** The product's local training, timed once as the yardstick a method's cost compares against. */
const roundTraining: TrainOptions = { epochs: 2, batchSize: 10, learningRate: 0.05 };

/**
 * Mean wall ms per score() call, keyed by the method as written (e.g. "fisher()"), and under
 * "train (80 examples × 2 epochs)" one peer's local training of the same model, for scale. adaptive() is left
 * out: it costs what the method it delegates to costs.
 */
export async function runImportanceCostBench(opts: ImportanceCostOptions = {}): Promise<Record<string, number>> {
  const reps = opts.reps ?? 5;
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`runImportanceCostBench: reps must be an integer ≥ 1, got ${reps}`);
  const rng = new SeededRng(opts.seed ?? 1);
  await initBackend("auto");
  const spec = mlpSpec([128], 784, 10);
  const layout = chunkLayout(spec, maxChunkFloats);
  const data = synthetic({ examples: shardExamples, features: 784, classes: 10, rng: rng.split("data") });
  const shard = Uint32Array.from({ length: shardExamples }, (_, i) => i);
  const trainer = await Trainer.create(spec);
  try {
    const before = initialWeights(spec, rng.split("init"));
    await trainer.train(before, data, shard, roundTraining, rng.split("warmup"));
    const t0 = performance.now();
    const { weights: after } = await trainer.train(before, data, shard, roundTraining, rng.split("train"));
    const out: Record<string, number> = { [`train (${shardExamples} examples × ${roundTraining.epochs} epochs)`]: round2(performance.now() - t0) };

    const methods: PluginFactory<"importance">[] = [
      random(),
      magnitude(),
      magnitude({ window: 4, varianceWeight: 1 }),
      l2({ depthFactor: 1 }),
      snip(),
      snip({ examples: shardExamples }),
      fisher(),
      fisher({ examples: shardExamples }),
    ];
    for (const factory of methods) {
      const plugin = factory({ rng: rng.split("plugin") });
      const call = (round: number) => {
        const probe = createProbe({ trainer, weights: after, data, shard, rng: rng.split(round) });
        plugin.score({ round, layout, before, after, probe });
      };
      call(0);
      const start = performance.now();
      for (let r = 1; r <= reps; r++) call(r);
      out[describePlugin(factory)] = round2((performance.now() - start) / reps);
    }
    return out;
  } finally {
    trainer.dispose();
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
