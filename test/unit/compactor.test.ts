import { describe, expect, test } from "bun:test";
import { Compactor } from "../../telemetry/compactor.ts";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { emptyView, eventsLogMax, reduce, reduceAll } from "../../tui/view-model.ts";
import { rendered, telemetryStream } from "./telemetry-stream.ts";

const peers = ["p0", "p1", "p2", "p3", "p4", "p5"];

describe("Compactor", () => {
  test("a snapshot replays to the same view as the full stream, at every point of a long run", () => {
    const stream = telemetryStream({ peers, rounds: 30 });
    expect(stream.filter((e) => e.type === "fault").length).toBeGreaterThan(eventsLogMax);
    const compactor = new Compactor();
    let full = emptyView;
    let checked = 0;
    stream.forEach((ev, i) => {
      compactor.emit(ev);
      full = reduce(full, ev);
      if (i % 97 !== 0 && i !== stream.length - 1) return;
      expect(rendered(reduceAll(compactor.snapshot()))).toEqual(rendered(full));
      checked++;
    });
    expect(checked).toBeGreaterThan(50);
    // The stream exercised what the contract is about: rates, bans, logged states, a finished run.
    expect(full.finished).toBe(true);
    expect(full.peers.some((p) => p.upRate > 0)).toBe(true);
    expect(full.peers.some((p) => p.bannedBy > 0)).toBe(true);
    expect(full.log.some((l) => l.kind === "timeout")).toBe(true);
  });

  test("the snapshot stays bounded by peers × origins + rounds + log, not by the stream's length", () => {
    const rounds = 100;
    const stream = telemetryStream({ peers, rounds });
    const compactor = new Compactor();
    for (const ev of stream) compactor.emit(ev);
    const snapshot = compactor.snapshot();
    const bans = stream.filter((e) => e.type === "ban").length;
    const bound = 7 * peers.length + peers.length * peers.length + peers.length + rounds + 2 + bans + 2 * eventsLogMax + 1;
    expect(snapshot.length).toBeLessThanOrEqual(bound);
    expect(snapshot.length * 10).toBeLessThan(stream.length);
  });

  test("a snapshot is the stream's own events, in stream order, run.started first", () => {
    const stream = telemetryStream({ peers, rounds: 12 });
    const compactor = new Compactor();
    for (const ev of stream) compactor.emit(ev);
    const snapshot = compactor.snapshot();
    expect(snapshot[0]).toBe(stream[0]!);
    let at = -1;
    for (const ev of snapshot) {
      const i = stream.indexOf(ev);
      expect(i).toBeGreaterThan(at);
      at = i;
    }
  });

  test("peer rates survive when byte reports come faster than the view's rate interval", () => {
    const compactor = new Compactor();
    const events: TelemetryEvent[] = [{ type: "run.started", t: 0, scenario: "s", clock: "virtual", peers: 1, rounds: 1, seed: 1 }];
    for (let k = 1; k <= 40; k++) events.push({ type: "peer.bytes", t: k * 130, peer: "a", up: k * k * 1000, down: k * 500 });
    for (const ev of events) compactor.emit(ev);
    const full = reduceAll(events).peers[0]!;
    const replayed = reduceAll(compactor.snapshot()).peers[0]!;
    expect(replayed).toEqual(full);
    expect(full.upRate).toBeGreaterThan(0);
    // run.started, the first sample (it introduced the peer), the rate interval's two ends and the newest sample.
    expect(compactor.snapshot().length).toBeLessThanOrEqual(5);
  });

  test("peers and origins keep their first-appearance order though their latest updates come in another order", () => {
    const compactor = new Compactor();
    const events: TelemetryEvent[] = [
      { type: "run.started", t: 0, scenario: "s", clock: "virtual", peers: 2, rounds: 1, seed: 1 },
      { type: "peer.state", t: 1, peer: "a", state: "train", round: 0 },
      { type: "piece.progress", t: 2, peer: "b", round: 0, origins: ["x"], held: [1], count: [4] },
      { type: "piece.progress", t: 3, peer: "b", round: 0, origins: ["y"], held: [1], count: [4] },
      { type: "peer.state", t: 4, peer: "a", state: "swarm", round: 0 },
      { type: "piece.progress", t: 5, peer: "b", round: 0, origins: ["x"], held: [2], count: [4] },
    ];
    for (const ev of events) compactor.emit(ev);
    const view = reduceAll(compactor.snapshot());
    expect(view.peers.map((p) => p.id)).toEqual(["a", "b"]);
    expect(view.origins).toEqual(["x", "y"]);
    expect(rendered(view)).toEqual(rendered(reduceAll(events)));
  });

  test("a peer that enters grace in two rounds, then fails, logs each time after the replay too", () => {
    const compactor = new Compactor();
    const events: TelemetryEvent[] = [{ type: "run.started", t: 0, scenario: "s", clock: "virtual", peers: 1, rounds: 3, seed: 1 }];
    let t = 1;
    for (const [state, round] of [["swarm", 0], ["grace", 0], ["aggregate", 0], ["swarm", 1], ["grace", 1], ["failed", 1]] as const) {
      events.push({ type: "peer.state", t: t++, peer: "a", state, round });
    }
    for (const ev of events) compactor.emit(ev);
    const log = reduceAll(compactor.snapshot()).log.map((l) => l.text);
    expect(log).toEqual(reduceAll(events).log.map((l) => l.text));
    expect(log.filter((l) => l.includes("grace"))).toHaveLength(2);
  });

  test("batched piece reports: older events kept for some origins replay under the newer ones", () => {
    const run: TelemetryEvent = { type: "run.started", t: 0, scenario: "s", clock: "virtual", peers: 2, rounds: 3, seed: 1 };
    const stream: TelemetryEvent[] = [
      run,
      { type: "piece.progress", t: 1, peer: "a", round: 0, origins: ["a", "b", "c"], held: [4, 0, 0], count: [4, 4, 4] },
      { type: "piece.progress", t: 2, peer: "a", round: 0, origins: ["b"], held: [2], count: [4] },
      { type: "piece.progress", t: 3, peer: "a", round: 0, origins: ["c", "b"], held: [1, 3], count: [4, 4] },
      { type: "piece.progress", t: 4, peer: "a", round: 1, origins: ["a", "b"], held: [4, 1], count: [4, 4] },
      { type: "piece.progress", t: 5, peer: "b", round: 0, origins: ["c"], held: [2], count: [4] },
    ];
    const c = new Compactor();
    for (const ev of stream) c.emit(ev);
    const snap = c.snapshot();
    // The t=2 report is superseded on its only origin; the rest each still hold the latest word on some origin.
    expect(snap.map((e) => e.t)).toEqual([0, 1, 3, 4, 5]);
    expect(rendered(reduceAll(snap))).toEqual(rendered(reduceAll(stream)));
  });

  test("a re-sent run.started of the same run changes nothing; another run starts over", () => {
    const stream = telemetryStream({ peers, rounds: 4 });
    const compactor = new Compactor();
    for (const ev of stream) compactor.emit(ev);
    const before = compactor.snapshot();
    compactor.emit({ ...(stream[0] as Extract<TelemetryEvent, { type: "run.started" }>), t: 99_999 });
    expect(compactor.snapshot()).toEqual(before);
    const next: TelemetryEvent = { type: "run.started", t: 100_000, scenario: "stream", clock: "virtual", peers: 6, rounds: 4, seed: 12 };
    compactor.emit(next);
    expect(compactor.snapshot()).toEqual([next]);
  });

  test("the log keeps the last logKept entries, in order", () => {
    const compactor = new Compactor({ logKept: 3 });
    for (let i = 0; i < 10; i++) compactor.emit({ type: "fault", t: i, what: `f${i}` });
    expect(compactor.snapshot().map((e) => (e.type === "fault" ? e.what : e.type))).toEqual(["f7", "f8", "f9"]);
  });

  test("rejects a logKept that is not a count", () => {
    expect(() => new Compactor({ logKept: -1 })).toThrow(/logKept/);
    expect(() => new Compactor({ logKept: 1.5 })).toThrow(/logKept/);
  });
});
