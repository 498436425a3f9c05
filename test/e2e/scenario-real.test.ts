import { expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { applyOverrides, loadScenario } from "../../scenarios/define.ts";
import { runBaseline } from "../../sim/baseline.ts";
import { runScenario } from "../../sim/run-scenario.ts";

// The same peers over real WebSockets on loopback, in this process and split over two worker threads.
const tiny = applyOverrides(await loadScenario("tiny"), { clock: "real" });

test("tiny over real WebSockets: every round completes and matches ideal FedAvg", async () => {
  expect(tiny.transport).toBe("websocket");
  const records: PeerRoundRecord[] = [];
  const report = await runScenario(tiny, { logSink: () => {}, onPeerRound: (r) => records.push(r) });
  expect(report.clock).toBe("real");
  expect(report.rounds.length).toBe(2);
  for (const row of report.rounds) {
    expect(row.coverage.min).toBe(1);
    expect(row.payloadBytes).toBeGreaterThan(0);
    expect(new Set(records.filter((r) => r.round === row.round).map((r) => r.modelHash)).size).toBe(1);
  }
  const base = await runBaseline("fedavg", tiny);
  expect(report.rounds.map((r) => r.accuracy)).toEqual(base.rounds);
}, 60_000);

test("tiny over real WebSockets with the peers in two worker threads", async () => {
  const report = await runScenario(tiny, { logSink: () => {}, workers: 2, source: { ref: "tiny", overrides: { clock: "real" } } });
  expect(report.rounds.length).toBe(2);
  expect(report.rounds.every((r) => r.peers === 4 && r.coverage.min === 1)).toBe(true);
  expect(report.backend).toContain("wasm");
}, 60_000);
