import { expect, test } from "bun:test";
import { applyOverrides, loadScenario } from "../../scenarios/define.ts";
import { runScenario } from "../../sim/run-scenario.ts";
import { RunControl } from "../../sim/run-control.ts";
import { reportJson } from "../../sim/report.ts";
import { createTelemetryBus, parseTelemetryEvent, type TelemetryEvent } from "../../telemetry/events.ts";
import { reduceAll } from "../../tui/view-model.ts";

const tiny = await loadScenario("tiny");

function recorder() {
  const bus = createTelemetryBus((e) => {
    throw e;
  });
  const events: TelemetryEvent[] = [];
  bus.subscribe((ev) => events.push(ev));
  return { bus, events };
}

test("a virtual run tells the whole story: states, per-origin pieces, bytes, rounds, the end", async () => {
  const { bus, events } = recorder();
  const report = await runScenario(tiny, { logSink: () => {}, telemetry: bus });
  // Plain data: every event survives JSON and validation unchanged.
  for (const ev of events) expect(parseTelemetryEvent(JSON.parse(JSON.stringify(ev)))).toEqual(ev);
  expect(events[0]!.type).toBe("run.started");
  expect(events.at(-1)!.type).toBe("run.finished");
  const ts = events.map((e) => e.t);
  expect(ts).toEqual([...ts].sort((a, b) => a - b));

  const view = reduceAll(events);
  expect(view.finished).toBe(true);
  expect(view.peers.map((p) => p.id).sort()).toEqual(["p000", "p001", "p002", "p003"]);
  for (const p of view.peers) {
    expect(p.state).toBe("done");
    expect(p.device).toBeDefined();
    expect(p.up).toBeGreaterThan(0);
    expect(p.down).toBeGreaterThan(0);
    expect(p.last?.round).toBe(1);
  }
  // Rounds as the report has them.
  expect(view.rounds.map((r) => [r.round, r.accuracy, r.peers])).toEqual(report.rounds.map((r) => [r.round, r.accuracy, r.peers]));
  // Piece progress per origin: in the last round every peer ends holding every origin's pieces.
  const last = events.filter((e): e is Extract<TelemetryEvent, { type: "piece.progress" }> => e.type === "piece.progress" && e.round === 1);
  const final = new Map<string, { held: number; count: number }>();
  for (const e of last) e.origins.forEach((o, i) => final.set(`${e.peer}/${o}`, { held: e.held[i]!, count: e.count[i]! }));
  expect(final.size).toBe(16);
  for (const v of final.values()) expect(v.held).toBe(v.count);
  // Bytes are cumulative: never decrease per peer; what peers received adds up to what they sent.
  const lastBytes = new Map<string, { up: number; down: number }>();
  for (const e of events) {
    if (e.type !== "peer.bytes") continue;
    const prev = lastBytes.get(e.peer);
    if (prev) expect(e.up >= prev.up && e.down >= prev.down).toBe(true);
    lastBytes.set(e.peer, e);
  }
  const sum = (k: "up" | "down") => [...lastBytes.values()].reduce((s, b) => s + b[k], 0);
  expect(sum("up")).toBe(sum("down"));
});

test("watching a run does not change it: the report is byte-identical with and without telemetry", async () => {
  const plain = await runScenario(tiny, { logSink: () => {} });
  const watched = await runScenario(tiny, { logSink: () => {}, telemetry: recorder().bus });
  expect(reportJson(watched)).toBe(reportJson(plain));
});

test("pause holds a virtual clock still until resumed; the run then finishes as it would have", async () => {
  const { bus, events } = recorder();
  const control = new RunControl();
  let pausedAt: { t: number; seen: number } | undefined;
  let resumed = false;
  bus.subscribe((ev) => {
    if (ev.type === "round.metrics" && ev.round === 0 && !pausedAt) {
      control.setPaused(true);
      pausedAt = { t: ev.t, seen: events.length };
      // A person resumes a while later (real time passes; virtual time must not).
      setTimeout(() => {
        resumed = true;
        control.setPaused(false);
      }, 200);
    }
    if (pausedAt && !resumed) expect(ev.t).toBe(pausedAt.t);
  });
  const report = await runScenario(tiny, { logSink: () => {}, telemetry: bus, control });
  expect(resumed).toBe(true);
  expect(report.rounds.length).toBe(2);
  expect(reportJson(report)).toBe(reportJson(await runScenario(tiny, { logSink: () => {} })));
});

test("stop ends a run early and cleanly: finished rounds only, marked stopped, run.finished sent", async () => {
  const { bus, events } = recorder();
  const control = new RunControl();
  bus.subscribe((ev) => {
    if (ev.type === "round.metrics" && ev.round === 0) control.stop("stopped by user");
  });
  const long = applyOverrides(tiny, { rounds: 6 });
  const report = await runScenario(long, { logSink: () => {}, telemetry: bus, control });
  expect(report.stopped).toBe("stopped by user");
  expect(report.rounds.length).toBeGreaterThanOrEqual(1);
  expect(report.rounds.length).toBeLessThan(6);
  expect(events.at(-1)!.type).toBe("run.finished");
});

test("a stop while paused still ends the run", async () => {
  const control = new RunControl();
  control.setPaused(true);
  const run = runScenario(tiny, { logSink: () => {}, control });
  setTimeout(() => control.stop("quit"), 100);
  const report = await run;
  expect(report.stopped).toBe("quit");
  expect(report.rounds.length).toBe(0);
});

test("expired machine timers are reported as timeout events, with the state they expired in", async () => {
  const { bus, events } = recorder();
  // A deadline no swarm can meet: every peer's swarmDeadline expires each round, then grace lets it finish.
  const tight = { ...tiny, swarm: { ...tiny.swarm, deadlineMs: 1, graceMs: 5000 } };
  const report = await runScenario(tight, { logSink: () => {}, telemetry: bus });
  expect(report.rounds.length).toBe(2);
  const timeouts = events.filter((e): e is Extract<TelemetryEvent, { type: "timeout" }> => e.type === "timeout");
  expect(new Set(timeouts.map((e) => `${e.peer}/${e.round}/${e.timer}/${e.state}`))).toEqual(
    new Set(["p000", "p001", "p002", "p003"].flatMap((p) => [0, 1].map((r) => `${p}/${r}/swarmDeadline/swarm`))),
  );
  expect(reduceAll(events).log.filter((l) => l.kind === "timeout").length).toBeGreaterThanOrEqual(8);
});
