import { describe, expect, test } from "bun:test";
import { parseTelemetryEvent, TelemetryError, type TelemetryEvent } from "../../telemetry/events.ts";
import { selectEvents, selectHeader, selectHeatmap, selectLearning, selectPeerRows } from "../../tui/selectors.ts";
import { failedPeer, lastRoundHeld, peerName, syntheticPieces, syntheticRun } from "../../tui/synthetic-run.ts";
import { emptyView, eventsLogMax, reduce, reduceAll, viewPeersMax } from "../../tui/view-model.ts";

const events = syntheticRun();
const view = reduceAll(events);
const liveIds = Array.from({ length: 20 }, (_, i) => i).filter((i) => peerName(i) !== failedPeer);

/** Round-2 coverage of peer i, from the story in synthetic-run.ts (19 origins × 4 pieces). */
const lastRoundCoverage = (i: number) => liveIds.reduce((s, j) => s + lastRoundHeld(i, j), 0) / (liveIds.length * syntheticPieces);

describe("reducer over a recorded stream (20 peers × 3 rounds)", () => {
  test("the stream is a recorded run's size and in clock order", () => {
    expect(events.length).toBeGreaterThan(400);
    expect(events.every((e, k) => k === 0 || e.t >= events[k - 1]!.t)).toBe(true);
  });

  test("header: run, round r/R with the slowest live peer, elapsed, live/failed, throughput from byte deltas", () => {
    const h = selectHeader(view);
    expect(h).toMatchObject({ scenario: "synthetic-20", clock: "virtual", seed: 7, finished: false });
    expect(h.round).toEqual({ current: 2, slowest: 2, total: 3 });
    expect(h.elapsedMs).toBe(23_500);
    expect(h.peers).toEqual({ expected: 20, seen: 20, live: 19, done: 0, failed: 1, left: 0 });
    // Over the last second each live peer sent 100 kB (even) or 200 kB (odd) and received 150 kB; p07 went quiet.
    const up = liveIds.reduce((s, i) => s + 100_000 * (1 + (i % 2)), 0);
    expect(h.upRate).toBeCloseTo(up, 6);
    expect(h.downRate).toBeCloseTo(19 * 150_000, 6);
  });

  test("peers: state, live coverage, rates, device, degraded, last accuracy", () => {
    const rows = selectPeerRows(view);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => peerName(i)));
    const p00 = rows[0]!;
    expect(p00).toMatchObject({ state: "swarm", round: 2, device: "laptop-wifi", degraded: false, upRate: 100_000, downRate: 150_000, bannedBy: 0 });
    expect(p00.coverage).toBeCloseTo(lastRoundCoverage(0), 12);
    expect(p00.accuracy).toBeCloseTo(0.7, 12);
    const p03 = rows[3]!;
    expect(p03).toMatchObject({ state: "grace", degraded: true, device: "phone-4g", upRate: 200_000 });
    expect(p03.coverage).toBeCloseTo(lastRoundCoverage(3), 12);
    // Failed in round 1 before aggregating: its last report (round 0, coverage 1) stands; no bytes any more.
    expect(rows[7]).toMatchObject({ state: "failed", round: 1, coverage: 1, upRate: 0, downRate: 0 });
    expect(rows[9]!.bannedBy).toBe(1);
  });

  test("learning: accuracy and loss per round, baseline", () => {
    const l = selectLearning(view);
    expect(l.accuracy).toEqual([0.6, 0.7]);
    expect(l.loss).toEqual([1.2, 0.8]);
    expect(l.rounds.map((r) => r.degradedPeers)).toEqual([0, 1]);
    expect(l.baselines).toEqual([{ kind: "centralized", accuracy: 0.75 }]);
  });

  test("events: faults, bans, failures and timeouts in clock order, times from run start", () => {
    const e = selectEvents(view, 50);
    expect(e.earlier).toBe(0);
    expect(e.lines.map((l) => [l.kind, l.peer])).toEqual([
      ["run", undefined],
      ["fault", "p03"],
      ["ban", "p05"],
      ["failed", "p07"],
      // The expired timer, then the state it led to.
      ["timeout", "p03"],
      ["timeout", "p03"],
    ]);
    expect(e.lines[2]).toMatchObject({ at: 12_300, text: "banned p09: 3 strikes: bad hash" });
    expect(selectEvents(view, 2)).toMatchObject({ earlier: 4, lines: [{ kind: "timeout" }, { kind: "timeout" }] });
  });

  test("heatmap: the round's origins rarest first, with the selected peer's holdings", () => {
    const hm = selectHeatmap(view, "p01", { maxRows: 100, maxCols: 40 });
    expect(hm).toMatchObject({ peer: "p01", round: 2, peersInRound: 19, hiddenRows: 0 });
    expect(hm.rows.map((r) => r.origin).sort()).toEqual(liveIds.map(peerName).sort());
    const rarity = (j: number) => 1 - liveIds.reduce((s, i) => s + lastRoundHeld(i, j), 0) / (19 * syntheticPieces);
    for (const row of hm.rows) expect(row.rarity).toBeCloseTo(rarity(Number(row.origin.slice(1))), 12);
    for (let k = 1; k < hm.rows.length; k++) expect(hm.rows[k]!.rarity).toBeLessThanOrEqual(hm.rows[k - 1]!.rarity);
    // p01 holds (1 + 2) mod 5 = 3 of p02's 4 pieces; the swarm column k counts peers past piece k.
    const p02 = hm.rows.find((r) => r.origin === "p02")!;
    expect(p02.peerCells).toEqual([1, 1, 1, 0]);
    const past = (k: number) => liveIds.filter((i) => lastRoundHeld(i, 2) > k).length / 19;
    expect(p02.swarmCells).toEqual([0, 1, 2, 3].map(past));
    expect(p02.holders).toBe(liveIds.filter((i) => lastRoundHeld(i, 2) === 4).length);
    expect(selectHeatmap(view, "p01", { maxRows: 5, maxCols: 2 })).toMatchObject({ hiddenRows: 14 });
    expect(selectHeatmap(view, "p01", { maxRows: 5, maxCols: 2 }).rows[0]!.peerCells).toHaveLength(2);
  });

  test("pure and deterministic: earlier views are untouched, equal streams give equal views", () => {
    const half = reduceAll(events.slice(0, 300));
    const copy = structuredClone(half);
    reduceAll(events.slice(300), half);
    expect(half).toEqual(copy);
    expect(reduceAll(events)).toEqual(view);
  });

  test("a new run.started starts over", () => {
    const again = reduce(view, events[0]!);
    expect(again.peers).toEqual([]);
    expect(again.log).toHaveLength(1);
  });
});

