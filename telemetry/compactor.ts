/**
 * The latest of everything a run said, so a late subscriber (a monitor client, a resync after backpressure) can
 * be brought up to date with a bounded number of events instead of the whole stream.
 *
 * Contract: `reduceAll(compactor.snapshot())` renders like `reduceAll(stream)` (tui/view-model.ts) for peers
 * (in first-appearance order, with their states, devices, held pieces, bytes and rates, last round, bans),
 * origins, rounds, baselines, `finished` and the log, provided a peer does not report the same grace/failed/left
 * state twice in a row (the round machine reports each state once, on entry).
 *
 * How: every kept event is a real event of the stream, and `snapshot()` returns them in stream order, so the
 * replay is a subsequence of the stream; it keeps, per key, the event whose latest update wins (the order of
 * each key's latest update), plus the few older events the reducer needs to land in the same place:
 * - the first event that named each peer and each origin, so both keep their first-appearance order;
 * - for peer.bytes, the two samples the view's current rate was measured between and the newest sample (the view
 *   measures over ≥ rateSampleMinMs, so "the last two samples" would get the rate wrong when reports come faster);
 * - for each logged state change, the peer's state just before it, so the replay logs it too;
 * - every ban, keyed by (peer, by), so `bannedBy` counts survive the log scrolling.
 * The log is the last `logKept` faults, bans, logged state changes and run.finished, in order.
 *
 * Size: about 7 per peer + peers × origins + origins + rounds + baselines + bans + 2 × logKept events.
 */
import { emptyView, eventsLogMax, rateSampleMinMs, reduce, type SwarmView } from "../tui/view-model.ts";
import type { PeerBytes, PeerState, RunStarted, TelemetryEvent, TelemetrySink } from "./events.ts";

/** One kept event and its position in the stream. */
interface Kept {
  readonly seq: number;
  readonly ev: TelemetryEvent;
}

/** The peer.bytes samples a peer's view depends on (see the module comment). */
interface BytesKept {
  /** Where the view's current rate interval started (the rate was measured from `fromPrev` to `from`). */
  fromPrev: Kept | undefined;
  from: Kept;
  latest: Kept;
}

export interface CompactorOptions {
  /** Log entries (faults, bans, logged state changes, run.finished) kept, newest last. @default eventsLogMax */
  logKept?: number;
}

/** Same run: a re-sent run.started (a resync, a second process of the same swarm) is not a new run. */
export function sameRun(a: RunStarted, b: RunStarted): boolean {
  return a.scenario === b.scenario && a.seed === b.seed && a.clock === b.clock;
}

/** Keys never collide with ids: ids cannot carry NUL in practice, and a collision would only merge two keys. */
const sep = "\u0000";

export class Compactor implements TelemetrySink {
  private readonly logKept: number;
  private seq = 0;
  private run: Kept | undefined;
  /** Latest event per key (and the first per peer/origin), by key. */
  private readonly keyed = new Map<string, Kept>();
  private readonly bytes = new Map<string, BytesKept>();
  /** Log entries, oldest first, each with the peer's previous state when it is a state change. */
  private readonly log: { kept: Kept; before: Kept | undefined }[] = [];
  /** Per peer, a view of that peer alone: asks the reducer itself whether a peer.state adds a log line. */
  private readonly stateViews = new Map<string, SwarmView>();

  constructor(opts: CompactorOptions = {}) {
    const logKept = opts.logKept ?? eventsLogMax;
    if (!Number.isInteger(logKept) || logKept < 0) throw new Error(`compactor: logKept must be an integer ≥ 0, got ${logKept}`);
    this.logKept = logKept;
  }

