import { describe, expect, test } from "bun:test";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { MemoryNetwork } from "../../net/memory.ts";
import type { LinkProfile, Transport } from "../../net/transport.ts";
import { battery, churn, corrupt, crash, flapping, flipByte, intermittent, restart, slowLink } from "../../plugins/faults/index.ts";
import { cut } from "../../plugins/faults/cuts.ts";
import type { FaultTarget, FaultWorld } from "../../plugins/faults/types.ts";
import type { PluginFactory } from "../../plugins/plugin.ts";
import { ring } from "../../plugins/topology/ring.ts";
import { VirtualClock } from "../../runtime/clock.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { defineScenario, type ScenarioInput } from "../../scenarios/define.ts";
import { runScenario, type World } from "../../sim/run-scenario.ts";
import { smallSwarm, smallSwarmDeadlineMs } from "./small-swarm.ts";

// The rest of the fault plugins, on the virtual clock (deterministic: exact counts can be asserted). Rounds of this
// scenario take ~150 ms of virtual time when nothing goes wrong; the swarm deadline is 5 s.
const base = smallSwarm;

async function run(input: Partial<ScenarioInput>) {
  const records: PeerRoundRecord[] = [];
  const faults: string[] = [];
  const logs: string[] = [];
  let world: World | undefined;
  const report = await runScenario(defineScenario({ ...base, ...input }), {
    logLevel: "debug",
    logSink: (line) => logs.push(line),
    onPeerRound: (r) => records.push(r),
    onFault: (p, w) => faults.push(`${p}: ${w}`),
    setup: (w) => (world = w),
  });
  const final = new Map(world!.peers.map((p) => [p.id, p.finalState]));
  const endMs = Math.max(...records.map((r) => r.times.doneMs ?? 0));
  return { report, records, faults, logs, final, endMs };
}

/** Peers named in fault lines that contain `what`. */
const named = (faults: string[], what: string) => [...new Set(faults.filter((f) => f.includes(what)).map((f) => f.split(":")[0]!))].sort();
const lastRound = (records: PeerRoundRecord[], round: number) => records.filter((r) => r.round === round);

