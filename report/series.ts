import type { PeerRoundRecord } from "../actors/peer-telemetry.ts";

/** One peer's finish time in one round, measured from the round's first training start. */
export interface CompletionPoint {
  /** 1-based, as printed. */
  round: number;
  peer: string;
  seconds: number;
}

/** Bytes one peer moved over the whole run (its round records summed). */
export interface PeerBytes {
  peer: string;
  usefulIn: number;
  duplicateIn: number;
  payloadOut: number;
  wireOut: number;
}

/**
 * Per round, each peer's `doneMs` minus the earliest `trainStartMs` of any record of that round; records
 * without `doneMs` (round abandoned) have no completion time and are counted in `unfinished` instead.
 * Sorted by round then peer, so equal inputs give equal charts.
 */
export function completionTimes(records: readonly PeerRoundRecord[]): { points: CompletionPoint[]; unfinished: number } {
  const startMs = new Map<number, number>();
  for (const r of records) startMs.set(r.round, Math.min(startMs.get(r.round) ?? Infinity, r.times.trainStartMs));
  const points: CompletionPoint[] = [];
  let unfinished = 0;
  for (const r of records) {
    if (r.times.doneMs === undefined) {
      unfinished++;
      continue;
    }
    points.push({ round: r.round + 1, peer: r.peer, seconds: (r.times.doneMs - startMs.get(r.round)!) / 1000 });
  }
  points.sort((a, b) => a.round - b.round || compareText(a.peer, b.peer));
  return { points, unfinished };
}

/** Sums each peer's byte counters over its records; sorted by peer id. */
export function peerBytes(records: readonly PeerRoundRecord[]): PeerBytes[] {
  const byPeer = new Map<string, PeerBytes>();
  for (const r of records) {
    let b = byPeer.get(r.peer);
    if (!b) byPeer.set(r.peer, (b = { peer: r.peer, usefulIn: 0, duplicateIn: 0, payloadOut: 0, wireOut: 0 }));
    b.usefulIn += r.usefulIn;
    b.duplicateIn += r.duplicateIn;
    b.payloadOut += r.payloadOut;
    b.wireOut += r.wireOut;
  }
  return [...byPeer.values()].sort((a, b) => compareText(a.peer, b.peer));
}

/** Peer ids by `value` descending, ties by id: the bar order of a sorted bar chart. */
export function peersByDesc(rows: readonly PeerBytes[], value: (b: PeerBytes) => number): string[] {
  return [...rows].sort((a, b) => value(b) - value(a) || compareText(a.peer, b.peer)).map((b) => b.peer);
}

/** Code-unit order: independent of the runtime's locale, unlike `localeCompare`. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
