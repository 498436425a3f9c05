import { mesh } from "../plugins/topology/mesh.ts";
import type { ScenarioInput } from "../scenarios/define.ts";

/**
 * The federated setup the FL benchmarks share: MNIST non-IID over a mesh, the virtual clock (deterministic,
 * one seed replays a run) and edge_server links. Small enough that a whole table runs in minutes.
 */
export function flBase(o: { peers: number; rounds: number; seed: number }): ScenarioInput {
  return {
    name: "bench",
    peers: o.peers,
    rounds: o.rounds,
    seed: o.seed,
    clock: "virtual",
    topology: mesh({ degree: 4 }),
    data: { source: "mnist", split: { kind: "dirichlet", alpha: 0.5 } },
    model: { kind: "mlp", hidden: [128] },
    training: { epochs: 2, batchSize: 10, learningRate: 0.2 },
  };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

export const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
