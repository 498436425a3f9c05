import { magnitude } from "../plugins/importance/magnitude.ts";
import { mesh } from "../plugins/topology/mesh.ts";
import { defineScenario } from "./define.ts";

/**
 * mesh-100 with the swarm cut short: on the virtual clock every all-gather needs ≥ 3.2 s (its lower bound on
 * these links), and the deadline comes at 2.2 s. Peers that hold ≥ 70% of the pieces then aggregate what they
 * have; the others wait in grace until they cross 70%. Compare its accuracy with mesh-100's full-coverage run.
 */
export default defineScenario({
  name: "mesh-100-partial",
  description: "mesh-100 on the virtual clock with a swarm deadline that leaves ~70% coverage",
  peers: 100,
  rounds: 20,
  clock: "virtual",
  topology: mesh({ degree: 6 }),
  data: { source: "mnist", split: { kind: "dirichlet", alpha: 0.5 } },
  model: { kind: "mlp", hidden: [128] },
  training: { epochs: 2, batchSize: 10, learningRate: 0.2 },
  importance: magnitude(),
  swarm: { maxChunkFloats: 65536, minCompletion: 0.7, deadlineMs: 2_200, graceMs: 5_000 },
});
