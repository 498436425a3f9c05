import { describe, expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { loadScenario } from "../../scenarios/define.ts";
import type { Scenario } from "../../scenarios/types.ts";
import { runBaseline } from "../../sim/baseline.ts";
import { reportJson } from "../../sim/report.ts";
import { runScenario } from "../../sim/run-scenario.ts";
import { decode } from "../../swarm/codec.ts";

const tiny = await loadScenario("tiny");
const quiet = { logSink: () => {} };

/** Runs and returns the report plus every peer's round records. */
async function run(s: Scenario, setup?: Parameters<typeof runScenario>[1] extends infer O ? (O extends { setup?: infer F } ? F : never) : never) {
  const records: PeerRoundRecord[] = [];
  const report = await runScenario(s, { ...quiet, onPeerRound: (r) => records.push(r), setup });
  return { report, records };
}

/** Drops every piece frame of the given origins: their updates never reach anyone else. */
function dropPiecesOf(origins: string[]) {
  return (world: { net?: { faults: { setFilter(f: (ev: { frame: Uint8Array }) => "deliver" | "drop"): void } } }) =>
    world.net!.faults.setFilter(({ frame }) => {
      try {
        const m = decode(frame);
        return m.t === "piece" && origins.includes(m.origin) ? "drop" : "deliver";
      } catch {
        return "deliver"; // tracker frames use their own codec
      }
    });
}

describe("scenario, virtual clock", () => {
  test("tiny runs every round end to end; peers with every piece hold bit-identical models", async () => {
    const { report, records } = await run(tiny);
    expect(report.rounds.map((r) => r.round)).toEqual([0, 1]);
    expect(report.clock).toBe("virtual");
    for (const row of report.rounds) {
      expect(row.peers).toBe(4);
      expect(row.coverage).toEqual({ min: 1, median: 1, max: 1 });
      expect(row.degradedPeers).toBe(0);
      expect(row.payloadBytes).toBeGreaterThan(0);
      expect(row.swarmMs).toBeGreaterThan(0);
      const hashes = new Set(records.filter((r) => r.round === row.round).map((r) => r.modelHash));
      expect(hashes.size).toBe(1);
    }
    expect(records.every((r) => r.outcome === "complete" && r.origins === 4)).toBe(true);
    // MLP 20-16-4: (20·16 + 16 + 16·4 + 4) floats = 1616 B. Each round each of 4 peers needs 3 others' updates.
    expect(report.rounds.reduce((s, r) => s + r.payloadBytes, 0)).toBe(2 * 4 * 3 * 1616);
    expect(report.final!.accuracy).toBeGreaterThan(0.5); // 4 classes: chance is 0.25
  });

  test("the same scenario and seed give the same report byte for byte; another seed does not", async () => {
    const a = reportJson((await run(tiny)).report);
    const b = reportJson((await run(tiny)).report);
    expect(a).toBe(b);
    const c = reportJson((await run({ ...tiny, seed: 2 })).report);
    expect(c).not.toBe(a);
  });

  test("a full-coverage swarm computes exactly ideal FedAvg (same accuracy every round)", async () => {
    const s = { ...tiny, rounds: 3 };
    const { report } = await run(s);
    const base = await runBaseline("fedavg", s);
    expect(report.rounds.map((r) => r.accuracy)).toEqual(base.rounds);
  });

  test("deadline with coverage ≥ minCompletion: partial aggregation, and equal pieces still mean equal models", async () => {
    const { report, records } = await run({ ...tiny, rounds: 1 }, dropPiecesOf(["p003"]));
    const others = records.filter((r) => r.peer !== "p003");
    expect(others.map((r) => r.outcome)).toEqual(["partial", "partial", "partial"]);
    for (const r of others) {
      expect(r.coverage).toBe(0.75);
      expect(r.origins).toBe(3);
      expect(r.degraded).toBe(false);
      expect(r.times.aggregateStartMs! - r.times.swarmStartMs!).toBeGreaterThanOrEqual(tiny.swarm.deadlineMs - 1e-6);
    }
    expect(new Set(others.map((r) => r.modelHash)).size).toBe(1);
    const p3 = records.find((r) => r.peer === "p003")!;
    expect(p3.outcome).toBe("complete");
    expect(p3.modelHash).not.toBe(others[0]!.modelHash);
    expect(report.rounds[0]!.coverage).toEqual({ min: 0.75, median: 0.75, max: 1 });
  });

  test("deadline below minCompletion: one grace period, then a degraded aggregation; the run still finishes", async () => {
    const { report, records } = await run(tiny, dropPiecesOf(["p002", "p003"]));
    expect(report.rounds.length).toBe(2);
    const cut = records.filter((r) => r.peer === "p000" || r.peer === "p001");
    for (const r of cut) {
      expect(r.outcome).toBe("degraded");
      expect(r.degraded).toBe(true);
      expect(r.coverage).toBe(0.5);
      expect(r.times.aggregateStartMs! - r.times.swarmStartMs!).toBeGreaterThanOrEqual(tiny.swarm.deadlineMs + tiny.swarm.graceMs - 1e-6);
    }
    expect(report.rounds.every((row) => row.degradedPeers === 2)).toBe(true);
  });
});