describe("more fault plugins, whole runs", () => {
  test("restart: two peers crash at round 1 and come back 12 s later as new processes; nobody waits for them; they catch up and finish", async () => {
    const { report, records, faults, logs, final } = await run({ rounds: 6, faults: [restart({ fraction: 0.2, atRound: 1, downMs: 12_000 })] });
    const back = named(faults, "crashed");
    expect(back.length).toBe(2);
    expect(named(faults, "comes back in 12000 ms")).toEqual(back);
    // The tracker re-admitted each id once, 12 s after its crash.
    expect(logs.filter((l) => l.includes("tracker re-admitted")).length).toBe(2);
    // The tracker told the others they were gone: the eight finish every round with the eight live origins,
    // without waiting out a deadline, long before the two come back.
    const survivors = records.filter((r) => !back.includes(r.peer));
    expect(survivors.filter((r) => r.round > 0).every((r) => r.outcome === "complete" && r.origins === 8)).toBe(true);
    const survivorsDoneMs = Math.max(...survivors.map((r) => r.times.doneMs ?? 0));
    expect(survivorsDoneMs).toBeLessThan(12_000);
    for (const id of back) {
      const mine = records.filter((r) => r.peer === id);
      // Round 0 before the crash, round 0 again as a new process (alone: the others hold round 0 no more),
      // then a jump to where the swarm is (round.behind), then every round to the end.
      expect(mine.map((r) => r.round).slice(0, 2)).toEqual([0, 0]);
      expect(mine[2]!.round).toBeGreaterThan(1);
      expect(mine.at(-1)!.round).toBe(5);
      expect(mine.at(-1)!.times.doneMs!).toBeGreaterThan(12_000);
    }
    expect([...final.values()].every((s) => s === "done")).toBe(true);
    // The last round: the survivors hold one model (8 origins); the two latecomers, gathering the round's updates
    // the finished peers still seed, hold another (all 10).
    const last = lastRound(records, 5);
    expect(last.length).toBe(10);
    expect(last.every((r) => r.outcome === "complete")).toBe(true);
    expect(new Set(last.filter((r) => !back.includes(r.peer)).map((r) => r.modelHash)).size).toBe(1);
    expect(new Set(last.filter((r) => back.includes(r.peer)).map((r) => [r.modelHash, r.origins].join())).size).toBe(1);
    // Rows are emitted without the latecomers; their late records do not reopen them.
    expect(report.rounds.map((r) => r.peers)).toEqual([10, 8, 8, 8, 8, 8]);
  });

  test("churn({ leaveFraction: 0.2, atRound: 1 }): two peers leave gracefully; the other eight finish every round", async () => {
    const { report, records, faults, final } = await run({ faults: [churn({ leaveFraction: 0.2, atRound: 1 })] });
    const left = named(faults, "leaves at round 1 (churn)");
    expect(left.length).toBe(2);
    expect([...final].filter(([, s]) => s === "left").map(([id]) => id).sort()).toEqual(left);
    expect([...final].filter(([, s]) => s === "done").length).toBe(8);
    expect(report.rounds.map((r) => r.peers)).toEqual([10, 8, 8, 8]);
    // Leaving drops their tracker links: the others stop waiting for them and complete with the 8 live origins.
    for (const row of report.rounds.slice(1)) expect(row.coverage.min).toBe(1);
    for (const row of report.rounds.slice(2)) expect(row.roundMs).toBeLessThan(smallSwarmDeadlineMs / 2);
    expect(records.filter((r) => r.round > 0).every((r) => r.outcome === "complete" && r.origins === 8 && !left.includes(r.peer))).toBe(true);
  });

  test("churn({ joinFraction: 0.2, joinAtRound: 2 }): two peers are offline at the start, join at round 2, catch up and finish", async () => {
    const { records, faults, final } = await run({ rounds: 6, faults: [churn({ leaveFraction: 0, joinFraction: 0.2, joinAtRound: 2 })] });
    const late = named(faults, "offline until round 2 (churn join)");
    expect(late.length).toBe(2);
    expect(named(faults, "joins at round 2 (churn)")).toEqual(late);
    expect([...final.values()].every((s) => s === "done")).toBe(true);
    const online = records.filter((r) => !late.includes(r.peer));
    const joinedAt = Math.min(...online.filter((r) => r.round === 2).map((r) => r.times.trainStartMs));
    for (const id of late) {
      const mine = records.filter((r) => r.peer === id);
      // Nothing while offline; then round 0 as a fresh peer (aggregated alone), a jump to the swarm, every round to the end.
      expect(mine[0]!.round).toBe(0);
      expect(mine[0]!.times.trainStartMs).toBeGreaterThanOrEqual(joinedAt);
      expect(mine.map((r) => r.round).some((r, i, a) => i > 0 && r > a[i - 1]! + 1)).toBe(true);
      expect(mine.at(-1)!.round).toBe(5);
    }
    // Before the join the online peers aggregate without the two missing origins; at the end all ten agree.
    for (const r of online.filter((x) => x.round < 2)) expect(r.coverage).toBeLessThanOrEqual(0.8);
    expect(lastRound(records, 5).length).toBe(10);
    expect(lastRound(records, 5).every((r) => r.coverage === 1)).toBe(true);
    expect(new Set(lastRound(records, 5).map((r) => r.modelHash)).size).toBe(1);
  });

  test("battery({ fraction: 0.3, rounds: 2 }): three peers work two rounds, then leave; the rest finish", async () => {
    const { report, records, faults, final } = await run({ faults: [battery({ fraction: 0.3, rounds: 2 })] });
    const empty = named(faults, "battery empty after 2 rounds: leaves at round 2");
    expect(empty.length).toBe(3);
    for (const id of empty) {
      expect(final.get(id)).toBe("left");
      expect(records.filter((r) => r.peer === id).map((r) => r.round)).toEqual([0, 1]);
    }
    expect(report.rounds.map((r) => r.peers)).toEqual([10, 10, 7, 7]);
    expect([...final.values()].filter((s) => s === "done").length).toBe(7);
  });

  test("flapping and slowLink slow the rounds down; every peer still finishes every round", async () => {
    const calm = await run({});
    const flap = await run({ faults: [flapping({ fraction: 0.2, periodMs: 400, downMs: 200 })] });
    const slow = await run({ faults: [slowLink({ fraction: 0.3, factor: 1000 })] });
    // flapping: both chosen peers lose every link at each multiple of 400 ms until the run ends.
    const flappers = named(flap.faults, "link down for 200 ms (flapping)");
    expect(flappers.length).toBe(2);
    const cuts = flap.faults.filter((f) => f.includes("(flapping)")).length;
    expect(cuts).toBe(2 * Math.floor(flap.endMs / 400));
    expect(flap.logs.some((l) => l.includes(`peer:${flappers[0]} session`) && l.includes("closed: partition"))).toBe(true);
    // slowLink: three peers at 1/1000 of their bandwidth.
    expect(named(slow.faults, "link 1000× slower (slowLink)").length).toBe(3);
    for (const r of [calm, flap, slow]) {
      expect(r.report.rounds.map((row) => row.peers)).toEqual([10, 10, 10, 10]);
      expect([...r.final.values()].every((s) => s === "done")).toBe(true);
      expect(lastRound(r.records, 3).every((x) => x.coverage === 1)).toBe(true);
    }
    expect(flap.endMs).toBeGreaterThan(3 * calm.endMs);
    expect(slow.endMs).toBeGreaterThan(3 * calm.endMs);
  });

  test("intermittent({ fraction: 0.2, upMs, downMs }): jittered windows cost the two chosen peers rounds; everyone finishes", async () => {
    const { report, records, faults, final } = await run({ rounds: 6, faults: [intermittent({ fraction: 0.2, upMs: 400, downMs: 300 })] });
    const downs = faults.filter((f) => f.includes("(intermittent)"));
    const flaky = named(faults, "(intermittent)");
    expect(flaky.length).toBe(2);
    // Windows are drawn per window within 300 ± 150 ms, not all equal.
    const lengths = downs.map((f) => Number(/for (\d+) ms/.exec(f)![1]));
    expect(lengths.every((ms) => ms >= 150 && ms <= 450)).toBe(true);
    expect(new Set(lengths).size).toBeGreaterThan(5);
    // The cut-off peers got degraded rounds, the others partial ones without them; nobody failed.
    expect(records.some((r) => flaky.includes(r.peer) && r.degraded)).toBe(true);
    expect(records.some((r) => !flaky.includes(r.peer) && r.outcome === "partial")).toBe(true);
    expect([...final.values()].every((s) => s === "done")).toBe(true);
    expect(lastRound(records, 5).length).toBe(10);
    expect(report.rounds.length).toBe(6);
  });

  test("corrupt({ probability: 1 }): receivers reject every lie by hash and ban the liars; the honest models equal a run where the liars crashed", async () => {
    const lying = await run({ faults: [corrupt({ fraction: 0.2, probability: 1 })] });
    const dead = await run({ faults: [crash({ fraction: 0.2, atRound: 0 })] }); // same seed stream: the same two peers
    const liars = named(dead.faults, "crashed");
    expect(liars.length).toBe(2);
    const strikes = lying.faults.filter((f) => f.includes("corrupt piece from"));
    const bans = lying.faults.filter((f) => f.includes("banned"));
    expect(strikes.length).toBeGreaterThan(0);
    expect(bans.length).toBeGreaterThan(0);
    // Only liars are struck or banned, and a ban follows exactly three strikes by the same receiver.
    for (const f of [...strikes, ...bans]) expect(liars).toContain(/(?:from|banned) (p\d+)/.exec(f)![1]!);
    for (const b of bans) {
      const [receiver, liar] = [b.split(":")[0]!, /banned (p\d+)/.exec(b)![1]!];
      expect(strikes.filter((s) => s === `${receiver}: corrupt piece from ${liar}`).length).toBe(3);
    }
    // Nothing corrupt was aggregated: every honest peer's model, every round, is bit-identical to the run in which
    // the liars' pieces never existed.
    const key = (r: PeerRoundRecord) => `${r.peer}@${r.round}`;
    const honest = (rs: PeerRoundRecord[]) => new Map(rs.filter((r) => !liars.includes(r.peer)).map((r) => [key(r), r.modelHash]));
    expect(honest(lying.records).size).toBe(8 * 4);
    expect(honest(lying.records)).toEqual(honest(dead.records));
    expect([...lying.final.values()].every((s) => s === "done")).toBe(true);
  });

  test("corrupt({ probability: 0.3 }): some lies, all rejected; peers that held every piece hold identical models", async () => {
    const { report, records, faults, final } = await run({ faults: [corrupt({ fraction: 0.2, probability: 0.3 })] });
    const liars = new Set(faults.filter((f) => f.includes("corrupt piece from")).map((f) => /from (p\d+)/.exec(f)![1]!));
    expect(liars.size).toBe(2);
    expect(faults.some((f) => f.includes("banned"))).toBe(true);
    for (let round = 0; round < 4; round++) {
      const complete = records.filter((r) => r.round === round && r.coverage === 1);
      expect(new Set(complete.map((r) => r.modelHash)).size).toBeLessThanOrEqual(1);
    }
    expect(report.final!.accuracy).toBeGreaterThan(0.9);
    expect([...final.values()].every((s) => s === "done")).toBe(true);
  });
});

