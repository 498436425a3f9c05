import { ring } from "../plugins/topology/ring.ts";
import { defineScenario } from "./define.ts";

/** Smallest end-to-end run: 4 peers, 2 rounds, synthetic data and a tiny MLP, so tests finish in seconds. */
export default defineScenario({
  name: "tiny",
  description: "4 peers on a ring, 2 rounds of a 20-16-4 MLP on synthetic IID data",
  peers: 4,
  rounds: 2,
  topology: ring(),
  data: { source: "synthetic", split: { kind: "iid" }, trainExamples: 400, testExamples: 200, features: 20, classes: 4 },
  model: { kind: "mlp", hidden: [16] },
  training: { epochs: 1 },
  swarm: { maxChunkFloats: 64, deadlineMs: 5000, graceMs: 2000 },
});
