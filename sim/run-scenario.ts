import type { PeerTelemetry } from "../actors/peer-telemetry.ts";
import { Tracker } from "../actors/tracker.ts";
import { describeBackend } from "../learn/backend.ts";
import { chunkLayout } from "../learn/chunking.ts";
import { specFor } from "../learn/models.ts";
import { MemoryNetwork } from "../net/memory.ts";
import type { LinkProfile } from "../net/transport.ts";
import { createWebSocketTransport } from "../net/websocket.ts";
import { isConnected } from "../plugins/topology/types.ts";
import { RealClock, VirtualClock, type Clock } from "../runtime/clock.ts";
import { createLogger } from "../runtime/log.ts";
import { hashSeed, SeededRng } from "../runtime/rng.ts";
import type { Scenario } from "../scenarios/types.ts";
import { allGatherLowerBoundMs } from "./lower-bound.ts";
import { assignDevices, PeerHost, swarmIdOf } from "./peer-host.ts";
import type { ScenarioReport } from "./report.ts";
import { RoundRows } from "./round-rows.ts";
import { RunEvents } from "./run-events.ts";
import type { TelemetryEvent } from "../telemetry/events.ts";
import type { RunScenarioOptions } from "./run-options.ts";
import { faultWorlds } from "./fault-world.ts";
import { dataShapeOf, peerIds } from "./scenario-data.ts";
import { sliceRoster, WorkerHost } from "./worker-host.ts";

export type { RunScenarioOptions, RunStatus, World } from "./run-options.ts";

/** A run that cannot make progress any more gives up after this much clock time past its worst case. */
const stallSlackMs = 10 * 60_000;

/**
 * Builds and runs a scenario: data and splits from the seed, one tracker, N peers with their round machines,
 * memory links under the virtual clock or WebSockets on loopback under the real one. Resolves with the report
 * once every peer is done, failed or left.
 */