// ---- without a run -------------------------------------------------------------------------------------

const link: LinkProfile = { uplinkBytesPerSec: 1e6, downlinkBytesPerSec: 2e6, latencyMs: 5 };

/** A world of `n` targets that record what faults do to them, on a virtual clock; `net` optional. */
function fakeWorld(o: { n?: number; seed?: number; net?: FaultWorld["net"] } = {}) {
  const calls: string[] = [];
  const clock = new VirtualClock();
  const peers: FaultTarget[] = Array.from({ length: o.n ?? 10 }, (_, i) => {
    const id = `p${i}`;
    return {
      id,
      crash: () => calls.push(`${id} crash`),
      leave: () => calls.push(`${id} leave`),
      tamperUpdates: () => calls.push(`${id} tamperUpdates`),
      tamperServed: () => calls.push(`${id} tamperServed`),
    };
  });
  const listeners: Array<(peer: string, state: string, round: number) => void> = [];
  const world: FaultWorld = {
    clock,
    rng: new SeededRng(o.seed ?? 1),
    peers,
    net: o.net,
    addressOf: (id) => `mem://${id}`,
    onState: (l) => void listeners.push(l),
    report: (peer, what) => calls.push(`${clock.now()} ${peer}: ${what}`),
    linkOf: () => link,
    respawn: (peer, afterMs) => calls.push(`${peer} respawn +${afterMs}`),
  };
  const state = (peer: string, s: string, round: number) => listeners.forEach((l) => l(peer, s, round));
  return { world, calls, clock, state };
}

