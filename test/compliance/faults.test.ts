import { describe, expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { roundStateNames } from "../../machines/round-types.ts";
import { battery, byzantine, churn, corrupt, crash, flapping, intermittent, partition, restart, slowLink } from "../../plugins/faults/index.ts";
import { crashStates, type CrashState } from "../../plugins/faults/crash.ts";
import type { PartitionOptions } from "../../plugins/faults/partition.ts";
import { describePlugin } from "../../plugins/plugin.ts";
import { runSmallSwarm } from "../sim/small-swarm.ts";
import { actions, fakeWorld, faultsCompliance, runFault, suiteRoster } from "./faults-suite.ts";
import { ids } from "./topology-suite.ts";

// Every shipped fault plugin runs the suite.
faultsCompliance({
  name: "crash",
  make: () => crash({ fraction: 0.3 }),
  options: { fraction: 0.3, atRound: 1 },
  link: false,
  idle: () => crash({ fraction: 0 }),
  invalid: [
    { call: () => crash({ fraction: 1.5 }), field: "crash.fraction" },
    { call: () => crash({ fraction: Number.NaN }), field: "crash.fraction" },
    { call: () => crash({ fraction: 0.1, atRound: -1 }), field: "crash.atRound" },
    { call: () => crash({ fraction: 0.1, atRound: 1.5 }), field: "crash.atRound" },
    { call: () => crash({ fraction: 0.1, inState: "done" as CrashState }), field: "crash.inState" },
    { call: () => crash({ fraction: 0.1, inState: "Train" as CrashState }), field: "crash.inState" },
  ],
});
for (const inState of crashStates) {
  faultsCompliance({
    name: "crash",
    make: () => crash({ fraction: 0.3, atRound: 2, inState }),
    options: inState === "train" ? { fraction: 0.3, atRound: 2 } : { fraction: 0.3, atRound: 2, inState },
    link: false,
  });
}
faultsCompliance({
  name: "restart",
  make: () => restart({ fraction: 0.2, downMs: 500 }),
  options: { fraction: 0.2, atRound: 1, downMs: 500 },
  link: false,
  idle: () => restart({ fraction: 0, downMs: 500 }),
  invalid: [
    { call: () => restart({ fraction: 2, downMs: 1 }), field: "restart.fraction" },
    { call: () => restart({ fraction: 0.2, atRound: 1.5, downMs: 1 }), field: "restart.atRound" },
    { call: () => restart({ fraction: 0.2, downMs: -1 }), field: "restart.downMs" },
    { call: () => restart({ fraction: 0.2, downMs: Number.POSITIVE_INFINITY }), field: "restart.downMs" },
  ],
});
faultsCompliance({
  name: "churn",
  make: () => churn({ leaveFraction: 0.3 }),
  options: { leaveFraction: 0.3, atRound: 1 },
  link: false,
  idle: () => churn({ leaveFraction: 0 }),
  invalid: [
    { call: () => churn({ leaveFraction: -0.1 }), field: "churn.leaveFraction" },
    { call: () => churn({ leaveFraction: 0.1, atRound: -1 }), field: "churn.atRound" },
    { call: () => churn({ leaveFraction: 0.1, joinFraction: 2 }), field: "churn.joinFraction" },
    { call: () => churn({ leaveFraction: 0.6, joinFraction: 0.6 }), field: "churn.joinFraction" },
    { call: () => churn({ leaveFraction: 0.1, joinFraction: 0.1, joinAtRound: 0.5 }), field: "churn.joinAtRound" },
  ],
});
faultsCompliance({
  name: "churn",
  make: () => churn({ leaveFraction: 0.2, joinFraction: 0.2, joinAtRound: 2 }),
  options: { leaveFraction: 0.2, atRound: 1, joinFraction: 0.2, joinAtRound: 2 },
  link: false,
});
faultsCompliance({
  name: "battery",
  make: () => battery({ fraction: 0.3, rounds: 2 }),
  options: { fraction: 0.3, rounds: 2 },
  link: false,
  idle: () => battery({ fraction: 0, rounds: 1 }),
  invalid: [
    { call: () => battery({ fraction: 1.1, rounds: 1 }), field: "battery.fraction" },
    { call: () => battery({ fraction: 0.1, rounds: 0 }), field: "battery.rounds" },
    { call: () => battery({ fraction: 0.1, rounds: 1.5 }), field: "battery.rounds" },
  ],
});
faultsCompliance({
  name: "partition",
  make: () => partition({ fraction: 0.3, fromMs: 150, toMs: 2500 }),
  options: { fraction: 0.3, fromMs: 150, toMs: 2500 },
  link: true,
  idle: () => partition({ fraction: 0, fromMs: 150, toMs: 2500 }),
  invalid: [
    { call: () => partition({ fraction: -1, fromMs: 0 }), field: "partition.fraction" },
    { call: () => partition({ fromMs: 0 } as PartitionOptions), field: "partition.fraction" },
    { call: () => partition({ fraction: 0.5, groups: [["p000"], ["p001"]], fromMs: 0 } as unknown as PartitionOptions), field: "partition.groups" },
    { call: () => partition({ groups: [["p000"]], fromMs: 0 }), field: "partition.groups" },
    { call: () => partition({ groups: [["p000"], []], fromMs: 0 }), field: "partition.groups[1]" },
    { call: () => partition({ groups: [["p000"], ["p000"]], fromMs: 0 }), field: "partition.groups" },
    { call: () => partition({ fraction: 0.5, fromMs: -1 }), field: "partition.fromMs" },
    { call: () => partition({ fraction: 0.5, fromMs: 10, toMs: 5 }), field: "partition.toMs" },
  ],
});
faultsCompliance({ name: "partition", make: () => partition({ fraction: 0.5, fromMs: 0 }), options: { fraction: 0.5, fromMs: 0 }, link: true });
faultsCompliance({
  name: "partition",
  make: () => partition({ groups: [["p000", "p001"], ["p002", "p003", "p004"]], fromMs: 100, toMs: 500 }),
  options: { groups: [["p000", "p001"], ["p002", "p003", "p004"]], fromMs: 100, toMs: 500 },
  link: true,
  namesPeers: true,
});
faultsCompliance({
  name: "flapping",
  make: () => flapping({ fraction: 0.2, periodMs: 300, downMs: 100 }),
  options: { fraction: 0.2, periodMs: 300, downMs: 100 },
  link: true,
  idle: () => flapping({ fraction: 0, periodMs: 300, downMs: 100 }),
  invalid: [
    { call: () => flapping({ fraction: 2, periodMs: 100, downMs: 50 }), field: "flapping.fraction" },
    { call: () => flapping({ fraction: 0.1, periodMs: 0, downMs: 1 }), field: "flapping.periodMs" },
    { call: () => flapping({ fraction: 0.1, periodMs: 100, downMs: 100 }), field: "flapping.downMs" },
  ],
});
faultsCompliance({
  name: "intermittent",
  make: () => intermittent({ fraction: 0.2, upMs: 300, downMs: 100 }),
  options: { fraction: 0.2, upMs: 300, downMs: 100, jitter: 0.5 },
  link: true,
  idle: () => intermittent({ fraction: 0, upMs: 300, downMs: 100 }),
  invalid: [
    { call: () => intermittent({ fraction: -0.5, upMs: 100, downMs: 50 }), field: "intermittent.fraction" },
    { call: () => intermittent({ fraction: 0.1, upMs: 0, downMs: 50 }), field: "intermittent.upMs" },
    { call: () => intermittent({ fraction: 0.1, upMs: 100, downMs: Number.NaN }), field: "intermittent.downMs" },
    { call: () => intermittent({ fraction: 0.1, upMs: 100, downMs: 50, jitter: 1 }), field: "intermittent.jitter" },
  ],
});
faultsCompliance({ name: "intermittent", make: () => intermittent({ fraction: 0.3, upMs: 250, downMs: 250, jitter: 0 }), options: { fraction: 0.3, upMs: 250, downMs: 250, jitter: 0 }, link: true });
faultsCompliance({
  name: "slowLink",
  make: () => slowLink({ fraction: 0.2, factor: 4 }),
  options: { fraction: 0.2, factor: 4 },
  link: true,
  idle: () => slowLink({ fraction: 0, factor: 4 }),
  invalid: [
    { call: () => slowLink({ fraction: 3, factor: 4 }), field: "slowLink.fraction" },
    { call: () => slowLink({ fraction: 0.1, factor: 0.5 }), field: "slowLink.factor" },
    { call: () => slowLink({ fraction: 0.1, factor: Number.POSITIVE_INFINITY }), field: "slowLink.factor" },
  ],
});
faultsCompliance({
  name: "corrupt",
  make: () => corrupt({ fraction: 0.2, probability: 0.5 }),
  options: { fraction: 0.2, probability: 0.5 },
  link: false,
  idle: () => corrupt({ fraction: 0, probability: 1 }),
  invalid: [
    { call: () => corrupt({ fraction: 1.01, probability: 0.5 }), field: "corrupt.fraction" },
    { call: () => corrupt({ fraction: 0.1, probability: 1.5 }), field: "corrupt.probability" },
  ],
});
for (const attack of ["signFlip", "scale", "noise"] as const) {
  faultsCompliance({
    name: "byzantine",
    make: () => byzantine({ fraction: 0.2, attack }),
    options: { fraction: 0.2, attack, factor: attack === "scale" ? 10 : 1, sigma: 1 },
    link: false,
    idle: () => byzantine({ fraction: 0, attack }),
    invalid: [
      { call: () => byzantine({ fraction: -1, attack }), field: "byzantine.fraction" },
      { call: () => byzantine({ fraction: 0.1, attack: "lie" as typeof attack }), field: "byzantine.attack" },
      { call: () => byzantine({ fraction: 0.1, attack, factor: 0 }), field: "byzantine.factor" },
      { call: () => byzantine({ fraction: 0.1, attack, sigma: -1 }), field: "byzantine.sigma" },
    ],
  });
}

/** The ids a trace crashed, in the order they crashed. */
const crashedIn = (trace: readonly string[]): string[] => trace.filter((l) => l.includes(".crash(")).map((l) => l.split(" ")[1]!.split(".")[0]!);

describe("crash({ inState })", () => {
  test("the choice of states is the round machine's working states, train first (the default)", () => {
    expect([...crashStates]).toEqual(["train", "score", "swarm", "grace", "aggregate"]);
    for (const s of crashStates) expect(roundStateNames as readonly string[]).toContain(s);
  });

  test("the chosen peers crash on first entering the state in round atRound, not before, once; the same peers as by default", async () => {
    const w = fakeWorld({ seed: 3 });
    crash({ fraction: 0.3, atRound: 1, inState: "aggregate" })({}).install(w.world);
    const all = (state: string, round: number) => suiteRoster.forEach((p) => w.emit(p, state, round));
    for (const s of ["train", "score", "swarm", "aggregate"]) all(s, 0);
    for (const s of ["train", "score", "swarm"]) all(s, 1);
    await w.clock.run();
    expect(crashedIn(w.trace)).toEqual([]);
    all("aggregate", 1);
    all("aggregate", 1);
    await w.clock.run();
    const doomed = crashedIn(w.trace);
    expect(doomed.length).toBe(3);
    expect(new Set(doomed).size).toBe(3);
    for (const p of doomed) expect(w.phase.get(p)).toBe("failed");
    expect(w.trace.filter((l) => l.includes(".crash(")).every((l) => l.endsWith('.crash(crash({ fraction: 0.3, atRound: 1, inState: "aggregate" }))'))).toBe(true);

    // By default the same seed dooms the same peers, at training.
    const d = fakeWorld({ seed: 3 });
    crash({ fraction: 0.3, atRound: 1 })({}).install(d.world);
    suiteRoster.forEach((p) => d.emit(p, "train", 1));
    await d.clock.run();
    expect(crashedIn(d.trace).sort()).toEqual([...doomed].sort());
    expect(d.trace.filter((l) => l.includes(".crash(")).every((l) => l.endsWith(".crash(crash({ fraction: 0.3, atRound: 1 }))"))).toBe(true);
  });

  test("a round that skips the state does not count: the crash waits for the first later round that enters it", async () => {
    const w = fakeWorld({ seed: 5 });
    crash({ fraction: 1, atRound: 1, inState: "grace" })({}).install(w.world);
    const p = suiteRoster[0]!;
    for (const s of ["train", "score", "swarm", "grace", "aggregate"]) w.emit(p, s, 0); // round 0 is before atRound
    for (const s of ["train", "score", "swarm", "aggregate"]) w.emit(p, s, 1); // met its deadline: no grace
    await w.clock.run();
    expect(crashedIn(w.trace)).toEqual([]);
    w.emit(p, "swarm", 2);
    w.emit(p, "grace", 2);
    await w.clock.run();
    expect(crashedIn(w.trace)).toEqual([p]);
  });

  test("a later state of the round leaves the update made: with inState aggregate the doomed peers still train round atRound", async () => {
    const early = (await runFault(crash({ fraction: 0.3, atRound: 2 }), { seed: 9 })).trace;
    const late = (await runFault(crash({ fraction: 0.3, atRound: 2, inState: "aggregate" }), { seed: 9 })).trace;
    expect(crashedIn(late)).toEqual(crashedIn(early));
    const at = (trace: string[]) => Number(trace.find((l) => l.includes(".crash("))!.split(" ")[0]);
    // The driver enters train at 1 + 2·1000 and aggregate four steps of 100 ms later.
    expect([at(early), at(late)]).toEqual([2001, 2401]);
  });

  test("describes itself without inState when it is the default", () => {
    expect(describePlugin(crash({ fraction: 0.3 }))).toBe("crash({ fraction: 0.3, atRound: 1 })");
    expect(describePlugin(crash({ fraction: 0.3, inState: "train" }))).toBe("crash({ fraction: 0.3, atRound: 1 })");
    expect(describePlugin(crash({ fraction: 0.3, atRound: 2, inState: "swarm" }))).toBe('crash({ fraction: 0.3, atRound: 2, inState: "swarm" })');
  });

  test("a state that is not a working state of a round fails at the call, listing the choices", () => {
    for (const s of ["done", "join", "", 3]) {
      expect(() => crash({ fraction: 0.1, inState: s as CrashState })).toThrow(`crash.inState: expected one of train, score, swarm, grace, aggregate, got ${JSON.stringify(s)}`);
    }
  });
});

describe("partition({ groups })", () => {
  const groups = [["p003", "p001"], ["p000", "p004", "p002"]];

  test("cuts exactly the named groups from fromMs to toMs; peers in neither group stay linked to both", async () => {
    const { trace } = await runFault(partition({ groups, fromMs: 100, toMs: 500 }));
    expect(actions(trace)).toEqual(["100 net.partition(mem://p003,mem://p001 | mem://p000,mem://p004,mem://p002)", "500 net.heal()"]);
  });

  test("draws nothing: any seed gives the same cut; without toMs it never heals", async () => {
    const a = await runFault(partition({ groups, fromMs: 0 }), { seed: 1 });
    const b = await runFault(partition({ groups, fromMs: 0 }), { seed: 2 });
    expect(b.trace).toEqual(a.trace);
    expect(actions(a.trace)).toEqual(["0 net.partition(mem://p003,mem://p001 | mem://p000,mem://p004,mem://p002)"]);
  });

  test("copies the groups: changing the caller's lists afterwards changes nothing", async () => {
    const mine = [["p000"], ["p001"]];
    const factory = partition({ groups: mine, fromMs: 10 });
    mine[0]!.push("p002");
    mine[1] = ["p009"];
    expect(factory.pluginOptions).toEqual({ groups: [["p000"], ["p001"]], fromMs: 10 });
    expect(actions((await runFault(factory)).trace)).toEqual(["10 net.partition(mem://p000 | mem://p001)"]);
  });

  test("ids that are not peers of the run fail at install, naming them", () => {
    const install = (g: string[][], peers: readonly string[]) => () => partition({ groups: g, fromMs: 0 })({}).install(fakeWorld({ peers }).world);
    expect(install([["p000", "p042"], ["p001", "x"]], ids(3))).toThrow('partition.groups: "p042", "x" are not in the roster of 3 peers');
    expect(install([["p000"], ["p001"]], [])).toThrow('partition.groups: "p000", "p001" are not in the roster of 0 peers');
    expect(install([["p000"], ["p007"]], ids(5))).toThrow('partition.groups: "p007" is not in the roster of 5 peers');
  });

  test("exactly one of fraction and groups; groups are two non-empty disjoint lists of distinct ids", () => {
    const bad = (o: unknown) => () => partition(o as PartitionOptions);
    expect(bad({ fromMs: 0 })).toThrow("partition.fraction: expected a number in [0, 1] (or groups instead), got neither");
    expect(bad({ fraction: 0.2, groups, fromMs: 0 })).toThrow("partition.groups: expected either fraction or groups, not both");
    expect(bad({ groups: [["p000"], ["p001"], ["p002"]], fromMs: 0 })).toThrow("partition.groups: expected two lists of peer ids, got a list of 3");
    expect(bad({ groups: "p000", fromMs: 0 })).toThrow('partition.groups: expected two lists of peer ids, got "p000"');
    expect(bad({ groups: [[], ["p001"]], fromMs: 0 })).toThrow("partition.groups[0]: expected a non-empty list of peer ids, got a list of 0");
    expect(bad({ groups: [["p000"], "p001"], fromMs: 0 })).toThrow('partition.groups[1]: expected a non-empty list of peer ids, got "p001"');
    expect(bad({ groups: [["p000", 7], ["p001"]], fromMs: 0 })).toThrow("partition.groups[0][1]: expected a peer id (a non-empty string), got 7");
    expect(bad({ groups: [["p000"], ["p001", ""]], fromMs: 0 })).toThrow('partition.groups[1][1]: expected a peer id (a non-empty string), got ""');
    expect(bad({ groups: [["p000", "p000"], ["p001"]], fromMs: 0 })).toThrow('partition.groups[0]: "p000" is listed twice');
    expect(bad({ groups: [["p000", "p001", "p002"], ["p002", "p003", "p000"]], fromMs: 0 })).toThrow('partition.groups: "p002", "p000" are in both groups');
    expect(bad({ groups: [["p000"], ["p000"]], fromMs: 0 })).toThrow('partition.groups: "p000" is in both groups');
  });

  test("describes itself by its groups", () => {
    expect(describePlugin(partition({ groups: [["p000"], ["p001", "p002"]], fromMs: 5, toMs: 9 }))).toBe('partition({ groups: [["p000"],["p001","p002"]], fromMs: 5, toMs: 9 })');
    expect(describePlugin(partition({ fraction: 0.3, fromMs: 5 }))).toBe("partition({ fraction: 0.3, fromMs: 5 })");
  });
});

// ---- whole runs: the new options against the real round machine and memory network -----------------------

const run = runSmallSwarm;

describe("the new options in whole runs", () => {
  test("crash({ inState: 'aggregate' }): the same peers die, but after their round-1 update is out: round 1 aggregates all ten origins, later rounds seven", async () => {
    const atTrain = await run({ faults: [crash({ fraction: 0.3, atRound: 1 })] });
    const atAggregate = await run({ faults: [crash({ fraction: 0.3, atRound: 1, inState: "aggregate" })] });
    const crashed = (faults: string[]) => faults.filter((f) => f.includes("crashed")).map((f) => f.split(":")[0]).sort();
    expect(crashed(atAggregate.faults).length).toBe(3);
    expect(crashed(atAggregate.faults)).toEqual(crashed(atTrain.faults));
    const origins = (records: PeerRoundRecord[]) => [0, 1, 2, 3].map((round) => Math.max(...records.filter((r) => r.round === round).map((r) => r.origins)));
    expect(origins(atTrain.records)).toEqual([10, 7, 7, 7]);
    expect(origins(atAggregate.records)).toEqual([10, 10, 7, 7]);
    expect(atAggregate.report.rounds.map((r) => r.peers)).toEqual([10, 10, 7, 7]);
  });

  test("partition({ groups }): the named groups are cut, then heal; every peer finishes with full coverage", async () => {
    const cutOff = ["p000", "p001", "p002"];
    const rest = ["p003", "p004", "p005", "p006", "p007", "p008", "p009"];
    const { report, records } = await run({ rounds: 6, faults: [partition({ groups: [cutOff, rest], fromMs: 150, toMs: 12_000 })] });
    expect(report.rounds.length).toBe(6);
    expect(records.some((r) => r.coverage < 1)).toBe(true);
    const last = records.filter((r) => r.round === 5);
    expect(last.length).toBe(10);
    expect(last.every((r) => r.coverage === 1)).toBe(true);
  });
});
