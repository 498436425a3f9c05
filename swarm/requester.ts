import type { Clock } from "../runtime/clock.ts";
import { requestsInFlightMax, requestsInFlightMin } from "./limits.ts";
import type { SwarmTimingOptions } from "./node-options.ts";
import { pickPieces, type PickerOptions } from "./picker.ts";
import type { RemoteView, RoundState } from "./round-state.ts";
import type { RoundBook } from "./rounds.ts";
import type { Session } from "./session.ts";

/** Requests beyond bandwidth × RTT, so the sender's queue never runs dry between our requests. */
const requestsSlack = 2;

/** A session whose smoothed RTT exceeds this factor × our fastest session's (and slowSessionRttMinMs) is slow. */
const slowSessionRttFactor = 4;
const slowSessionRttMinMs = 500;

export interface RequesterDeps {
  clock: Clock;
  book: RoundBook;
  sessions: ReadonlyMap<number, Session>;
  timing: SwarmTimingOptions;
  picker: PickerOptions;
}

/**
 * The asking side of a peer: keeps each unchoked session's pipeline full with the picker's choices, and gives
 * requests up (choke grace, silence, deadline) so their pieces go to other holders.
 */
export class Requester {
  constructor(private readonly d: RequesterDeps) {}

  /** Tops up one session's pipeline for the current round (or says interested / not interested). */
  fill(s: Session): void {
    if (s.state !== "open") return;
    const { book, clock } = this.d;
    const rs = book.get(book.current);
    if (!rs || rs.haveCount === rs.pieceCount || book.stopped(book.current)) return;
    const v = rs.view(s.id);
    const pieceBytes = rs.originList[0]?.manifest.chunks[0]?.bytes ?? 1;
    if (s.peerChoking) {
      if (!s.amInterested && remoteHasNeeded(rs, v)) s.sendInterested(book.current);
      return;
    }
    const capacity = this.targetInflight(s, pieceBytes) - v.inflight.size;
    if (capacity <= 0) return;
    const now = clock.now();
    const pick = pickPieces(rs, v, capacity, rs.requestClock, now, this.d.picker, this.isSlow(s));
    if (pick.pieces.length === 0) {
      if (v.inflight.size === 0 && s.amInterested && !remoteHasNeeded(rs, v)) s.sendNotInterested(book.current);
      return;
    }
    if (!s.amInterested) s.sendInterested(book.current);
    const wait = s.srttMs ?? this.d.timing.initialRequestWaitMs;
    for (const p of pick.pieces) {
      rs.markRequested(v, p, now, wait);
      s.sendRequest(book.current, rs.pieceOrigin[p]!.origin, rs.pieceIndex[p]!);
    }
  }

  fillAll(): void {
    for (const s of this.d.sessions.values()) if (s.state === "open") this.fill(s);
  }

  /** Forgets requests to `s` matching `which`; their pieces go back to the picker; late copies are tolerated. */
  giveUp(s: Session, which: (sentAtMs: number) => boolean): number {
    let n = 0;
    for (const rs of this.d.book.all()) {
      const v = rs.views.get(s.id);
      if (!v) continue;
      for (const [p, sentAt] of v.inflight) if (which(sentAt) && rs.withdraw(v, p)) n++;
    }
    return n;
  }

  /** Periodic sweep of one session: choke grace and silence. */
  sweep(s: Session, now: number): void {
    // BitTorrent semantics: a choke discards our outstanding requests. Pieces already on the wire still arrive,
    // so the requests are only given up once the session stayed choked for twice its smoothed RTT —
    // re-requesting at once would pull the same bytes twice over a slow downlink.
    if (s.peerChoking && s.chokedAtMs !== undefined && now - s.chokedAtMs >= 2 * (s.srttMs ?? this.d.timing.initialRequestWaitMs)) {
      s.chokedAtMs = undefined;
      this.giveUp(s, () => true);
    }
    // Requests are answered in order: only a session that delivered nothing for the timeout has lost them.
    const timeout = this.d.timing.requestTimeoutMs;
    if (now - s.lastPieceInMs > timeout) this.giveUp(s, (sentAt) => now - sentAt > timeout);
  }

  /** The remote unchoked us: what we asked before its choke was discarded there, so ask again. */
  unchoked(s: Session): void {
    s.peerChoking = false;
    const choked = s.chokedAtMs;
    s.chokedAtMs = undefined;
    if (choked !== undefined) this.giveUp(s, (sentAt) => sentAt <= choked);
    this.fillAll();
  }

  /** The round's deadline passed: withdraw and cancel everything still requested for it. */
  withdrawRound(rs: RoundState): void {
    for (const [sid, v] of rs.views) {
      const s = this.d.sessions.get(sid);
      for (const p of v.inflight.keys()) {
        rs.withdraw(v, p);
        if (s?.state === "open") s.sendCancel(rs.round, rs.pieceOrigin[p]!.origin, rs.pieceIndex[p]!);
      }
    }
  }

  /** Pipeline depth for a session: bandwidth × RTT in pieces, plus slack so the sender never idles. */
  private targetInflight(s: Session, pieceBytes: number): number {
    const rate = s.down.rate(this.d.clock.now());
    const rtt = s.minRttMs ?? this.d.timing.initialRequestWaitMs;
    const depth = Math.ceil((rate * rtt) / 1000 / Math.max(1, pieceBytes)) + requestsSlack;
    return Math.min(requestsInFlightMax, Math.max(requestsInFlightMin, depth));
  }

  /**
   * A session is slow when its requests take much longer than our fastest neighbour's (smoothed RTT, which
   * includes the sender's queue). Slow sessions are asked only for pieces nobody else has.
   */
  private isSlow(s: Session): boolean {
    if (s.srttMs === undefined || s.srttMs < slowSessionRttMinMs) return false;
    let best = Infinity;
    for (const o of this.d.sessions.values()) if (o.srttMs !== undefined && o.state === "open") best = Math.min(best, o.srttMs);
    return s.srttMs > slowSessionRttFactor * best;
  }
}

function remoteHasNeeded(rs: RoundState, v: RemoteView): boolean {
  for (const p of rs.needed) if (!rs.have[p] && v.has[p]) return true;
  return false;
}
