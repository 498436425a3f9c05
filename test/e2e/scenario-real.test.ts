import { expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { applyOverrides, loadScenario } from "../../scenarios/define.ts";
import { writeTinyReal } from "./cli-fixtures.ts";
import { runBaseline } from "../../sim/baseline.ts";
import { runScenario } from "../../sim/run-scenario.ts";
import { uniform } from "../../plugins/devices/index.ts";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { reduceAll } from "../../tui/view-model.ts";

const tinyVirtual = await loadScenario("tiny");

// The same peers over real WebSockets on loopback, in this process and split over two worker threads.
const tiny = (() => {
  const t = applyOverrides(tinyVirtual, { clock: "real" });
  // Real time on a loaded machine: deadlines long enough that only a bug leaves a round partial.
  return { ...t, swarm: { ...t.swarm, deadlineMs: 60_000 } };
})();

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
  // Workers load the scenario themselves; give them one whose deadlines leave room for a loaded CI machine
  // (a worker starting late must not turn into a partial round).
  const file = writeTinyReal("tiny-real", 2);
  const s = await loadScenario(file);
  const events: TelemetryEvent[] = [];
  const logs: string[] = [];
  const report = await runScenario(s, { logSink: (l) => logs.push(l), logLevel: "info", workers: 2, source: { ref: file, overrides: {} }, telemetry: { emit: (e) => events.push(e) } });
  expect(report.rounds.length).toBe(2);
  // Telemetry from both workers reaches the main thread: sampled pieces and bytes for every peer, and their logs.
  const view = reduceAll(events);
  expect(view.peers.map((p) => [p.id, p.state, p.down > 0])).toEqual(["p000", "p001", "p002", "p003"].map((id) => [id, "done", true]));
  expect(new Set(events.filter((e) => e.type === "piece.progress").map((e) => (e as { peer: string }).peer)).size).toBe(4);
  expect(logs.some((l) => l.includes("peer:p000")) && logs.some((l) => l.includes("peer:p003"))).toBe(true);
  expect(report.rounds.map((r) => [r.peers, r.coverage.min])).toEqual([
    [4, 1],
    [4, 1],
  ]);
  expect(report.backend).toContain("wasm");
}, 60_000);

test("real sockets emulate the device's uplink: an iot peer's 300 ms latency holds every request and reply", async () => {
  // Every frame waits the profile's latency in the sender's shaper: a piece needs a request and a reply, so no
  // round's swarm can be shorter than two latencies (unshaped, tiny's swarm takes about 0.15 s here).
  const iot = { ...tiny, devices: uniform("iot") };
  const report = await runScenario(iot, { logSink: () => {} });
  expect(report.rounds.length).toBe(2);
  for (const row of report.rounds) {
    expect(row.coverage.min).toBe(1);
    expect(row.swarmMs).toBeGreaterThanOrEqual(2 * 300);
  }
}, 60_000);
