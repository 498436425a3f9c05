import { crash } from "../plugins/faults/crash.ts";
import { mesh } from "../plugins/topology/mesh.ts";
import { defineScenario } from "./define.ts";

/**
 * 30% of the peers crash as round 3 starts. The survivors see their links drop and redial in vain; the tracker
 * tells them the dead are gone, so later rounds stop waiting for those origins and complete with the 14 live
 * ones instead of lasting the 20 s deadline. Virtual clock: the run replays from its seed.
 */
export default defineScenario({
  name: "crash-30",
  description: "20 peers on MNIST; 6 of them crash at round 3; the 14 survivors finish every round",
  peers: 20,
  rounds: 8,
  clock: "virtual",
  topology: mesh({ degree: 4 }),
  data: { source: "mnist", split: { kind: "dirichlet", alpha: 0.5 } },
  model: { kind: "mlp", hidden: [128] },
  swarm: { maxChunkFloats: 65536, deadlineMs: 20_000, graceMs: 10_000 },
  faults: [crash({ fraction: 0.3, atRound: 3 })],
});