  emit(ev: TelemetryEvent): void {
    if (ev.type === "run.started") {
      if (this.run !== undefined && sameRun(this.run.ev as RunStarted, ev)) return;
      this.clear();
      this.run = this.keep(ev);
      return;
    }
    const k = this.keep(ev);
    switch (ev.type) {
      case "peer.state":
        return this.onState(k, ev);
      case "peer.device":
      case "peer.round":
        this.introduce(ev.peer, k);
        this.keyed.set(`${ev.type}${sep}${ev.peer}`, k);
        return;
      case "piece.progress":
        // Keyed per (peer, origin): an event stays while it is the latest word on any of its origins. Replayed in
        // stream order, the older events' stale counts are overwritten by the newer ones kept for those origins.
        this.introduce(ev.peer, k);
        for (const origin of ev.origins) {
          if (!this.keyed.has(`origin${sep}${origin}`)) this.keyed.set(`origin${sep}${origin}`, k);
          this.keyed.set(`piece${sep}${ev.peer}${sep}${origin}`, k);
        }
        return;
      case "peer.bytes":
        this.introduce(ev.peer, k);
        return this.onBytes(k, ev);
      case "round.metrics":
        this.keyed.set(`metrics${sep}${ev.round}`, k);
        return;
      case "baseline":
        this.keyed.set(`baseline${sep}${ev.kind}`, k);
        return;
      case "ban":
        this.introduce(ev.peer, k);
        this.keyed.set(`ban${sep}${ev.peer}${sep}${ev.by}`, k);
        return this.appendLog(k, undefined);
      case "fault":
      case "timeout":
        return this.appendLog(k, undefined);
      case "run.finished":
        this.keyed.set("finished", k);
        return this.appendLog(k, undefined);
    }
  }

  /** The kept events in stream order, run.started first: replay them into an empty view. */
  snapshot(): TelemetryEvent[] {
    const bySeq = new Map<number, TelemetryEvent>();
    const add = (k: Kept | undefined) => {
      if (k !== undefined) bySeq.set(k.seq, k.ev);
    };
    for (const k of this.keyed.values()) add(k);
    for (const b of this.bytes.values()) {
      add(b.fromPrev);
      add(b.from);
      add(b.latest);
    }
    for (const entry of this.log) {
      add(entry.before);
      add(entry.kept);
    }
    const out = [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([, ev]) => ev);
    return this.run === undefined ? out : [this.run.ev, ...out];
  }

  private keep(ev: TelemetryEvent): Kept {
    return { seq: this.seq++, ev };
  }

  private clear(): void {
    this.run = undefined;
    this.keyed.clear();
    this.bytes.clear();
    this.log.length = 0;
    this.stateViews.clear();
  }

  private introduce(peer: string, k: Kept): void {
    const key = `intro${sep}${peer}`;
    if (!this.keyed.has(key)) this.keyed.set(key, k);
  }

  private onState(k: Kept, ev: PeerState): void {
    this.introduce(ev.peer, k);
    const key = `peer.state${sep}${ev.peer}`;
    const before = this.keyed.get(key);
    this.keyed.set(key, k);
    const view = this.stateViews.get(ev.peer) ?? emptyView;
    const next = reduce(view, ev);
    // Keep the one-peer view's log empty: only "did this event add a line" matters.
    this.stateViews.set(ev.peer, { ...next, log: emptyView.log, logTotal: 0 });
    if (next.logTotal > view.logTotal) this.appendLog(k, before);
  }

  /** Mirrors the view's rate sampling (view-model onBytes), so the replay measures the same interval. */
  private onBytes(k: Kept, ev: PeerBytes): void {
    const b = this.bytes.get(ev.peer);
    if (b === undefined) {
      this.bytes.set(ev.peer, { fromPrev: undefined, from: k, latest: k });
      return;
    }
    if (ev.t - b.from.ev.t >= rateSampleMinMs) {
      b.fromPrev = b.from;
      b.from = k;
    }
    b.latest = k;
  }

  private appendLog(kept: Kept, before: Kept | undefined): void {
    this.log.push({ kept, before });
    while (this.log.length > this.logKept) this.log.shift();
  }
}
