import type { PeerRoundRecord } from "../actors/peer-telemetry.ts";
import type { RoundRow } from "./report.ts";

/**
 * Folds per-peer round records into per-round rows, emitting a round once every peer has either reported it,
 * moved past it (a peer catching up skips rounds) or stopped. Rows come out in round order.
 */
export class RoundRows {
  private readonly records = new Map<number, PeerRoundRecord[]>();
  private readonly peerRound = new Map<string, number>();
  private readonly stopped = new Set<string>();
  private next = 0;
  private lastDoneMs: number;
  readonly rows: RoundRow[] = [];

  constructor(
    private readonly peers: readonly string[],
    startMs: number,
    private readonly lowerBoundMs: number,
    private readonly emit: (row: RoundRow) => void = () => {},
  ) {
    this.lastDoneMs = startMs;
  }

  add(rec: PeerRoundRecord): void {
    // Only a restarted peer reports a round already emitted (it starts again at round 0): too late for the row.
    if (rec.round < this.next) return;
    let list = this.records.get(rec.round);
    if (!list) this.records.set(rec.round, (list = []));
    list.push(rec);
    this.peerRound.set(rec.peer, rec.round);
    this.flush();
  }

  /** A peer reached a final state: it reports no more rounds. */
  stop(peer: string): void {
    this.stopped.add(peer);
    this.flush();
  }

  /** A stopped peer came back (a restart): rows wait for it again from its next record on. */
  resume(peer: string): void {
    this.stopped.delete(peer);
    this.peerRound.delete(peer);
  }

  /** Emits every round that can no longer receive records (call at the end of a run for the rest). */
  flush(force = false): void {
    for (;;) {
      const ready = force || this.peers.every((p) => this.stopped.has(p) || (this.peerRound.get(p) ?? -1) >= this.next);
      if (!ready) return;
      const list = this.records.get(this.next);
      if (!list) {
        // Nobody aggregated this round (every peer skipped it): go on if later rounds have records.
        if (![...this.records.keys()].some((r) => r > this.next)) return;
        this.next++;
        continue;
      }
      this.records.delete(this.next);
      const row = fold(this.next, list, this.lastDoneMs, this.lowerBoundMs);
      this.lastDoneMs = Math.max(...list.map((r) => r.times.doneMs ?? 0));
      this.rows.push(row);
      this.emit(row);
      this.next++;
    }
  }
}

export function fold(round: number, list: readonly PeerRoundRecord[], prevDoneMs: number, lowerBoundMs: number): RoundRow {
  const cov = list.map((r) => r.coverage).sort((a, b) => a - b);
  const sum = (f: (r: PeerRoundRecord) => number) => list.reduce((s, r) => s + f(r), 0);
  const published = list.map((r) => r.times.publishedMs).filter((t): t is number => t !== undefined);
  const firstPublish = published.length ? Math.min(...published) : Math.min(...list.map((r) => r.times.swarmStartMs ?? r.times.trainStartMs));
  const lastAggregate = Math.max(...list.map((r) => r.times.aggregateStartMs ?? 0));
  const lastDone = Math.max(...list.map((r) => r.times.doneMs ?? 0));
  return {
    round,
    accuracy: sum((r) => r.accuracy) / list.length,
    loss: sum((r) => r.loss) / list.length,
    coverage: { min: cov[0]!, median: median(cov), max: cov[cov.length - 1]! },
    degradedPeers: list.filter((r) => r.degraded).length,
    peers: list.length,
    payloadBytes: sum((r) => r.usefulIn),
    duplicateBytes: sum((r) => r.duplicateIn),
    overheadBytes: sum((r) => r.wireOut - r.payloadOut),
    swarmMs: Math.max(0, lastAggregate - firstPublish),
    roundMs: Math.max(0, lastDone - prevDoneMs),
    lowerBoundMs,
  };
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}
