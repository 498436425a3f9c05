import { expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { ring } from "../../plugins/topology/ring.ts";
import { defineScenario, type ScenarioInput } from "../../scenarios/define.ts";
import { runScenario } from "../../sim/run-scenario.ts";

// Aggregation scope: "all" gathers every origin (the all-gather); "neighbours" gathers only the topology
// neighbours' updates (gossip / D-PSGD). Virtual clock, 8 peers on a ring of degree 2.
const input = (scope: "all" | "neighbours"): ScenarioInput => ({
  name: "gossip",
  peers: 8,
  rounds: 3,
  topology: ring({ degree: 2 }),
  data: { source: "synthetic", split: { kind: "iid" }, trainExamples: 800, testExamples: 200, features: 20, classes: 4 },
  model: { kind: "mlp", hidden: [16] },
  training: { epochs: 1 },
  swarm: { maxChunkFloats: 64, deadlineMs: 5000, graceMs: 2000, scope },
});
/** MLP 20-16-4: (20·16 + 16 + 16·4 + 4) floats × 4 bytes. */
const modelBytes = 1616;

async function run(scope: "all" | "neighbours") {
  const records: PeerRoundRecord[] = [];
  const report = await runScenario(defineScenario(input(scope)), { logSink: () => {}, onPeerRound: (r) => records.push(r) });
  return { report, records };
}

test('scope "neighbours": each peer gathers and averages only itself and its two ring neighbours', async () => {
  const { report, records } = await run("neighbours");
  expect(report.rounds.length).toBe(3);
  for (const r of records) {
    expect(r.outcome).toBe("complete");
    expect(r.coverage).toBe(1); // complete over its expected origins
    expect(r.origins).toBe(3);
  }
  // Only neighbours' pieces are fetched: 8 peers × 2 updates a round, nothing from farther away.
  expect(report.rounds.reduce((s, r) => s + r.payloadBytes, 0)).toBe(3 * 8 * 2 * modelBytes);
  // Gossip: peers with different neighbourhoods hold different models.
  expect(new Set(records.filter((r) => r.round === 2).map((r) => r.modelHash)).size).toBeGreaterThan(1);
  expect(report.final!.accuracy).toBeGreaterThan(0.5);
});

test('scope "all" on the same ring: every peer gathers all 8 updates and they agree', async () => {
  const { report, records } = await run("all");
  expect(records.every((r) => r.origins === 8)).toBe(true);
  expect(report.rounds.reduce((s, r) => s + r.payloadBytes, 0)).toBe(3 * 8 * 7 * modelBytes);
  expect(new Set(records.filter((r) => r.round === 2).map((r) => r.modelHash)).size).toBe(1);
});

test('a disconnected topology is refused for scope "all" (not every origin can arrive) but runs with gossip', async () => {
  const { erdosRenyi } = await import("../../plugins/topology/erdos-renyi.ts");
  const islands = { ...input("all"), peers: 4, rounds: 1, topology: erdosRenyi({ p: 0, connected: false }) };
  await expect(runScenario(defineScenario(islands), { logSink: () => {} })).rejects.toThrow('not connected, but aggregation scope "all" needs every origin');
  const records: PeerRoundRecord[] = [];
  const report = await runScenario(defineScenario({ ...islands, swarm: { ...islands.swarm, scope: "neighbours" } }), { logSink: () => {}, onPeerRound: (r) => records.push(r) });
  expect(report.rounds.length).toBe(1);
  expect(records.every((r) => r.origins === 1 && r.coverage === 1)).toBe(true); // each island averages only itself
});
