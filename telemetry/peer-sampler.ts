/**
 * Samples what changes too often to report one event at a time: each peer's verified pieces per origin and its
 * payload byte counters. Every `sampleEveryMs` of the run clock it emits, per peer, at most one piece.progress
 * (the origins whose counts moved) and one peer.bytes, and nothing for a peer where nothing moved.
 */
import type { Clock, TimerId } from "../runtime/clock.ts";
import type { TelemetryEvent } from "./events.ts";

/** Twice a second: the TUI measures rates over ≥ 500 ms and redraws at ≤ 10 Hz; faster would only cost events. */
export const sampleEveryMs = 500;

/** What a peer shows the sampler (actors/peer.ts `sample()`). */
export interface PeerSample {
  /** The round the peer is gathering. */
  round: number;
  /** Verified pieces held per origin of that round (origins whose manifest has not arrived may be absent). */
  progress: Iterable<{ origin: string; held: number; count: number }>;
  /** Payload bytes served and received since the peer started. */
  up: number;
  down: number;
}

export interface SampledPeer {
  readonly id: string;
  sample(): PeerSample;
}

interface Last {
  /** The incarnation sampled last (a restart builds a new peer object). */
  of: SampledPeer;
  round: number;
  /** Per origin, the counts last reported (updated in place: a sample allocates nothing for unchanged origins). */
  held: Map<string, { held: number; count: number }>;
  up: number;
  down: number;
  /** The cumulative totals of earlier incarnations (a restarted peer's counters start again at 0). */
  upBase: number;
  downBase: number;
}

/**
 * Emits `piece.progress` and `peer.bytes` for the peers `peers()` returns (read at every sample, so a restarted
 * peer's new incarnation is picked up). Byte totals stay cumulative across restarts, as the event promises.
 */
export class PeerSampler {
  private readonly last = new Map<string, Last>();
  private timer: TimerId | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly peers: () => readonly SampledPeer[],
    private readonly emit: (events: TelemetryEvent[]) => void,
    private readonly everyMs = sampleEveryMs,
  ) {}

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.clock.setTimeout(this.tick, this.everyMs);
  }

  /** Takes a last sample (so the final counts are reported) and stops. */
  stop(): void {
    if (this.stopped) return;
    this.sampleNow();
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    this.sampleNow();
    this.timer = this.clock.setTimeout(this.tick, this.everyMs);
  };

  /** Emits what changed since the previous sample; returns how many events. */
  sampleNow(): number {
    const t = this.clock.now();
    const out: TelemetryEvent[] = [];
    for (const p of this.peers()) {
      const s = p.sample();
      let last = this.last.get(p.id);
      if (!last) this.last.set(p.id, (last = { of: p, round: -1, held: new Map(), up: 0, down: 0, upBase: 0, downBase: 0 }));
      if (last.of !== p) {
        // A new incarnation: its counters start again at 0, so carry the old totals.
        last.of = p;
        last.upBase = last.up;
        last.downBase = last.down;
      }
      if (s.round !== last.round) {
        last.round = s.round;
        last.held.clear();
      }
      const changed: { origins: string[]; held: number[]; count: number[] } = { origins: [], held: [], count: [] };
      for (const { origin, held, count } of s.progress) {
        const was = last.held.get(origin);
        if (was?.held === held && was.count === count) continue;
        if (was) {
          was.held = held;
          was.count = count;
        } else last.held.set(origin, { held, count });
        changed.origins.push(origin);
        changed.held.push(held);
        changed.count.push(count);
      }
      if (changed.origins.length > 0) out.push({ type: "piece.progress", t, peer: p.id, round: s.round, ...changed });
      const up = last.upBase + s.up;
      const down = last.downBase + s.down;
      if (up !== last.up || down !== last.down) {
        last.up = up;
        last.down = down;
        out.push({ type: "peer.bytes", t, peer: p.id, up, down });
      }
    }
    if (out.length > 0) this.emit(out);
    return out.length;
  }
}
