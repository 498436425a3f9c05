/** The small synthetic swarm the whole-run fault tests share, and a runner that keeps what they assert on. */
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { ring } from "../../plugins/topology/ring.ts";
import { defineScenario, type ScenarioInput } from "../../scenarios/define.ts";
import { runScenario } from "../../sim/run-scenario.ts";

/**
 * 10 peers on a ring of degree 4, synthetic IID data, a 20-16-4 MLP, virtual clock. Rounds take ~150 ms of virtual
 * time when nothing goes wrong; the swarm deadline is 5 s and grace 2 s.
 */
/** The small swarm's swarm deadline: a round that ends well before it was not held up by a missing origin. */
export const smallSwarmDeadlineMs = 5000;

export const smallSwarm: ScenarioInput = {
  name: "small-swarm",
  peers: 10,
  rounds: 4,
  topology: ring({ degree: 4 }),
  data: { source: "synthetic", split: { kind: "iid" }, trainExamples: 1000, testExamples: 400, features: 20, classes: 4 },
  model: { kind: "mlp", hidden: [16] },
  training: { epochs: 1 },
  swarm: { maxChunkFloats: 64, deadlineMs: smallSwarmDeadlineMs, graceMs: 2000 },
};

/** Runs `smallSwarm` with `input` on top; returns the report, every peer's round records and the fault lines. */
export async function runSmallSwarm(input: Partial<ScenarioInput>) {
  const records: PeerRoundRecord[] = [];
  const faults: string[] = [];
  const report = await runScenario(defineScenario({ ...smallSwarm, ...input }), {
    logSink: () => {},
    onPeerRound: (r) => records.push(r),
    onFault: (p, w) => faults.push(`${p}: ${w}`),
  });
  return { report, records, faults };
}