export async function runScenario(s: Scenario, opts: RunScenarioOptions = {}): Promise<ScenarioReport> {
  const clock: Clock = s.clock === "virtual" ? new VirtualClock() : new RealClock();
  const sink = opts.logSink ?? ((line: string) => process.stderr.write(line + "\n"));
  const rootLog = createLogger({ clock, level: opts.logLevel ?? "warn", sink });
  const rng = new SeededRng(s.seed);
  const roster = peerIds(s.peers);
  const part = checkPart(s, opts);
  /** The peers this process hosts. */
  const ids = part ? sliceRoster(roster, part.of)[part.index]! : roster;
  const devices = assignDevices(s);
  const graph = s.topology({ rng: rng.split("topology") }).build(roster);
  // Scope "all" needs every origin's pieces to reach every peer; gossip ("neighbours") only needs each neighbourhood.
  if (s.swarm.scope === "all" && !isConnected(graph, roster)) {
    throw new Error(`scenario "${s.name}": the topology graph is not connected, but aggregation scope "all" needs every origin`);
  }
  const links: LinkProfile[] = roster.map((id) => devices.get(id)!);
  const modelBytes = chunkLayout(specFor(s.model, dataShapeOf(s).features, dataShapeOf(s).classes), s.swarm.maxChunkFloats).totalFloats * 4;
  const lowerBoundMs = allGatherLowerBoundMs(modelBytes, links);

  const net = s.transport === "memory" ? new MemoryNetwork({ clock, rng: rng.split("net") }) : undefined;
  const trackerLink: LinkProfile = { uplinkBytesPerSec: 125e6, downlinkBytesPerSec: 125e6, latencyMs: 1 };
  const tracker =
    part?.trackerAddress !== undefined
      ? undefined
      : new Tracker({
          swarmId: swarmIdOf(s),
          scenario: s.name,
          roster,
          graph,
          modelSeed: hashSeed(s.seed, "model"),
          transport: net ? net.node("mem://tracker", trackerLink) : await createWebSocketTransport({ clock, host: opts.listenHost, port: opts.trackerPort ?? 0 }),
          log: rootLog.child("tracker"),
        });
  const trackerAddress = tracker ? await tracker.start() : part!.trackerAddress!;
  if (tracker) opts.onTracker?.(trackerAddress);

  const startMs = clock.now();
  /** Peers in a final state, and peers that crashed and will come back (the run waits for them). */
  const finishedPeers = new Set<string>();
  const comebacks = new Set<string>();
  const allFinished = () => finishedPeers.size === ids.length && comebacks.size === 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const events = new RunEvents(clock, opts.telemetry);
  events.started(s, new Map(ids.map((id) => [id, devices.get(id)!])));
  const rows = new RoundRows(ids, startMs, lowerBoundMs, (row) => {
    events.round(row);
    opts.onRound?.(row);
  });
  const onSample = events.enabled ? (batch: TelemetryEvent[]) => events.batch(batch) : undefined;
  const control = opts.control;
  const stopNow = () => control?.stopped !== undefined;
  const states = new Map<string, string>();
  const peerRounds = new Map<string, number>();
  const stateListeners: Array<(peer: string, state: string, round: number) => void> = [];
  const telemetry: PeerTelemetry = {
    state: (peer, state, round) => {
      states.set(peer, state);
      peerRounds.set(peer, round);
      events.state(peer, state, round);
      for (const l of stateListeners) l(peer, state, round);
    },
    round: (r) => {
      opts.onPeerRound?.(r);
      events.peerRound(r);
      rows.add(r);
    },
    fault: (peer, what) => {
      events.fault(peer, what);
      opts.onFault?.(peer, what);
    },
    timeout: (peer, timer, state, round) => events.timeout(peer, timer, state, round),
    ban: (peer, by, reason) => {
      events.ban(peer, by, reason);
      opts.onFault?.(by, `banned ${peer}: ${reason}`);
    },
    finished: (peer, how) => {
      finishedPeers.add(peer);
      rows.stop(peer);
      // A crash ends a peer without a machine transition: faults still hear of it as a state.
      if (states.get(peer) !== how) telemetry.state!(peer, how, peerRounds.get(peer) ?? 0);
      wake?.();
    },
  };
  const workers = opts.workers ?? 1;
  if (workers > 1 && s.clock === "virtual") throw new Error("runScenario: a virtual-clock run is one event loop; workers need the real clock");
  if (workers > 1 && s.faults.length > 0) throw new Error(`scenario "${s.name}": faults act on the peers of this process; run it with one worker`);
  if (workers > 1 && opts.wrapStore) throw new Error("runScenario: wrapStore sees the store of this process; run with one worker");
  if (workers > 1 && !opts.source) throw new Error("runScenario: workers need opts.source (scenario reference and overrides) to load the scenario");
  const hosts: Array<{ start(): Promise<void>; close(): Promise<void> }> = [];
  let local: PeerHost | undefined;
  /** Stops listening to `control`; set once the run listens. */
  let unwatch: (() => void) | undefined;

  const statusEvery = opts.statusEveryMs ?? 5000;
  let statusTimer: number | undefined;
  const status = () => {
    if (allFinished()) return;
    const counts: Record<string, number> = {};
    for (const st of states.values()) counts[st] = (counts[st] ?? 0) + 1;
    const live = ids.filter((id) => !["done", "failed", "left"].includes(states.get(id) ?? "")).map((id) => peerRounds.get(id) ?? 0);
    opts.onStatus?.({ nowMs: clock.now() - startMs, states: counts, rounds: { min: Math.min(...live, Infinity), max: Math.max(...live, -Infinity) }, finished: finishedPeers.size, peers: ids.length });
    statusTimer = clock.setTimeout(status, statusEvery);
  };
  if (opts.onStatus) statusTimer = clock.setTimeout(status, statusEvery);

  const t = s.timeouts;
  const worstRoundMs = t.trainMs / minSpeed(links as Array<{ computeSpeed?: number }>) + 3 * t.trainMs + s.swarm.deadlineMs + s.swarm.graceMs;
  const worstMs = t.joinMs * 8 * t.joinRetries + t.connectMs * t.connectRetries + s.rounds * worstRoundMs + stallSlackMs;
  try {
    if (workers <= 1) {
      local = await PeerHost.create({ scenario: s, ids, clock, net, trackerAddress, log: rootLog, telemetry, wrapStore: opts.wrapStore, onSample, listenHost: opts.listenHost });
      hosts.push(local);
    } else {
      const slices = sliceRoster(ids, workers);
      for (const slice of slices) {
        hosts.push(
          new WorkerHost({ source: opts.source!, ids: slice, trackerAddress, logLevel: opts.logLevel ?? "warn", listenHost: opts.listenHost, telemetry, onSample, onLog: sink, onError: (e) => {
            failure ??= e;
            wake?.();
          } }),
        );
      }
    }
    if (local && s.faults.length > 0) {
      const worldFor = faultWorlds({
        clock,
        host: local,
        net,
        links: devices,
        log: rootLog.child("faults"),
        report: (peer, what) => telemetry.fault!(peer, what),
        onState: (l) => void stateListeners.push(l),
        comebackPending: (id) => void comebacks.add(id),
        comebackDone: (id, revived) => {
          comebacks.delete(id);
          if (revived) {
            finishedPeers.delete(id);
            rows.resume(id);
          }
          wake?.();
        },
        failed: (e) => {
          failure ??= e;
          wake?.();
        },
      });
      s.faults.forEach((factory, i) => factory({}).install(worldFor(rng.split(`fault:${i}`))));
    }
    opts.setup?.({ clock, net, tracker, peers: local?.peers ?? [], ids });
    unwatch = control?.onChange(() => {
      if (clock instanceof VirtualClock) clock.setPaused(control.paused);
      if (stopNow()) wake?.();
    });
    if (clock instanceof VirtualClock && control?.paused) clock.setPaused(true);
    await Promise.all(hosts.map((h) => h.start()));
    if (clock instanceof VirtualClock) {
      const res = await clock.run({ stopWhen: () => allFinished() || failure !== undefined || stopNow(), untilMs: startMs + worstMs });
      if (failure) throw failure;
      if (!allFinished() && !stopNow()) throw new Error(`scenario "${s.name}": ${ids.length - finishedPeers.size + comebacks.size} peers still running when the virtual run stopped (${res.reason} at ${res.nowMs} ms)`);
    } else {
      await new Promise<void>((resolve, reject) => {
        const giveUp = clock.setTimeout(() => reject(new Error(`scenario "${s.name}": ${ids.length - finishedPeers.size + comebacks.size} peers still running after ${Math.round(worstMs / 1000)} s`)), worstMs);
        wake = () => {
          if (failure) {
            clock.clearTimeout(giveUp);
            reject(failure);
          } else if (allFinished() || stopNow()) {
            clock.clearTimeout(giveUp);
            resolve();
          }
        };
        wake();
      });
    }
  } finally {
    unwatch?.();
    if (clock instanceof VirtualClock) clock.setPaused(false);
    if (statusTimer !== undefined) clock.clearTimeout(statusTimer);
    await Promise.allSettled(hosts.map((h) => h.close()));
    await tracker?.stop().catch(() => undefined);
    events.finished();
  }
  const stopped = control?.stopped;
  // A stopped run reports only the rounds every peer finished; a partly gathered round is not a result.
  if (stopped === undefined) rows.flush(true);
  const last = rows.rows[rows.rows.length - 1];
  return {
    ...(stopped === undefined ? {} : { stopped }),
    ...(part ? { part: `${part.index + 1}/${part.of}` } : {}),
    scenario: s.name,
    seed: s.seed,
    clock: s.clock,
    peers: s.peers,
    backend: local ? describeBackend() : (hosts[0] as WorkerHost).backend,
    rounds: rows.rows,
    final: last ? { accuracy: last.accuracy, loss: last.loss } : null,
    baseline: null,
  };
}

function checkPart(s: Scenario, opts: RunScenarioOptions): RunScenarioOptions["part"] {
  const part = opts.part;
  if (!part || (part.of === 1 && part.trackerAddress === undefined)) return undefined;
  if (!(Number.isInteger(part.of) && part.of >= 1 && Number.isInteger(part.index) && part.index >= 0 && part.index < part.of)) {
    throw new Error(`runScenario: part ${part.index + 1} of ${part.of} does not exist`);
  }
  if (part.of > s.peers) throw new Error(`scenario "${s.name}": ${s.peers} peers cannot be split into ${part.of} parts`);
  if (s.clock === "virtual") throw new Error(`scenario "${s.name}": a virtual-clock run is one event loop; parts in several processes need the real clock`);
  if (s.faults.length > 0) throw new Error(`scenario "${s.name}": faults act on the peers of one process; run it whole`);
  if (part.index > 0 && part.trackerAddress === undefined) throw new Error(`runScenario: part ${part.index + 1} of ${part.of} joins the tracker of part 1: give its address`);
  return part;
}

function minSpeed(devices: Array<{ computeSpeed?: number }>): number {
  return Math.min(1, ...devices.map((d) => d.computeSpeed ?? 1));
}
