import { aggregateModel } from "../learn/aggregate.ts";
import { initBackend } from "../learn/backend.ts";
import { chunkLayout } from "../learn/chunking.ts";
import { LocalLearningService } from "../learn/local-service.ts";
import { specFor } from "../learn/models.ts";
import { Trainer } from "../learn/trainer.ts";
import { hashSeed, SeededRng } from "../runtime/rng.ts";
import type { Scenario } from "../scenarios/types.ts";
import { loadData, peerIds } from "./scenario-data.ts";

export interface BaselineResult {
  kind: "fedavg" | "centralized";
  /** Final accuracy on the held-out test set. */
  accuracy: number;
  /** Accuracy after each round (fedavg) or after each round's worth of epochs (centralized). */
  rounds: number[];
}

/**
 * Baselines on the scenario's data, without a network:
 * - fedavg: ideal FedAvg in-process. Same seed, splits, initial model, per-peer training streams and
 *   aggregation plugin as the swarm, every update of every peer in every round. A swarm run with full coverage
 *   must give the same numbers (it computes the same function on the same inputs).
 * - centralized: one model trained on the union of the peers' data for rounds × local epochs.
 */
export async function runBaseline(kind: "fedavg" | "centralized", s: Scenario, onRound?: (round: number, accuracy: number) => void): Promise<BaselineResult> {
  const backend = await initBackend(s.backend);
  const rng = new SeededRng(s.seed);
  const { train, test, shards } = loadData(s, rng.split("data"));
  const spec = specFor(s.model, train.features, train.classes);
  const layout = chunkLayout(spec, s.swarm.maxChunkFloats);
  const trainer = await Trainer.create(spec, backend);
  const learning = new LocalLearningService({ spec, layout, trainer, train, test, training: s.training });
  let model = learning.initialWeights(hashSeed(s.seed, "model"));
  const rounds: number[] = [];
  if (kind === "fedavg") {
    const ids = peerIds(s.peers);
    const plugin = s.aggregation({});
    for (let r = 0; r < s.rounds; r++) {
      const updates: Array<{ origin: string; samples: number; weights: Float32Array }> = [];
      for (const id of ids) {
        const res = await learning.train(model, shards.get(id)!, new SeededRng(hashSeed(s.seed, "train", id, r)));
        updates.push({ origin: id, samples: res.samples, weights: res.weights });
      }
      model = aggregateModel({
        layout,
        own: model,
        plugin,
        gather: (c) => updates.map((u) => ({ origin: u.origin, samples: u.samples, data: u.weights.subarray(c.start, c.start + c.length) })),
      }).weights;
      const acc = learning.evaluate(model).accuracy;
      rounds.push(acc);
      onRound?.(r, acc);
    }
  } else {
    const all = new Uint32Array(train.n).map((_, i) => i);
    for (let r = 0; r < s.rounds; r++) {
      const res = await trainer.train(model, train, all, s.training, new SeededRng(hashSeed(s.seed, "centralized", r)));
      model = res.weights;
      const acc = trainer.evaluate(model, test).accuracy;
      rounds.push(acc);
      onRound?.(r, acc);
    }
  }
  return { kind, accuracy: rounds[rounds.length - 1] ?? 0, rounds };
}
