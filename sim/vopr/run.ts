/**
 * One VOPR seed, end to end: draw the case, run it on the virtual clock with the checkers wired in, and say what
 * held and what did not. Deterministic: the same seed (and peer range) replays the same run, event for event.
 */
import { createHash } from "node:crypto";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { byzantine, corrupt, crash, restart } from "../../plugins/faults/index.ts";
import type { PluginFactory } from "../../plugins/plugin.ts";
import type { LogLevel } from "../../runtime/log.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { defineScenario, describeScenario } from "../../scenarios/define.ts";
import type { PieceStore } from "../../swarm/store-port.ts";
import { runScenario, type World } from "../run-scenario.ts";
import { peerIds } from "../scenario-data.ts";
import { VoprCheckers, type CheckerStats } from "./checkers.ts";
import { defaultPeerRange, drawCase, type PeerRange } from "./draw.ts";
import { voprFaults } from "./fault-plugin.ts";
import { gated } from "./gate.ts";
import { Phase, Tally } from "./phase.ts";
import { describeSchedule, type PluginFaults } from "./schedule.ts";
import type { Violation } from "./violation.ts";

export interface VoprRunOptions {
  /** @default defaultPeerRange */
  peers?: PeerRange;
  /** Sampling period of holdings and limits, in clock ms. */
  sampleEveryMs?: number;
  /** The run's log lines (a replay with `--log`). @default dropped */
  logSink?: (line: string) => void;
  /** @default "warn" */
  logLevel?: LogLevel;
  /** Plants a bug so a test can watch a checker catch it (never set by the CLI). */
  plant?: Plant;
}

/**
 * Where a test may plant a bug. A checker that cannot fail proves nothing (STYLE 14): each property has a test that
 * breaks it on purpose through one of these and expects the violation.
 */
export interface Plant {
  /** Wraps the store between the peers and the audit: a swarm bug (it stores bytes that failed their hash, say). */
  storeAbove?: (store: PieceStore) => PieceStore;
  /** Wraps the store between the audit and the chunk store: a store bug (it hands out other bytes, say). */
  storeBelow?: (store: PieceStore) => PieceStore;
  /** Gets the world once it is built (to reach into a peer at some instant) and the run's phase. */
  world?: (world: World, phase: Phase) => void;
  /** Rewrites each round record before the checkers see it. */
  record?: (r: PeerRoundRecord) => PeerRoundRecord;
}

export interface VoprResult {
  seed: number;
  ok: boolean;
  /** The first few violations of each property, in the order seen. */
  violations: Violation[];
  /** Violations per property, all of them. */
  violationCounts: Record<string, number>;
  peers: number;
  rounds: number;
  /** Virtual time the run took (ms). */
  simulatedMs: number;
  wallMs: number;
  /** SHA-256 over every round record in order (peer, round, outcome, coverage, model, times): equal runs, equal trace. */
  trace: string;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  healedAtMs: number | undefined;
  /** The drawn scenario and schedule, one line each (printed for a failing seed). */
  scenario: string;
  schedule: string[];
  stats: CheckerStats;
}

export async function runVoprSeed(seed: number, opts: VoprRunOptions = {}): Promise<VoprResult> {
  const range = opts.peers ?? defaultPeerRange;
  const c = drawCase(seed, range);
  const phase = new Phase();
  const tally = new Tally();
  const dishonest = new Set<string>();
  // The checkers hear state changes through the vopr plugin, which exists before them: bound once they do.
  const late: { observe?: (peer: string, state: string) => void } = {};
  const control = { phase, tally, dishonest, observe: (peer: string, state: string) => late.observe?.(peer, state) };
  const faults = [voprFaults(c.schedule, control), ...stockFaults(c.schedule.plugins).map((f) => gated(f, control))];
  const s = defineScenario({ ...c.input, faults });
  const graph = s.topology({ rng: new SeededRng(s.seed).split("topology") }).build(peerIds(s.peers));
  const checkers = new VoprCheckers({ rounds: s.rounds, timeouts: s.timeouts, graph, phase, dishonest, sampleEveryMs: opts.sampleEveryMs });
  late.observe = checkers.observe;
  let world: World | undefined;
  let how: "ended" | "stalled" | "threw" = "ended";
  const trace = createHash("sha256");
  const plant = opts.plant ?? {};
  const started = performance.now();
  try {
    await runScenario(s, {
      logLevel: opts.logLevel ?? "warn",
      logSink: opts.logSink ?? (() => {}),
      wrapStore: (store) => {
        const audited = checkers.wrapStore(plant.storeBelow ? plant.storeBelow(store) : store);
        return plant.storeAbove ? plant.storeAbove(audited) : audited;
      },
      setup: (w) => {
        world = w;
        checkers.bind(w);
        plant.world?.(w, phase);
      },
      onPeerRound: (record) => {
        const r = plant.record ? plant.record(record) : record;
        const t = r.times;
        trace.update(`${r.peer} ${r.round} ${r.outcome} ${r.coverage} ${r.origins} ${r.modelHash} ${t.trainStartMs} ${t.publishedMs} ${t.doneMs}\n`);
        checkers.onRecord(r);
      },
      onFault: (peer, what) => {
        checkers.onFault(peer, what);
        if (what.startsWith("crashed:")) tally.add("crash");
      },
    });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    how = /still running/.test(err.message) ? "stalled" : "threw";
    if (how === "stalled") checkers.report({ property: "liveness", atMs: undefined, detail: `the run did not end: ${err.message}` });
    else checkers.report({ property: "crash", atMs: undefined, detail: (err.stack ?? err.message).split("\n").slice(0, 6).join("\n") });
  }
  const stats = checkers.finish(how);
  const wallMs = performance.now() - started;
  return {
    seed,
    ok: checkers.violations.length === 0,
    violations: checkers.violations,
    violationCounts: Object.fromEntries(checkers.seen),
    peers: s.peers,
    rounds: s.rounds,
    simulatedMs: world?.clock.now() ?? 0,
    wallMs,
    trace: trace.digest("hex"),
    faults: tally.toJSON(),
    healedAtMs: phase.healedAtMs,
    scenario: describeScenario(s),
    schedule: describeSchedule(c.schedule),
    stats,
  };
}

/** The stock plugins a schedule asks for, in a fixed order (each gets its own stream by position). */
function stockFaults(p: PluginFaults): Array<PluginFactory<"faults">> {
  const out: Array<PluginFactory<"faults">> = [];
  if (p.crash) out.push(crash(p.crash));
  if (p.restart) out.push(restart(p.restart));
  if (p.corrupt) out.push(corrupt(p.corrupt));
  if (p.byzantine) out.push(byzantine(p.byzantine));
  return out;
}
