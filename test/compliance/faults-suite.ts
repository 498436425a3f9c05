/**
 * The faults compliance suite (STYLE 7): what a run relies on from every fault plugin. A fault acts only through the
 * world it is installed in (its targets, the memory network's fault handles, the clock, its rng stream), so the
 * suite installs it in a fake world that records every one of those calls, drives the peers through a few rounds of
 * machine states on a virtual clock, and checks the record: the same seed gives the same record, nothing to act on
 * gives an empty one, and the timers run out once every peer has finished.
 */
import { describe, expect, test } from "bun:test";
import type { FaultTarget, FaultWorld } from "../../plugins/faults/types.ts";
import { describePlugin, isPlugin, pluginKinds, type PluginFactory } from "../../plugins/plugin.ts";
import { VirtualClock, type Clock } from "../../runtime/clock.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { scrambledRoster } from "./topology-suite.ts";

/** The roster the suite's worlds are built over (scrambled, so a plugin that sorts ids instead of following it shows). */
export const suiteRoster: readonly string[] = scrambledRoster(10);

/** Rounds the driver takes the peers through; faults the suite configures act within them. */
export const suiteRounds = 4;
/** Virtual time per driven round, and between two states of a round. */
export const roundMs = 1000;
export const stepMs = 100;

/** Events a driven world may fire before the suite calls it a livelock (a fault that re-arms forever). */
const eventsMax = 100_000;

/** The working states of a round, in machine order; `grace` only in odd rounds (it follows a missed deadline). */
const roundSteps = ["train", "score", "swarm", "grace", "aggregate"] as const;

type PeerPhase = "running" | "failed" | "left" | "done";

export interface FakeWorldOptions {
  /** @default suiteRoster */
  peers?: readonly string[];
  /** Seed of the world's rng. @default 1 */
  seed?: number;
  /** Give the world a (recording) memory network. @default true */
  net?: boolean;
}

export interface FakeWorld {
  world: FaultWorld;
  /** The clock behind `world.clock` (which records the timers the fault sets); the driver's timers go here. */
  clock: VirtualClock;
  /** Every call the fault made, stamped with the clock's time, in order. */
  trace: string[];
  /** Tells the fault's state listeners that `peer` is in `state` (the fake machine's transition). */
  emit(peer: string, state: string, round: number): void;
  /** Where each peer is: running, or which final state it reached. */
  phase: Map<string, PeerPhase>;
  /** The tampering hooks the fault set, by peer. */
  hooks: Map<string, { updates?: (before: Float32Array, after: Float32Array) => Float32Array; served?: (data: Uint8Array) => Uint8Array }>;
}

/**
 * A FaultWorld whose targets, network handles, clock, report and respawn record what the fault does. A crashed peer
 * reports `failed` and a leaving one `left`, as the real world does; a respawned one comes back `afterMs` later
 * (reporting `join` at round 0). The roster is frozen, so a fault that reorders it in place fails.
 */
