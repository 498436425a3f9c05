/**
 * The learning benchmark: what local training costs on the backend this process loads. Synthetic data of
 * MNIST's shape (784 features, 10 classes) drawn from a seed; returns numbers, asserts and prints nothing.
 *
 * Wall times (`…Ms`) suffer when other processes share the CPU; `…CpuMs` count this process's CPU time only.
 */
import { describeBackend, initBackend } from "../learn/backend.ts";
import { cnnSpec, initialWeights, mlpSpec } from "../learn/models.ts";
import { Trainer } from "../learn/trainer.ts";
import type { Dataset, ModelSpec, TrainOptions } from "../learn/types.ts";
import { SeededRng, type Rng } from "../runtime/rng.ts";

export interface LearnBenchOptions {
  /** Fewer peers and examples (results are scaled to the full sizes and say so). @default false */
  quick?: boolean;
  seed?: number;
}

/** The product's round: 100 peers × 80 examples × 2 epochs, batch 10 (→ 16 SGD steps per peer). */
const roundPeers = 100;
const shardExamples = 80;
const roundOptions: TrainOptions = { epochs: 2, batchSize: 10, learningRate: 0.05 };
/** A centralized epoch over MNIST's 8000 training digits. */
const epochExamples = 8000;
const evalExamples = 2000;

export async function runLearnBench(opts: LearnBenchOptions = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const rng = new SeededRng(opts.seed ?? 1);
  const { name: backend } = await initBackend("auto");
  const data = syntheticMnist(epochExamples, rng.split("data"));
  const out: Record<string, unknown> = { backend, describe: describeBackend(), quick };

  // MLP: the federated round.
  const mlp = mlpSpec();
  const mlpTrainer = await Trainer.create(mlp);
  const peers = quick ? 10 : roundPeers;
  const w0 = initialWeights(mlp, rng.split("mlp"));
  const shard = (p: number) => Array.from({ length: shardExamples }, (_, i) => (p * shardExamples + i) % data.n);
  await mlpTrainer.train(w0, data, shard(0), roundOptions, rng.split("warmup"));
  const round = await measure(async () => {
    for (let p = 0; p < peers; p++) await mlpTrainer.train(w0, data, shard(p), roundOptions, rng.split(p));
  });
  const steps = peers * (shardExamples / roundOptions.batchSize) * roundOptions.epochs;
  out["mlpStepMs"] = round2(round.ms / steps);
  out["mlpStepCpuMs"] = round2(round.cpuMs / steps);
  out["mlpRoundPeers"] = peers;
  out["mlpRoundMs"] = Math.round((round.ms * roundPeers) / peers);
  out["mlpRoundCpuMs"] = Math.round((round.cpuMs * roundPeers) / peers);
  out["mlpEvalMs"] = round2((await measure(async () => void mlpTrainer.evaluate(w0, data, evalExamples))).ms);
  mlpTrainer.dispose();

  // CNN: a centralized epoch, on this backend and (for comparison) on cpu.
  const cnn = cnnSpec();
  const cnnEpochs: Record<string, unknown> = { [backend]: await cnnEpoch(cnn, data, quick ? 1000 : epochExamples, rng) };
  out["cnnEpoch"] = cnnEpochs;
  const cnnTrainer = await Trainer.create(cnn);
  const cw = initialWeights(cnn, rng.split("cnn"));
  cnnTrainer.evaluate(cw, data, 100);
  out["cnnEvalMs"] = round2((await measure(async () => void cnnTrainer.evaluate(cw, data, evalExamples))).ms);
  cnnTrainer.dispose();
  if (backend !== "cpu") {
    await initBackend("cpu");
    try {
      cnnEpochs["cpu"] = await cnnEpoch(cnn, data, quick ? 200 : 1000, rng);
    } finally {
      await initBackend(backend);
    }
  }
  return out;
}

/** Wall and CPU ms of one centralized epoch (batch 10) over `examples`, scaled to 8000 examples (`examples` says how many ran). */
async function cnnEpoch(spec: ModelSpec, data: Dataset, examples: number, rng: Rng): Promise<{ ms: number; cpuMs: number; examples: number }> {
  const trainer = await Trainer.create(spec);
  try {
    const w = initialWeights(spec, rng.split("cnn"));
    const opts: TrainOptions = { epochs: 1, batchSize: 10, learningRate: 0.05 };
    await trainer.train(w, data, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], opts, rng.split("warmup"));
    const indices = Array.from({ length: examples }, (_, i) => i);
    const t = await measure(async () => void (await trainer.train(w, data, indices, opts, rng.split("cnn-epoch"))));
    const scale = epochExamples / examples;
    return { ms: Math.round(t.ms * scale), cpuMs: Math.round(t.cpuMs * scale), examples };
  } finally {
    trainer.dispose();
  }
}

async function measure(f: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Digit-like synthetic examples: sparse noise plus a class-specific stroke, pixels in [0, 1]. */
function syntheticMnist(n: number, rng: Rng): Dataset {
  const features = 784;
  const classes = 10;
  const x = new Float32Array(n * features);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = rng.int(classes);
    y[i] = label;
    const row = i * features;
    for (let j = 0; j < features; j++) if (rng.next() < 0.1) x[row + j] = rng.next();
    for (let j = 0; j < 56; j++) x[row + label * 70 + 100 + j] = 0.5 + 0.5 * rng.next();
  }
  return { x, y, n, features, classes };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
