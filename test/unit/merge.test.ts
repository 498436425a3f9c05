import { describe, expect, test } from "bun:test";
import { Compactor } from "../../telemetry/compactor.ts";
import { createTelemetryBus, type RoundMetrics, type TelemetryEvent } from "../../telemetry/events.ts";
import { combineRoundMetrics, mergeSources } from "../../telemetry/merge.ts";
import { reduceAll } from "../../tui/view-model.ts";
import { rendered, telemetryStream } from "./telemetry-stream.ts";

const hostA = ["a0", "a1", "a2", "a3"];
const hostB = ["b0", "b1", "b2"];
const origins = [...hostA, ...hostB];
const rounds = 12;

/** Two processes of one run: same scenario and seed, each reporting its own peers and its own round metrics. */
function twoProcesses() {
  const a = telemetryStream({ peers: hostA, origins, rounds, drawSeed: 1 });
  const b = telemetryStream({ peers: hostB, origins, rounds, drawSeed: 2 });
  return { a, b };
}

/** Interleaves the processes' streams by time, as a monitor would receive them. */
function interleave(a: TelemetryEvent[], b: TelemetryEvent[]): Array<[number, TelemetryEvent]> {
  const tagged = [...a.map((e) => [0, e] as [number, TelemetryEvent]), ...b.map((e) => [1, e] as [number, TelemetryEvent])];
  return tagged.map((x, k) => [x, k] as const).sort((x, y) => x[0][1].t - y[0][1].t || x[1] - y[1]).map(([x]) => x);
}

function merged(count: number) {
  const buses = Array.from({ length: count }, () => createTelemetryBus());
  const out: TelemetryEvent[] = [];
  const off = mergeSources(buses).subscribe((ev) => out.push(ev));
  return { buses, out, off };
}

const metrics = (over: Partial<RoundMetrics>): RoundMetrics => ({
  type: "round.metrics",
  t: 10,
  round: 0,
  accuracy: 0.5,
  loss: 1,
  coverage: { min: 0.5, median: 0.8, max: 1 },
  degradedPeers: 0,
  payloadBytes: 100,
  swarmMs: 1000,
  roundMs: 2000,
  ...over,
});

