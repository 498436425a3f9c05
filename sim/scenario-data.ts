import { loadMnist, splitDirichlet, splitIid, subset, synthetic } from "../learn/data.ts";
import type { Dataset } from "../learn/types.ts";
import type { Rng } from "../runtime/rng.ts";
import type { Scenario } from "../scenarios/types.ts";

/** Peer ids in roster order: zero-padded so string order (the aggregation order) equals numeric order. */
export function peerIds(n: number): string[] {
  const width = Math.max(3, String(n - 1).length);
  return Array.from({ length: n }, (_, i) => `p${String(i).padStart(width, "0")}`);
}

export interface ScenarioData {
  train: Dataset;
  test: Dataset;
  /** Each peer's example indices into `train`. */
  shards: Map<string, Uint32Array>;
}

/** The scenario's data and its split over peers, all from the seed (the `rng` is the run's "data" stream). */
export function loadData(s: Scenario, rng: Rng): ScenarioData {
  let train: Dataset;
  let test: Dataset;
  const d = s.data;
  if (d.source === "mnist") {
    ({ train, test } = loadMnist({ testPerDigit: d.testPerDigit }));
  } else {
    const all = synthetic({ examples: d.trainExamples + d.testExamples, features: d.features, classes: d.classes, rng: rng.split("synthetic") });
    const idx = Array.from({ length: all.n }, (_, i) => i);
    train = subset(all, idx.slice(0, d.trainExamples));
    test = subset(all, idx.slice(d.trainExamples));
  }
  if (s.peers > train.n) throw new Error(`scenario "${s.name}": ${s.peers} peers but only ${train.n} training examples`);
  const splitRng = rng.split("split");
  const parts =
    d.split.kind === "iid" ? splitIid(train.y, s.peers, splitRng) : splitDirichlet(train.y, train.classes, s.peers, d.split.alpha, splitRng);
  const ids = peerIds(s.peers);
  return { train, test, shards: new Map(ids.map((id, i) => [id, parts[i]!])) };
}

/** Features per example and classes of the scenario's data, without loading it. */
export function dataShapeOf(s: Scenario): { features: number; classes: number } {
  return s.data.source === "mnist" ? { features: 784, classes: 10 } : { features: s.data.features, classes: s.data.classes };
}
