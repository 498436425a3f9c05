import { aggregateModel } from "../learn/aggregate.ts";
import { hashSeed, SeededRng } from "../runtime/rng.ts";
import type { Scenario } from "../scenarios/types.ts";
import { setupLearning } from "./learning-setup.ts";
import { peerIds } from "./scenario-data.ts";

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
  const { learning, trainer, train, test, shards } = await setupLearning(s);
  const { layout } = learning;
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