describe("mergeSources", () => {
  test("one source: the output is the input, less a repeated run.started", () => {
    const stream = telemetryStream({ peers: ["p0", "p1", "p2", "p3"], rounds: 10 });
    const { buses, out } = merged(1);
    const mid = Math.floor(stream.length / 2);
    stream.forEach((ev, i) => {
      if (i === mid) buses[0]!.emit({ ...stream[0]!, t: ev.t });
      buses[0]!.emit(ev);
    });
    expect(out).toEqual(stream);
  });

  test("two processes fold into one swarm: every peer, one run, combined round metrics, finished when both are", () => {
    const { a, b } = twoProcesses();
    const { buses, out } = merged(2);
    const events = interleave(a, b);
    const lastA = events.findLastIndex(([s]) => s === 0);
    events.forEach(([s, ev], i) => {
      buses[s]!.emit(ev);
      if (i === lastA) expect(reduceAll(out).finished).toBe(false);
    });
    const view = reduceAll(out);
    expect(view.peers.map((p) => p.id).sort()).toEqual([...origins].sort());
    expect(out.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(view.log.filter((l) => l.text.startsWith("run started"))).toHaveLength(0); // scrolled away: one start, many faults
    expect(view.finished).toBe(true);
    expect(out.filter((e) => e.type === "run.finished")).toHaveLength(1);
    expect(view.rounds).toHaveLength(rounds);
    for (const r of view.rounds) {
      const ma = a.find((e): e is RoundMetrics => e.type === "round.metrics" && e.round === r.round)!;
      const mb = b.find((e): e is RoundMetrics => e.type === "round.metrics" && e.round === r.round)!;
      expect(r.peers).toBe(ma.peers! + mb.peers!);
      expect(r.degradedPeers).toBe(ma.degradedPeers + mb.degradedPeers);
      expect(r.payloadBytes).toBe(ma.payloadBytes + mb.payloadBytes);
      expect(r.accuracy).toBeCloseTo((ma.accuracy * ma.peers! + mb.accuracy * mb.peers!) / (ma.peers! + mb.peers!), 12);
      expect(r.roundMs).toBe(Math.max(ma.roundMs, mb.roundMs));
    }
  });

  test("a source replaying its snapshot (a resync) changes nothing in the merged view", () => {
    const { a, b } = twoProcesses();
    const { buses, out } = merged(2);
    const compactA = new Compactor();
    for (const [s, ev] of interleave(a.slice(0, Math.floor(a.length * 0.7)), b)) {
      if (s === 0) compactA.emit(ev);
      buses[s]!.emit(ev);
    }
    const before = rendered(reduceAll(out));
    const logTotal = reduceAll(out).logTotal;
    for (const ev of compactA.snapshot()) buses[0]!.emit(ev);
    expect(rendered(reduceAll(out))).toEqual(before);
    expect(reduceAll(out).logTotal).toBe(logTotal);
  });

  test("a resync replaying states reported in the same millisecond does not log them again", () => {
    const { buses, out } = merged(1);
    const compactor = new Compactor();
    const events: TelemetryEvent[] = [
      { type: "run.started", t: 0, scenario: "s", clock: "virtual", peers: 1, rounds: 1, seed: 1 },
      { type: "peer.state", t: 5, peer: "p", state: "swarm", round: 0 },
      { type: "peer.state", t: 5, peer: "p", state: "grace", round: 0 },
    ];
    for (const ev of events) {
      compactor.emit(ev);
      buses[0]!.emit(ev);
    }
    for (const ev of compactor.snapshot()) buses[0]!.emit(ev);
    expect(reduceAll(out).log.map((l) => l.kind)).toEqual(["run", "timeout"]);
  });

  test("a resync after missed events brings the merged view up to date", () => {
    const { a, b } = twoProcesses();
    const { buses, out } = merged(2);
    const compactA = new Compactor();
    const cut = Math.floor(a.length * 0.4);
    const direct = merged(2);
    for (const [s, ev] of interleave(a, b)) {
      direct.buses[s]!.emit(ev);
      if (s === 0) compactA.emit(ev);
      // Source 0 goes stale past `cut`: its events are missed until the snapshot below.
      if (s === 1 || a.indexOf(ev) < cut) buses[s]!.emit(ev);
    }
    for (const ev of compactA.snapshot()) buses[0]!.emit(ev);
    const got = rendered(reduceAll(out));
    const want = rendered(reduceAll(direct.out));
    expect(got.peers).toEqual(want.peers);
    expect(got.rounds).toEqual(want.rounds);
    expect(got.finished).toBe(true);
  });

  test("combineRoundMetrics weighs by peers and takes extremes", () => {
    const one = metrics({ peers: 3, accuracy: 0.9, loss: 0.2, coverage: { min: 0.7, median: 0.9, max: 1 }, degradedPeers: 1, t: 5, roundMs: 3000 });
    const two = metrics({ accuracy: 0.5, loss: 1, coverage: { min: 0.4, median: 0.5, max: 0.9 }, swarmMs: 1500 });
    expect(combineRoundMetrics([one])).toBe(one);
    const c = combineRoundMetrics([one, two]);
    expect(c.accuracy).toBeCloseTo((0.9 * 3 + 0.5) / 4, 12);
    expect(c.loss).toBeCloseTo((0.2 * 3 + 1) / 4, 12);
    expect(c.coverage.min).toBe(0.4);
    expect(c.coverage.median).toBeCloseTo((0.9 * 3 + 0.5) / 4, 12);
    expect(c.coverage.max).toBe(1);
    expect([c.peers, c.degradedPeers, c.payloadBytes, c.swarmMs, c.roundMs, c.t]).toEqual([4, 1, 200, 1500, 3000, 10]);
    expect(() => combineRoundMetrics([])).toThrow();
  });

  test("a later report from one source replaces only its own share of the round", () => {
    const { buses, out } = merged(2);
    buses[0]!.emit(metrics({ peers: 1, accuracy: 0.2 }));
    buses[1]!.emit(metrics({ peers: 1, accuracy: 0.4 }));
    buses[0]!.emit(metrics({ peers: 1, accuracy: 0.6 }));
    expect(out.map((e) => (e.type === "round.metrics" ? e.accuracy : NaN))).toEqual([0.2, expect.closeTo(0.3, 12), expect.closeTo(0.5, 12)]);
  });

  test("another run starts the merge over; faults of the old run no longer count as seen", () => {
    const { buses, out } = merged(2);
    const run = { type: "run.started", t: 0, scenario: "s", clock: "virtual", peers: 2, rounds: 1, seed: 1 } as const;
    const fault = { type: "fault", t: 5, what: "x" } as const;
    buses[0]!.emit(run);
    buses[1]!.emit(run);
    buses[0]!.emit(fault);
    buses[1]!.emit(fault);
    buses[0]!.emit({ ...run, seed: 2 });
    buses[0]!.emit(fault);
    buses[0]!.emit({ type: "run.finished", t: 9 });
    expect(out).toEqual([run, fault, { ...run, seed: 2 }, fault, { type: "run.finished", t: 9 }]);
  });

  test("each subscriber gets its own merge, and unsubscribing lets go of every source", () => {
    const buses = [createTelemetryBus(), createTelemetryBus()];
    const source = mergeSources(buses);
    const first: TelemetryEvent[] = [];
    const second: TelemetryEvent[] = [];
    const off = source.subscribe((ev) => first.push(ev));
    buses[0]!.emit({ type: "fault", t: 1, what: "x" });
    source.subscribe((ev) => second.push(ev));
    buses[1]!.emit({ type: "fault", t: 1, what: "x" });
    off();
    buses[0]!.emit({ type: "fault", t: 2, what: "y" });
    expect(first).toEqual([{ type: "fault", t: 1, what: "x" }]);
    expect(second).toEqual([{ type: "fault", t: 1, what: "x" }, { type: "fault", t: 2, what: "y" }]);
  });
});