describe("reducer limits", () => {
  test("the events log keeps the last eventsLogMax entries and counts the rest", () => {
    const faults: TelemetryEvent[] = Array.from({ length: eventsLogMax + 50 }, (_, k) => ({ type: "fault", t: k, what: `f${k}` }));
    const v = reduceAll(faults);
    expect(v.log).toHaveLength(eventsLogMax);
    expect(v.log[0]!.text).toBe("f50");
    expect(selectEvents(v, 10)).toMatchObject({ earlier: eventsLogMax + 40 });
  });

  test("peers past viewPeersMax are counted, not stored", () => {
    let v = emptyView;
    for (let k = 0; k < viewPeersMax + 3; k++) v = reduce(v, { type: "peer.device", t: 0, peer: `x${k}`, device: "d" });
    expect(v.peers).toHaveLength(viewPeersMax);
    expect(v.dropped).toBe(3);
  });

  test("piece progress from a round the peer has left is ignored; a new round starts its holdings afresh", () => {
    const p = (t: number, round: number, origin: string, held: number): TelemetryEvent => ({ type: "piece.progress", t, peer: "a", round, origins: [origin], held: [held], count: [4] });
    const v = reduceAll([p(0, 0, "a", 4), p(1, 0, "b", 2), p(2, 1, "a", 4), p(3, 0, "b", 4)]);
    expect(v.peers[0]).toMatchObject({ pieceRound: 1, held: [4] });
  });
});

describe("telemetry events are plain data", () => {
  test("every event of the stream survives JSON and validates", () => {
    for (const e of events) expect(parseTelemetryEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  test("a bad event is rejected with the field's path", () => {
    const bad = (v: unknown) => {
      try {
        parseTelemetryEvent(v);
      } catch (e) {
        return e instanceof TelemetryError ? e.path : "other error";
      }
      return "accepted";
    };
    expect(bad(null)).toBe("event");
    expect(bad({ type: "peer.explode", t: 0 })).toBe("type");
    expect(bad({ type: "peer.state", t: 0, peer: "a", state: "dancing", round: 0 })).toBe("state");
    expect(bad({ type: "round.metrics", t: 0, round: 0, accuracy: 1, loss: 0, coverage: { min: 0, median: "x", max: 1 }, degradedPeers: 0, payloadBytes: 0, swarmMs: 0, roundMs: 0 })).toBe("coverage.median");
    expect(bad({ type: "fault", t: Number.NaN, what: "x" })).toBe("t");
    expect(bad({ type: "fault", t: 0, what: "x" })).toBe("accepted");
  });
});
