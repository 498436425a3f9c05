/**
 * One swarm from several processes' telemetry: each process hosts some of the peers and reports them (e.g. one
 * attachMonitor per process), and the merged stream folds (tui/view-model.ts) into one view of the whole swarm.
 *
 * Rules:
 * - run.started passes only when the run (scenario, seed, clock) differs from the current one; the others'
 *   copies and resyncs (a monitor snapshot starts with it) would otherwise start the view over.
 * - round.metrics are combined per round over each source's latest figures for it (combineRoundMetrics).
 * - faults and bans pass once per (type, t, peer, by, what/reason) over a bounded recent set: resyncs replay them.
 * - peer.state older than the last one passed for that peer (or a repeat at the same time) is dropped: a resync
 *   replays a peer's earlier states, and passing them would log its grace/failed/left again.
 * - run.finished passes once every source that sent run.started has sent run.finished.
 * - Everything else passes as it is. With one source and no resyncs, the output is the input without repeated
 *   run.started.
 * A source that starts another run resets the merge: the latest run wins.
 */
import { sameRun } from "./compactor.ts";
import { eventsLogMax } from "../tui/view-model.ts";
import type { RoundMetrics, RunStarted, TelemetryEvent, TelemetrySource } from "./events.ts";

/** Per source, fault keys remembered: a resync replays at most a log's worth (Compactor logKept), so twice that covers it. */
export const faultKeysPerSourceMax = 2 * eventsLogMax;
/** Ban keys remembered: a resync replays every ban of the run, and there is at most one per (peer, banning peer). */
export const banKeysMax = 65_536;
/** Rounds whose per-source metrics are kept for combining; older ones are forgotten first. */
export const metricsRoundsMax = 4096;

/**
 * Combines one round's metrics from several sources (each covering `peers` peers, default 1): accuracy, loss
 * and the coverage median are means weighted by peers (the median of the whole swarm is approximated by the
 * weighted mean of the sources' medians), coverage min/max are the extremes, peers, degraded peers and payload
 * bytes add up, swarmMs, roundMs and t are the latest. One source's metrics come back unchanged.
 */
export function combineRoundMetrics(parts: readonly RoundMetrics[]): RoundMetrics {
  const [first, ...rest] = parts;
  if (first === undefined) throw new Error("combineRoundMetrics: nothing to combine");
  if (rest.length === 0) return first;
  const weights = parts.map((m) => Math.max(0, m.peers ?? 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const mean = (f: (m: RoundMetrics) => number) =>
    total > 0 ? parts.reduce((s, m, i) => s + f(m) * weights[i]!, 0) / total : parts.reduce((s, m) => s + f(m), 0) / parts.length;
  const sum = (f: (m: RoundMetrics) => number) => parts.reduce((s, m) => s + f(m), 0);
  const max = (f: (m: RoundMetrics) => number) => Math.max(...parts.map(f));
  return {
    type: "round.metrics",
    t: max((m) => m.t),
    round: first.round,
    accuracy: mean((m) => m.accuracy),
    loss: mean((m) => m.loss),
    coverage: { min: Math.min(...parts.map((m) => m.coverage.min)), median: mean((m) => m.coverage.median), max: max((m) => m.coverage.max) },
    degradedPeers: sum((m) => m.degradedPeers),
    payloadBytes: sum((m) => m.payloadBytes),
    swarmMs: max((m) => m.swarmMs),
    roundMs: max((m) => m.roundMs),
    peers: sum((m) => m.peers ?? 1),
  };
}

/** Insertion-ordered set that forgets its oldest keys past `max`. */
class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly max: number) {}

  /** True the first time `key` is seen (while it is remembered). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
    return true;
  }
}

/** The merge state for one subscriber. */
class Merger {
  private run: RunStarted | undefined;
  private readonly started = new Set<number>();
  private readonly finished = new Set<number>();
  private finishEmitted = false;
  private readonly metrics = new Map<number, Map<number, RoundMetrics>>();
  private faults: RecentKeys;
  private bans = new RecentKeys(banKeysMax);
  /** Per peer: time of the last state passed, and the (state, round) pairs passed at that time. */
  private readonly states = new Map<string, { t: number; seen: Set<string> }>();

  constructor(
    private readonly sourceCount: number,
    private readonly out: (event: TelemetryEvent) => void,
  ) {
    this.faults = new RecentKeys(faultKeysPerSourceMax * Math.max(1, sourceCount));
  }

  push(source: number, ev: TelemetryEvent): void {
    switch (ev.type) {
      case "run.started":
        if (this.run !== undefined && sameRun(this.run, ev)) {
          this.started.add(source);
          return;
        }
        this.startRun(ev);
        this.started.add(source);
        return this.out(ev);
      case "run.finished":
        this.finished.add(source);
        if (this.finishEmitted || ![...this.started].every((s) => this.finished.has(s))) return;
        this.finishEmitted = true;
        return this.out(ev);
      case "round.metrics":
        return this.out(this.combine(source, ev));
      case "fault":
        if (this.faults.add(JSON.stringify([ev.type, ev.t, ev.peer ?? null, ev.what]))) this.out(ev);
        return;
      case "timeout":
        if (this.faults.add(JSON.stringify([ev.type, ev.t, ev.peer, ev.timer, ev.round]))) this.out(ev);
        return;
      case "ban":
        if (this.bans.add(JSON.stringify([ev.type, ev.t, ev.peer, ev.by, ev.reason]))) this.out(ev);
        return;
      case "peer.state":
        if (this.isNewState(ev)) this.out(ev);
        return;
      default:
        return this.out(ev);
    }
  }

  private startRun(ev: RunStarted): void {
    this.run = ev;
    this.started.clear();
    this.finished.clear();
    this.finishEmitted = false;
    this.metrics.clear();
    this.faults = new RecentKeys(faultKeysPerSourceMax * Math.max(1, this.sourceCount));
    this.bans = new RecentKeys(banKeysMax);
    this.states.clear();
  }

  private combine(source: number, ev: RoundMetrics): RoundMetrics {
    let bySource = this.metrics.get(ev.round);
    if (bySource === undefined) {
      bySource = new Map();
      this.metrics.set(ev.round, bySource);
      if (this.metrics.size > metricsRoundsMax) this.metrics.delete(Math.min(...this.metrics.keys()));
    }
    bySource.set(source, ev);
    return combineRoundMetrics([...bySource.values()]);
  }

  private isNewState(ev: Extract<TelemetryEvent, { type: "peer.state" }>): boolean {
    const key = `${ev.state}\u0000${ev.round}`;
    const last = this.states.get(ev.peer);
    if (last === undefined || ev.t > last.t) {
      this.states.set(ev.peer, { t: ev.t, seen: new Set([key]) });
      return true;
    }
    if (ev.t < last.t || last.seen.has(key)) return false;
    last.seen.add(key);
    return true;
  }
}

/** A source whose every subscriber gets its own merge of `sources` (subscribing to each while it listens). */
export function mergeSources(sources: readonly TelemetrySource[]): TelemetrySource {
  return {
    subscribe(listener) {
      const merger = new Merger(sources.length, listener);
      const offs = sources.map((source, i) => source.subscribe((ev) => merger.push(i, ev)));
      return () => {
        for (const off of offs) off();
      };
    },
  };
}
