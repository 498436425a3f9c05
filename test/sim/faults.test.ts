import { describe, expect, test } from "bun:test";
import { byzantine, crash, partition } from "../../plugins/faults/index.ts";
import { ring } from "../../plugins/topology/ring.ts";
import { runSmallSwarm, smallSwarm, smallSwarmDeadlineMs } from "./small-swarm.ts";
import { defineScenario } from "../../scenarios/define.ts";

// Fault plugins in the scenario DSL, on the virtual clock (deterministic, so exact counts can be asserted).
const run = runSmallSwarm;
const base = smallSwarm;

describe("fault plugins", () => {
  test("crash({ fraction: 0.3, atRound: 1 }): three peers die as round 1 starts; the seven survivors finish every round", async () => {
    const { report, records, faults } = await run({ faults: [crash({ fraction: 0.3, atRound: 1 })] });
    expect(faults.filter((f) => f.includes("crashed")).length).toBe(3);
    expect(report.rounds.map((r) => r.peers)).toEqual([10, 7, 7, 7]);
    const dead = new Set(records.filter((r) => r.round === 0).map((r) => r.peer));
    for (const r of records.filter((x) => x.round > 0)) dead.delete(r.peer);
    expect(dead.size).toBe(3);
    // The tracker tells the survivors the dead are gone: rounds stop waiting for them, so every later round
    // completes with every live origin, long before the 5 s deadline that would otherwise end it.
    for (const row of report.rounds.slice(1)) {
      expect(row.coverage.min).toBe(1);
      expect(row.degradedPeers).toBe(0);
    }
    for (const row of report.rounds.slice(2)) expect(row.roundMs).toBeLessThan(smallSwarmDeadlineMs / 2);
    expect(records.filter((r) => r.round > 1).every((r) => r.outcome === "complete" && r.origins === 7)).toBe(true);
  });

  test("byzantine sign flips reach fedavg and hurt accuracy; the same run without them does better", async () => {
    const honest = await run({ rounds: 3 });
    const poisoned = await run({ rounds: 3, faults: [byzantine({ fraction: 0.2, attack: "signFlip", factor: 4 })] });
    expect(poisoned.report.rounds.every((r) => r.coverage.min === 1)).toBe(true); // lies verify like the truth
    expect(poisoned.report.final!.accuracy).toBeLessThan(honest.report.final!.accuracy - 0.05);
  });

  test("partition({ fraction: 0.3, fromMs, toMs }): the cut-off group rejoins after the heal and every peer finishes", async () => {
    const { report, records } = await run({ rounds: 6, faults: [partition({ fraction: 0.3, fromMs: 150, toMs: 12_000 })] });
    expect(report.rounds.length).toBe(6);
    expect(records.some((r) => r.coverage < 1)).toBe(true);
    const last = records.filter((r) => r.round === 5);
    expect(last.length).toBe(10);
    expect(last.every((r) => r.coverage === 1)).toBe(true);
  });

  test("fault options are validated, and the scenario names a bad faults entry", () => {
    expect(() => crash({ fraction: 1.5 })).toThrow("crash.fraction: expected a number in [0, 1], got 1.5");
    expect(() => byzantine({ fraction: 0.1, attack: "lie" as "noise" })).toThrow("byzantine.attack");
    expect(() => partition({ fraction: 0.5, fromMs: 10, toMs: 5 })).toThrow("partition.toMs");
    expect(() => defineScenario({ ...base, faults: [ring() as never] })).toThrow(/faults\[0\]: expected a fault plugin/);
  });
});
