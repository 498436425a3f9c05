import { describe, expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { loadScenario } from "../../scenarios/define.ts";
import { runScenario, type World } from "../../sim/run-scenario.ts";

// Whole-run faults on the virtual clock: the tracker dies, a peer is cut off and falls behind.
const tiny = await loadScenario("tiny");

async function run(rounds: number, setup: (w: World) => void) {
  const records: PeerRoundRecord[] = [];
  const finished: string[] = [];
  const report = await runScenario({ ...tiny, rounds }, { logSink: () => {}, onPeerRound: (r) => records.push(r), setup });
  return { report, records, finished };
}

describe("peers under faults", () => {
  test("the tracker dies after admission: the peers finish every round without it", async () => {
    let stoppedAt = -1;
    const { report, records } = await run(4, (w) => {
      w.clock.setTimeout(() => {
        stoppedAt = w.clock.now();
        void w.tracker!.stop();
      }, 150);
    });
    expect(stoppedAt).toBe(150); // peers were admitted and connected by ~54 ms; rounds take ~100 ms
    expect(report.rounds.length).toBe(4);
    expect(records.filter((r) => r.times.trainStartMs > stoppedAt).length).toBe(12);
    expect(report.rounds.every((r) => r.coverage.min === 1)).toBe(true);
  });

  test("a peer cut off for a while falls behind, catches up by skipping rounds, and everyone finishes", async () => {
    const cut = "mem://p003";
    const rest = ["mem://p000", "mem://p001", "mem://p002"];
    const { report, records } = await run(12, (w) => {
      w.clock.setTimeout(() => w.net!.faults.partition([cut], rest), 500);
      w.clock.setTimeout(() => w.net!.faults.heal(), 25_000);
    });
    const p3 = records.filter((r) => r.peer === "p003").map((r) => r.round);
    const skipped = p3.some((r, i) => i > 0 && r > p3[i - 1]! + 1);
    expect({ p3, skipped }).toMatchObject({ skipped: true });
    // While cut off its rounds were degraded; the others aggregated 3 of 4 origins at their deadline.
    expect(records.some((r) => r.peer === "p003" && r.degraded)).toBe(true);
    expect(records.some((r) => r.peer === "p000" && r.outcome === "partial")).toBe(true);
    // After the heal it is back in the swarm: its last round is complete, like everyone's.
    const last = records.filter((r) => r.round === 11);
    expect(last.map((r) => r.peer).sort()).toEqual(["p000", "p001", "p002", "p003"]);
    expect(last.every((r) => r.outcome === "complete")).toBe(true);
    expect(report.rounds.at(-1)!.round).toBe(11);
  });

  test("neighbours that dial in before a peer's own admission arrives still count as connected", async () => {
    // p000 joins first but its admission is held back 500 ms: its ring neighbours, admitted meanwhile, dial it
    // while it is still joining. It must not wait out connect retries (and fail) for links it already has.
    const { report, records } = await run(2, (w) => {
      w.net!.faults.setFilter(({ from, to }) => (from === "mem://tracker" && to === "mem://p000" ? { delayMs: 500 } : "deliver"));
    });
    expect(report.rounds.length).toBe(2);
    const p0 = records.filter((r) => r.peer === "p000");
    expect(p0.map((r) => [r.round, r.outcome, r.coverage])).toEqual([
      [0, "complete", 1],
      [1, "complete", 1],
    ]);
    expect(p0[0]!.times.trainStartMs).toBeLessThan(600); // not 10 s of connect timeout later
  });

  test("pieces that arrive before a peer starts its round are not mistaken for a complete round", async () => {
    // p003's frames to p000 are slow, so p000 waits in `connect` while p001 already serves round-0 pieces; and
    // everything p002 sends is slower still, so p002's update is not there yet when p000 reaches `swarm`.
    // The early pieces must count against p000's round goal once the round starts, not against nothing, or p000
    // believes the round complete and aggregates without p002.
    const { report, records } = await run(2, (w) => {
      w.net!.faults.setFilter(({ from, to }) =>
        from === "mem://p002" ? { delayMs: 1000 } : from === "mem://p003" && to === "mem://p000" ? { delayMs: 300 } : "deliver",
      );
    });
    expect(report.rounds.length).toBe(2);
    // A round is "complete" exactly when every expected piece was held at aggregation.
    for (const r of records) expect([r.peer, r.round, r.outcome === "complete"]).toEqual([r.peer, r.round, r.coverage === 1]);
    expect(records.find((r) => r.peer === "p000" && r.round === 0)!.coverage).toBeLessThan(1); // the slow update was cut by the deadline
  });
});
