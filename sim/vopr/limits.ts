/**
 * Every queue and map of a live peer's swarm against its named limit (swarm/limits.ts), sampled on the virtual
 * clock. The swarm's own `queueSizes()` gives the per-session queues; the round window and the per-round tables
 * are read from the node's round book (a checker may look inside; the product never does).
 */
import type { Peer } from "../../actors/peer.ts";
import { manifestsPerRoundMax, requestsInFlightMax, roundsAheadMax, servedQueueMax } from "../../swarm/limits.ts";
import type { RoundBook } from "../../swarm/rounds.ts";
import type { ReportViolation } from "./violation.ts";

/** Largest sizes seen over a run, for the report. */
export interface LimitHighWater {
  served: number;
  inflight: number;
  windowRounds: number;
  storeRounds: number;
}

export function emptyHighWater(): LimitHighWater {
  return { served: 0, inflight: 0, windowRounds: 0, storeRounds: 0 };
}

/**
 * Checks one live peer: served queue ≤ servedQueueMax, requests in flight ≤ requestsInFlightMax, round states only
 * within [current − 1, current + roundsAheadMax], ≤ manifestsPerRoundMax origins and pending origins per round,
 * and the store holds this peer's pieces only for rounds in that window (`storedRounds`).
 */
export function checkLimits(peer: Peer, storedRounds: ReadonlySet<number> | undefined, high: LimitHighWater, report: ReportViolation): void {
  const swarm = peer.swarm;
  const over = (what: string, size: number, limit: number, name: string) =>
    report({ property: "limit-exceeded", atMs: undefined, detail: `${peer.id}: ${what} is ${size}, over ${name} = ${limit}` });
  const q = swarm.queueSizes();
  high.served = Math.max(high.served, q.served);
  high.inflight = Math.max(high.inflight, q.inflight);
  if (q.served > servedQueueMax) over("a served queue", q.served, servedQueueMax, "servedQueueMax");
  if (q.inflight > requestsInFlightMax) over("requests in flight to one neighbour", q.inflight, requestsInFlightMax, "requestsInFlightMax");

  const lo = swarm.current - 1;
  const hi = swarm.current + roundsAheadMax;
  const outside = (r: number) => r < lo || r > hi;
  const outOfWindow = (what: string) =>
    report({ property: "limit-exceeded", atMs: undefined, detail: `${peer.id} ${what} at round ${swarm.current}: outside the window [current − 1, current + roundsAheadMax = ${roundsAheadMax}]` });
  // Element access reaches the private round book: a checker's privilege.
  const book = swarm["book"] as RoundBook;
  let windowRounds = 0;
  for (const rs of book.all()) {
    windowRounds++;
    if (outside(rs.round)) outOfWindow(`keeps the state of round ${rs.round}`);
    if (rs.origins.size > manifestsPerRoundMax) over(`origins known in round ${rs.round}`, rs.origins.size, manifestsPerRoundMax, "manifestsPerRoundMax");
    for (const v of rs.views.values()) {
      if (v.pending.size > manifestsPerRoundMax) over(`origins pending a manifest in round ${rs.round}`, v.pending.size, manifestsPerRoundMax, "manifestsPerRoundMax");
    }
  }
  high.windowRounds = Math.max(high.windowRounds, windowRounds);
  if (!storedRounds) return;
  high.storeRounds = Math.max(high.storeRounds, storedRounds.size);
  for (const r of storedRounds) {
    if (outside(r)) outOfWindow(`still has its pieces of round ${r} in the store (never released)`);
  }
}