export function fakeWorld(o: FakeWorldOptions = {}): FakeWorld {
  const ids = o.peers ?? suiteRoster;
  const clock = new VirtualClock();
  const trace: string[] = [];
  const log = (what: string) => void trace.push(`${clock.now()} ${what}`);
  const listeners: Array<(peer: string, state: string, round: number) => void> = [];
  const phase = new Map<string, PeerPhase>(ids.map((id) => [id, "running"]));
  const lastRound = new Map<string, number>();
  const hooks: FakeWorld["hooks"] = new Map();
  let ended = false;

  const emit = (peer: string, state: string, round: number) => {
    lastRound.set(peer, round);
    for (const l of listeners) l(peer, state, round);
  };
  const finish = (peer: string, how: "failed" | "left") => {
    if (phase.get(peer) !== "running") return;
    phase.set(peer, how);
    emit(peer, how, lastRound.get(peer) ?? 0);
  };
  const peers: FaultTarget[] = ids.map((id) => ({
    id,
    crash: (reason) => (log(`${id}.crash(${reason})`), finish(id, "failed")),
    leave: () => (log(`${id}.leave()`), finish(id, "left")),
    tamperUpdates: (fn) => (log(`${id}.tamperUpdates()`), hooks.set(id, { ...hooks.get(id), updates: fn })),
    tamperServed: (fn) => (log(`${id}.tamperServed()`), hooks.set(id, { ...hooks.get(id), served: fn })),
  }));
  const known = (peer: string, call: string) => {
    if (!phase.has(peer)) throw new Error(`${call}: no peer ${peer} in this world`);
  };

  const recordingClock: Clock = {
    kind: "virtual",
    now: () => clock.now(),
    setTimeout: (fn, delayMs) => (log(`timer +${delayMs}`), clock.setTimeout(fn, delayMs)),
    clearTimeout: (id) => (log("clearTimeout"), clock.clearTimeout(id)),
    track: (work) => clock.track(work),
  };
  const net: NonNullable<FaultWorld["net"]> = {
    setFilter: (fn) => log(`net.setFilter(${fn ? "fn" : "undefined"})`),
    partition: (a, b) => log(`net.partition(${a.join(",")} | ${b.join(",")})`),
    heal: () => log("net.heal()"),
    crash: (a) => log(`net.crash(${a})`),
    restart: (a) => log(`net.restart(${a})`),
    clog: (a, b) => log(`net.clog(${a}, ${b})`),
    unclog: (a, b) => log(`net.unclog(${a}, ${b})`),
    setLink: (a, l) => log(`net.setLink(${a}, ${l.uplinkBytesPerSec}/${l.downlinkBytesPerSec}/${l.latencyMs}/${l.loss ?? 0})`),
  };
  const world: FaultWorld = {
    clock: recordingClock,
    rng: new SeededRng(o.seed ?? 1),
    peers: Object.freeze(peers),
    net: (o.net ?? true) ? net : undefined,
    addressOf: (peer) => (known(peer, "addressOf"), `mem://${peer}`),
    onState: (l) => void listeners.push(l),
    report: (peer, what) => (known(peer, "report"), log(`report ${peer}: ${what}`)),
    // Distinct per peer, so a fault that shapes the wrong peer's link shows in the record.
    linkOf: (peer) => (known(peer, "linkOf"), { uplinkBytesPerSec: 1e6 * (1 + ids.indexOf(peer)), downlinkBytesPerSec: 2e6, latencyMs: 5, loss: 0.01 }),
    respawn: (peer, afterMs) => {
      known(peer, "respawn");
      log(`respawn(${peer}, ${afterMs})`);
      clock.setTimeout(() => {
        if (phase.get(peer) !== "failed") return;
        phase.set(peer, "running");
        emit(peer, "join", 0);
        if (ended) (phase.set(peer, "done"), emit(peer, "done", 0));
      }, afterMs);
    },
  };
  // The driver's end: whoever is running then finishes.
  clock.setTimeout(() => void (ended = true), 1 + suiteRounds * roundMs);
  return { world, clock, trace, emit, phase, hooks };
}

/**
 * Schedules the peers' machine states on `w.clock`: join and connect at 0, then per round the working states (each
 * reported twice, as progress reports repeat), and `done` after the last round. Peers that crashed or left are skipped;
 * a respawned one is driven again from the round the others are in.
 */
export function drive(w: FakeWorld, rounds = suiteRounds): void {
  const running = () => [...w.phase].filter(([, ph]) => ph === "running").map(([id]) => id);
  w.clock.setTimeout(() => running().forEach((id) => (w.emit(id, "join", 0), w.emit(id, "connect", 0))), 0);
  for (let r = 0; r < rounds; r++) {
    roundSteps.forEach((state, k) => {
      if (state === "grace" && r % 2 === 0) return;
      w.clock.setTimeout(() => running().forEach((id) => (w.emit(id, state, r), w.emit(id, state, r))), 1 + r * roundMs + k * stepMs);
    });
  }
  w.clock.setTimeout(() => running().forEach((id) => (w.phase.set(id, "done"), w.emit(id, "done", rounds - 1))), 1 + rounds * roundMs);
}

/** Calls each tampering hook on fixed inputs (roster order) and records what it returned; the inputs must stay as they were. */
function probeHooks(w: FakeWorld): void {
  for (const id of w.phase.keys()) {
    const h = w.hooks.get(id);
    if (h?.served) {
      const data = Uint8Array.from({ length: 16 }, (_, i) => i);
      for (let k = 0; k < 4; k++) w.trace.push(`probe ${id}.served ${Buffer.from(h.served(data)).toString("hex")}`);
      expect([...data]).toEqual(Array.from({ length: 16 }, (_, i) => i));
    }
    if (h?.updates) {
      const before = Float32Array.from([0, 1, -1, 0.5]);
      const after = Float32Array.from([1, 2, 3, -4]);
      for (let k = 0; k < 2; k++) w.trace.push(`probe ${id}.updates ${[...h.updates(before, after)].join(",")}`);
      expect([[...before], [...after]]).toEqual([[0, 1, -1, 0.5], [1, 2, 3, -4]]);
    }
  }
}

export interface FaultRun {
  trace: string[];
  /** Why the clock stopped: "idle" when every timer (the driver's and the fault's) ran out. */
  reason: string;
  world: FakeWorld;
}

