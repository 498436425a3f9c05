import { expect, test } from "bun:test";
import { applyOverrides, loadScenario } from "../../scenarios/define.ts";
import { runScenario } from "../../sim/run-scenario.ts";
import { createTelemetryBus, type TelemetryEvent } from "../../telemetry/events.ts";
import { mergeSources } from "../../telemetry/merge.ts";
import { reduceAll } from "../../tui/view-model.ts";

// One swarm hosted by two "processes" (two runScenario calls, each its own peers, store and trainer), joined
// through part 1's tracker over real WebSockets — what `bun run scenario --part I/N` does across processes.
const tiny = await (async () => {
  const t = applyOverrides(await loadScenario("tiny"), { clock: "real", rounds: 2 });
  return { ...t, swarm: { ...t.swarm, deadlineMs: 60_000 } };
})();

test("two parts of one roster form one swarm; their merged telemetry is one swarm view", async () => {
  const buses = [createTelemetryBus(), createTelemetryBus()];
  const merged: TelemetryEvent[] = [];
  mergeSources(buses).subscribe((ev) => merged.push(ev));
  const tracker = Promise.withResolvers<string>();
  const first = runScenario(tiny, { logSink: () => {}, telemetry: buses[0], part: { index: 0, of: 2 }, onTracker: tracker.resolve });
  const second = runScenario(tiny, { logSink: () => {}, telemetry: buses[1], part: { index: 1, of: 2, trackerAddress: await tracker.promise } });
  const [a, b] = await Promise.all([first, second]);
  expect([a.part, b.part]).toEqual(["1/2", "2/2"]);
  for (const r of [a, b]) {
    expect(r.rounds.map((row) => [row.peers, row.coverage.min])).toEqual([
      [2, 1],
      [2, 1],
    ]);
  }
  // Every peer aggregated every origin: the two halves computed the same models.
  expect(a.rounds.map((r) => r.accuracy)).toEqual(b.rounds.map((r) => r.accuracy));

  const view = reduceAll(merged);
  expect(view.run?.peers).toBe(4);
  expect(view.peers.map((p) => [p.id, p.state]).sort()).toEqual(["p000", "p001", "p002", "p003"].map((id) => [id, "done"]));
  expect(view.rounds.map((r) => [r.round, r.peers, r.accuracy])).toEqual(a.rounds.map((r) => [r.round, 4, r.accuracy]));
  expect(view.finished).toBe(true);
}, 90_000);

test("parts are checked: virtual clock, faults, a part beyond N, a later part without the tracker", async () => {
  const virtual = await loadScenario("tiny");
  await expect(runScenario(virtual, { part: { index: 0, of: 2 } })).rejects.toThrow(/parts in several processes need the real clock/);
  await expect(runScenario(tiny, { part: { index: 2, of: 2 } })).rejects.toThrow(/part 3 of 2 does not exist/);
  await expect(runScenario(tiny, { part: { index: 1, of: 2 } })).rejects.toThrow(/give its address/);
  await expect(runScenario(tiny, { part: { index: 0, of: 5 } })).rejects.toThrow(/4 peers cannot be split into 5 parts/);
});