/** A MemoryFaults that only records what it is told. */
function recordingNet(log: string[]): NonNullable<FaultWorld["net"]> {
  return {
    setFilter: () => log.push("setFilter"),
    partition: (a, b) => void log.push(`partition ${a.join(",")} | ${b.length}`),
    heal: () => void log.push("heal"),
    crash: (a) => void log.push(`crash ${a}`),
    restart: (a) => void log.push(`restart ${a}`),
    clog: () => log.push("clog"),
    unclog: () => log.push("unclog"),
    setLink: (a, l) => void log.push(`setLink ${a} ${l.uplinkBytesPerSec}/${l.downlinkBytesPerSec}/${l.latencyMs}`),
  };
}

describe("more fault plugins, unit", () => {
  const linkFaults: Array<[string, PluginFactory<"faults">]> = [
    ["flapping", flapping({ fraction: 0.2, periodMs: 100, downMs: 50 })],
    ["intermittent", intermittent({ fraction: 0.2, upMs: 100, downMs: 50 })],
    ["slowLink", slowLink({ fraction: 0.2, factor: 4 })],
  ];

  test.each(linkFaults)("%s on real sockets fails at install with a clear error", (name, plugin) => {
    expect(plugin.pluginKind).toBe("faults");
    expect(plugin.pluginName).toBe(name);
    expect(() => plugin({}).install(fakeWorld().world)).toThrow(`${name}: needs the memory network (virtual clock)`);
  });

  test.each(linkFaults)("%s draws only from the world's rng and clock: the same seed replays the same trace", async (_, plugin) => {
    const trace = async (seed: number) => {
      const log: string[] = [];
      const { world, clock, state, calls } = fakeWorld({ seed, net: recordingNet(log) });
      plugin({}).install(world);
      await clock.run({ untilMs: 1000 });
      for (const p of world.peers) state(p.id, "done", 3); // the run ends: repeating faults stop re-arming
      await clock.run({ untilMs: 5000 });
      return [...log, ...calls].join("\n");
    };
    const a = await trace(7);
    expect(a.length).toBeGreaterThan(0);
    expect(await trace(7)).toBe(a);
  });

  test("slowLink divides both directions of the chosen links by the factor and keeps latency", () => {
    const log: string[] = [];
    slowLink({ fraction: 0.2, factor: 4 })({}).install(fakeWorld({ net: recordingNet(log) }).world);
    expect(log.length).toBe(2);
    expect(log.every((l) => l.endsWith(" 250000/500000/5"))).toBe(true);
  });

  test("restart crashes the peer and asks for it back; churn and battery leave at the right round, once", async () => {
    const log: string[] = [];
    const { world, calls, clock, state } = fakeWorld({ n: 4, net: recordingNet(log) });
    restart({ fraction: 0.25, atRound: 2, downMs: 700 })({}).install(world);
    battery({ fraction: 0.25, rounds: 1 })({}).install(world);
    churn({ leaveFraction: 0.25, atRound: 3 })({}).install(world);
    // A peer reports its state many times a round (progress events): each fault acts once.
    for (const round of [0, 1, 2, 3]) for (let i = 0; i < 4; i++) [0, 1, 2].forEach(() => state(`p${i}`, "train", round));
    await clock.run();
    const crashed = calls.filter((c) => c.endsWith(" crash"));
    expect(crashed.length).toBe(1);
    const id = crashed[0]!.split(" ")[0]!;
    expect(calls).toContain(`${id} respawn +700`);
    expect(log).toContain(`crash mem://${id}`);
    expect(calls.filter((c) => c.endsWith(" leave")).length).toBe(2);
    expect(calls.filter((c) => /battery empty after 1 rounds: leaves at round 1$/.test(c)).length).toBe(1);
    expect(calls.filter((c) => /leaves at round 3 \(churn\)$/.test(c)).length).toBe(1);
  });

  test("corrupt flips one byte of a copy with the given probability and never touches the stored bytes", () => {
    let served: ((d: Uint8Array) => Uint8Array) | undefined;
    const { world } = fakeWorld({ n: 1 });
    world.peers[0]!.tamperServed = (fn) => void (served = fn);
    corrupt({ fraction: 1, probability: 0.25 })({}).install(world);
    const stored = new Uint8Array(64).fill(7);
    let flipped = 0;
    for (let i = 0; i < 2000; i++) {
      const out = served!(stored);
      if (out === stored) continue;
      flipped++;
      expect(out.filter((b, j) => b !== stored[j]).length).toBe(1);
    }
    expect(stored.every((b) => b === 7)).toBe(true);
    expect(flipped / 2000).toBeGreaterThan(0.2);
    expect(flipped / 2000).toBeLessThan(0.3);
    expect(flipByte(new Uint8Array(0), new SeededRng(1)).byteLength).toBe(0);
  });

  test("cuts of different faults heal one at a time: lifting one keeps the other in force", async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
    const nodes = new Map<string, Transport>();
    for (const n of ["a", "b", "c"]) {
      const t = net.node(`mem://${n}`, link);
      await t.listen(() => {});
      nodes.set(n, t);
    }
    const reach = async (x: string, y: string) => {
      const r = nodes.get(x)!.dial(`mem://${y}`).then(
        (c) => (c.close("probe"), true),
        () => false,
      );
      await clock.run();
      return r;
    };
    const liftA = cut(net.faults, ["mem://a"], ["mem://b", "mem://c"]);
    const liftC = cut(net.faults, ["mem://c"], ["mem://a", "mem://b"]);
    expect([await reach("a", "b"), await reach("c", "b")]).toEqual([false, false]);
    liftA();
    expect([await reach("a", "b"), await reach("a", "c"), await reach("c", "b")]).toEqual([true, false, false]);
    liftA(); // idempotent: lifting again does not lift the other cut
    expect(await reach("c", "b")).toBe(false);
    liftC();
    expect([await reach("c", "b"), await reach("a", "c")]).toEqual([true, true]);
  });

  test("option errors name the field", () => {
    expect(() => restart({ fraction: 0.2, downMs: -1 })).toThrow("restart.downMs: expected a time in ms ≥ 0, got -1");
    expect(() => restart({ fraction: 2, downMs: 1 })).toThrow("restart.fraction");
    expect(() => restart({ fraction: 0.2, atRound: 1.5, downMs: 1 })).toThrow("restart.atRound");
    expect(() => churn({ leaveFraction: -0.1 })).toThrow("churn.leaveFraction: expected a number in [0, 1], got -0.1");
    expect(() => churn({ leaveFraction: 0.1, atRound: -1 })).toThrow("churn.atRound");
    expect(() => battery({ fraction: 0.1, rounds: 0 })).toThrow("battery.rounds: expected an integer ≥ 1, got 0");
    expect(() => flapping({ fraction: 0.1, periodMs: 100, downMs: 100 })).toThrow("flapping.downMs: expected less than periodMs (100), got 100");
    expect(() => flapping({ fraction: 0.1, periodMs: 0, downMs: 1 })).toThrow("flapping.periodMs");
    expect(() => intermittent({ fraction: 0.1, upMs: 100, downMs: Number.NaN })).toThrow("intermittent.downMs");
    expect(() => intermittent({ fraction: 0.1, upMs: 100, downMs: 50, jitter: 1 })).toThrow("intermittent.jitter");
    expect(() => slowLink({ fraction: 0.1, factor: 0.5 })).toThrow("slowLink.factor: expected a finite number ≥ 1, got 0.5");
    expect(() => corrupt({ fraction: 0.1, probability: 1.5 })).toThrow("corrupt.probability: expected a probability in [0, 1], got 1.5");
    expect(() => defineScenario({ ...base, faults: [corrupt({ fraction: 0.1, probability: 0.5 }), ring() as never] })).toThrow(/faults\[1\]/);
  });
});
