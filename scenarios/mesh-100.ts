import { magnitude } from "../plugins/importance/magnitude.ts";
import { mesh } from "../plugins/topology/mesh.ts";
import { defineScenario, type ScenarioInput } from "./define.ts";

/**
 * The front door: 100 peers on a random 6-regular mesh, each with a Dirichlet(0.5) non-IID share of the 8,000
 * MNIST training digits, train an MLP 784-128-10 and swap updates over real WebSockets on loopback.
 * `--clock virtual` runs the same peers on emulated links instead.
 *
 * Pieces are up to 65,536 floats (256 KiB; the 784×128 kernel travels as two pieces): on one host every byte of
 * the all-gather (~4 GB a round) is hashed, framed and copied by the CPU, and bigger pieces halve the per-piece
 * work (16,384-float pieces made each round ~20% slower in `bun run scenario mesh-100 --rounds 3`).
 */
// The input is exported so variants (mesh-100-partial) start from it.
export const mesh100: ScenarioInput = {
  name: "mesh-100",
  description: "100 peers, mesh degree 6, MNIST Dirichlet(0.5), MLP 784-128-10, WebSockets on loopback",
  peers: 100,
  rounds: 20,
  clock: "real",
  topology: mesh({ degree: 6 }),
  data: { source: "mnist", split: { kind: "dirichlet", alpha: 0.5 } },
  model: { kind: "mlp", hidden: [128] },
  training: { epochs: 2, batchSize: 10, learningRate: 0.2 },
  importance: magnitude(),
  swarm: { maxChunkFloats: 65536, minCompletion: 0.7, deadlineMs: 60_000, graceMs: 15_000 },
};

export default defineScenario(mesh100);
