import { describe, expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { fold, RoundRows } from "../../sim/round-rows.ts";
import type { RoundRow } from "../../sim/report.ts";
import { roundRecord } from "./round-record.ts";

function rec(peer: string, round: number, over: Partial<PeerRoundRecord> & { doneMs?: number; publishedMs?: number; aggregateStartMs?: number } = {}): PeerRoundRecord {
  const { doneMs = 100 * (round + 1), publishedMs = 100 * round + 10, aggregateStartMs = 100 * round + 90, ...rest } = over;
  return roundRecord(peer, round, { trainStartMs: 100 * round, publishedMs, swarmStartMs: publishedMs, aggregateStartMs, doneMs }, rest);
}

describe("round rows", () => {
  test("fold: means, coverage quantiles, sums and times", () => {
    const row = fold(
      2,
      [rec("a", 2, { accuracy: 0.2, coverage: 0.7, degraded: true, doneMs: 350 }), rec("b", 2, { accuracy: 0.4, coverage: 0.9, publishedMs: 205 }), rec("c", 2, { accuracy: 0.9, coverage: 1, aggregateStartMs: 330 })],
      250,
      42,
    );
    expect(row.accuracy).toBeCloseTo(0.5, 12);
    expect(row.coverage).toEqual({ min: 0.7, median: 0.9, max: 1 });
    expect(row.degradedPeers).toBe(1);
    expect(row.payloadBytes).toBe(3000);
    expect(row.duplicateBytes).toBe(30);
    expect(row.overheadBytes).toBe(300);
    expect(row.swarmMs).toBe(330 - 205);
    expect(row.roundMs).toBe(350 - 250);
    expect(row.lowerBoundMs).toBe(42);
  });

  test("a round is emitted once every peer reported it, moved past it or stopped", () => {
    const out: RoundRow[] = [];
    const rows = new RoundRows(["a", "b", "c"], 0, 1, (r) => out.push(r));
    rows.add(rec("a", 0));
    rows.add(rec("b", 0));
    expect(out.length).toBe(0);
    rows.add(rec("a", 1));
    rows.stop("c"); // c failed before reporting round 0
    expect(out.map((r) => [r.round, r.peers])).toEqual([[0, 2]]);
    rows.add(rec("b", 3)); // b caught up, skipping rounds 1 and 2: round 1 (only a) is complete now
    expect(out.map((r) => [r.round, r.peers])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    rows.add(rec("a", 3));
    expect(out.map((r) => [r.round, r.peers])).toEqual([
      [0, 2],
      [1, 1],
      [3, 2],
    ]);
  });

  test("flush(true) emits what is left at the end of a run", () => {
    const out: RoundRow[] = [];
    const rows = new RoundRows(["a", "b"], 0, 1, (r) => out.push(r));
    rows.add(rec("a", 0));
    rows.flush(true);
    expect(out.map((r) => [r.round, r.peers])).toEqual([[0, 1]]);
  });
});