/** Installs a fresh plugin of `factory` in a fresh fake world, drives it, runs the clock, and probes the hooks. */
export async function runFault(factory: PluginFactory<"faults">, o: FakeWorldOptions = {}): Promise<FaultRun> {
  const w = fakeWorld(o);
  factory({}).install(w.world);
  drive(w);
  const res = await w.clock.run({ maxEvents: eventsMax });
  probeHooks(w);
  return { trace: w.trace, reason: res.reason, world: w };
}

/** Lines of a trace that act on something (targets, network, telemetry, respawn), not timers alone. */
export const actions = (trace: readonly string[]): string[] => trace.filter((l) => !/^\d+(\.\d+)? (timer \+|clearTimeout)/.test(l));

export interface FaultsSuiteSpec {
  /** A fresh factory per call; configured so that it acts on the suite's world (10 peers, 4 rounds of 1 s). */
  make: () => PluginFactory<"faults">;
  /** The plugin's name, as brand and plugin must both report it. */
  name: string;
  /** The validated, defaulted options the brand must carry. */
  options: unknown;
  /** Calls with bad options, each with the `plugin.field` its error must name. */
  invalid?: ReadonlyArray<{ call: () => unknown; field: string }>;
  /** A link fault: it needs the memory network and must say so at install when there is none. */
  link: boolean;
  /** The same plugin with nothing to act on (a fraction of 0): it must leave no trace at all. */
  idle?: () => PluginFactory<"faults">;
  /**
   * The options name peers, so the plugin belongs to one roster: the empty-world and seed-drawing checks do not
   * apply (its own tests check what it does with ids that are not peers). @default false
   */
  namesPeers?: boolean;
}

export function faultsCompliance(spec: FaultsSuiteSpec): void {
  describe(`faults compliance: ${describePlugin(spec.make())}`, () => {
    test("is a branded faults factory carrying its name and validated options; its plugin has the same name", () => {
      const factory = spec.make();
      for (const kind of pluginKinds) expect(isPlugin(factory, kind)).toBe(kind === "faults");
      expect(spec.name.length).toBeGreaterThan(0);
      expect(factory.pluginName).toBe(spec.name);
      expect(factory.pluginOptions).toEqual(spec.options);
      expect(describePlugin(factory).startsWith(`${spec.name}(`)).toBe(true);
      expect(factory({}).name).toBe(spec.name);
    });

    if (spec.invalid && spec.invalid.length > 0) {
      const invalid = spec.invalid;
      test("bad options fail at the call, naming the field", () => {
        for (const { call, field } of invalid) expect(call).toThrow(`${field}:`);
      });
    }

    test("acts, and the same seed replays the same calls on targets, network, telemetry and timers; its timers run out once every peer finished", async () => {
      const a = await runFault(spec.make(), { seed: 7 });
      const b = await runFault(spec.make(), { seed: 7 });
      expect(actions(a.trace).length).toBeGreaterThan(0);
      expect(b.trace).toEqual(a.trace);
      expect([a.reason, b.reason]).toEqual(["idle", "idle"]);
    });

    if (!spec.namesPeers) {
      test("what it does is drawn from the world's rng: six seeds do not all replay one trace", async () => {
        const traces = new Set<string>();
        for (const seed of [1, 2, 3, 4, 5, 6]) traces.add((await runFault(spec.make(), { seed })).trace.join("\n"));
        expect(traces.size).toBeGreaterThan(1);
      });

      test("a world with no peers: installs, arms nothing, does nothing", async () => {
        const run = await runFault(spec.make(), { peers: [] });
        expect(run.trace).toEqual([]);
        expect(run.reason).toBe("idle");
      });
    }

    if (spec.idle) {
      const idle = spec.idle;
      test(`${describePlugin(idle())} does nothing: no calls, no reports, no timers`, async () => {
        const run = await runFault(idle(), { seed: 7 });
        expect(run.trace).toEqual([]);
        expect([...run.world.phase.values()].every((ph) => ph === "done")).toBe(true);
      });
    }

    if (spec.link) {
      test("without the memory network (real sockets) it fails at install with a clear error", () => {
        expect(() => spec.make()({}).install(fakeWorld({ net: false }).world)).toThrow(`${spec.name}: needs the memory network (virtual clock)`);
      });
    } else {
      test("needs no memory network: over real sockets it acts the same on its targets", async () => {
        const withNet = await runFault(spec.make(), { seed: 7 });
        const without = await runFault(spec.make(), { seed: 7, net: false });
        const notNet = (trace: string[]) => trace.filter((l) => !l.includes(" net."));
        expect(without.trace.some((l) => l.includes(" net."))).toBe(false);
        expect(notNet(without.trace)).toEqual(notNet(withNet.trace));
        expect(actions(without.trace).length).toBeGreaterThan(0);
      });
    }
  });
}
