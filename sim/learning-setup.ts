import { initBackend } from "../learn/backend.ts";
import { chunkLayout } from "../learn/chunking.ts";
import { LocalLearningService } from "../learn/local-service.ts";
import { specFor } from "../learn/models.ts";
import { Trainer } from "../learn/trainer.ts";
import { SeededRng } from "../runtime/rng.ts";
import type { Scenario } from "../scenarios/types.ts";
import { loadData, type ScenarioData } from "./scenario-data.ts";

export interface ScenarioLearning extends ScenarioData {
  learning: LocalLearningService;
  trainer: Trainer;
}

/**
 * The scenario's learning side, the same for a swarm run, a peer host and a baseline: backend, data and split
 * (the seed's "data" stream), model spec, chunk layout, one trainer and the service peers share.
 */
export async function setupLearning(s: Scenario, opts: { yieldToLoop?: () => Promise<void> } = {}): Promise<ScenarioLearning> {
  const backend = await initBackend(s.backend);
  const data = loadData(s, new SeededRng(s.seed).split("data"));
  const spec = specFor(s.model, data.train.features, data.train.classes);
  const layout = chunkLayout(spec, s.swarm.maxChunkFloats);
  const trainer = await Trainer.create(spec, backend);
  const learning = new LocalLearningService({ spec, layout, trainer, train: data.train, test: data.test, training: s.training, yieldToLoop: opts.yieldToLoop });
  return { ...data, learning, trainer };
}
