import type { Rng } from "../runtime/rng.ts";
import { bitsetFits, testBit } from "./bitset.ts";
import type { Manifest, PeerId } from "./messages.ts";
import type { RequestClock } from "./picker.ts";

/** One origin's torrent within a round: its manifest and where its pieces sit in the round's piece table. */
export interface OriginInfo {
  origin: PeerId;
  manifest: Manifest;
  /** Piece ids offset..offset+count-1 belong to this origin, in chunk order. */
  offset: number;
  count: number;
  haveCount: number;
  /** Sum of importance over the origin's chunks (for importance-weighted coverage). */
  importanceTotal: number;
  /** Largest chunk importance of this origin: scores are normalised per origin. */
  maxImportance: number;
}

/** What we know of one neighbour within a round. */
export interface RemoteView {
  /** 1 where the remote holds piece id i (known origins only). */
  has: number[];
  /** Bitfields or haves for origins whose manifest we have not seen yet (bounded by manifestsPerRoundMax). */
  pending: Map<PeerId, { bits?: Uint8Array; indices: number[] }>;
  /** Requests we sent to this remote: piece id → sent time (ms). */
  inflight: Map<number, number>;
  /** Copies we asked for and then cancelled (or lost to a choke): that many late arrivals are not unsolicited. */
  cancelled: Map<number, number>;
}

/**
 * The piece table of one round as one peer sees it. Pure data plus bookkeeping; no I/O. Piece ids are dense
 * integers in manifest-arrival order (local to this peer; never on the wire).
 */
export class RoundState {
  readonly origins = new Map<PeerId, OriginInfo>();
  readonly originList: OriginInfo[] = [];
  pieceCount = 0;
  haveCount = 0;
  readonly pieceOrigin: OriginInfo[] = [];
  readonly pieceIndex: number[] = [];
  readonly have: number[] = [];
  /** Neighbours known to hold each piece. */
  readonly availability: number[] = [];
  /** Sessions each piece is currently requested from. */
  readonly requested: number[] = [];
  readonly importance: number[] = [];
  /** Seeded per-piece tie-break in [0,1): same seed, same choices. */
  readonly tiebreak: number[] = [];
  /** Pieces not yet held; compacted lazily by the picker. */
  needed: number[] = [];
  readonly views = new Map<number, RemoteView>();
  /** Importance-weighted coverage numerator. */
  importanceHave = 0;
  /** When, and with what expected wait, each piece was last requested (endgame staleness). */
  readonly requestClock: RequestClock = { at: [], expectedWaitMs: [] };

  constructor(
    readonly round: number,
    private readonly rng: Rng,
  ) {}

  pieceId(origin: PeerId, index: number): number {
    const o = this.origins.get(origin);
    if (!o || index < 0 || index >= o.count) return -1;
    return o.offset + index;
  }

  view(sessionId: number): RemoteView {
    let v = this.views.get(sessionId);
    if (!v) {
      v = { has: new Array(this.pieceCount).fill(0), pending: new Map(), inflight: new Map(), cancelled: new Map() };
      this.views.set(sessionId, v);
    }
    return v;
  }

  dropView(sessionId: number): RemoteView | undefined {
    const v = this.views.get(sessionId);
    if (!v) return undefined;
    this.views.delete(sessionId);
    for (let p = 0; p < v.has.length; p++) if (v.has[p]) this.availability[p]!--;
    for (const p of v.inflight.keys()) this.requested[p]!--;
    return v;
  }

  /** Registers an origin's manifest (first one wins). Returns undefined if the origin was already known. */
  addManifest(m: Manifest, own: boolean): OriginInfo | undefined {
    if (this.origins.has(m.origin)) return undefined;
    const count = m.chunks.length;
    const info: OriginInfo = { origin: m.origin, manifest: m, offset: this.pieceCount, count, haveCount: 0, importanceTotal: 0, maxImportance: 0 };
    for (const c of m.chunks) {
      this.pieceOrigin.push(info);
      this.pieceIndex.push(c.index);
      this.have.push(0);
      this.availability.push(0);
      this.requested.push(0);
      this.importance.push(c.importance);
      this.tiebreak.push(this.rng.next());
      info.importanceTotal += c.importance;
      info.maxImportance = Math.max(info.maxImportance, c.importance);
      if (!own) this.needed.push(this.pieceCount);
      this.pieceCount++;
    }
    for (const v of this.views.values()) for (let i = 0; i < count; i++) v.has.push(0);
    this.origins.set(m.origin, info);
    this.originList.push(info);
    return info;
  }

  /** Marks a piece held (verified). Returns false if it was already held. */
  markHave(p: number): boolean {
    if (this.have[p]) return false;
    this.have[p] = 1;
    this.haveCount++;
    this.pieceOrigin[p]!.haveCount++;
    this.importanceHave += this.importance[p]!;
    return true;
  }

  /** Records our request for piece `p` to the remote behind `v`. */
  markRequested(v: RemoteView, p: number, now: number, expectedWaitMs: number): void {
    v.inflight.set(p, now);
    this.requested[p]!++;
    this.requestClock.at[p] = now;
    this.requestClock.expectedWaitMs[p] = expectedWaitMs;
  }

  /** The remote answered our request for `p`: returns when it was sent, or undefined if it was not in flight. */
  markAnswered(v: RemoteView, p: number): number | undefined {
    const sentAt = v.inflight.get(p);
    if (sentAt === undefined) return undefined;
    v.inflight.delete(p);
    this.requested[p]!--;
    return sentAt;
  }

  /**
   * Withdraws our request for `p` from one remote (cancel, choke, timeout, deadline): the piece goes back to the
   * picker and one late copy from that remote is tolerated. Returns false if it was not in flight there.
   */
  withdraw(v: RemoteView, p: number): boolean {
    if (!v.inflight.delete(p)) return false;
    this.requested[p]!--;
    v.cancelled.set(p, (v.cancelled.get(p) ?? 0) + 1);
    return true;
  }

  /** A piece arrived that we had withdrawn: consumes one tolerated late copy. False means it was unsolicited. */
  acceptLate(v: RemoteView, p: number): boolean {
    const late = v.cancelled.get(p) ?? 0;
    if (late === 0) return false;
    if (late === 1) v.cancelled.delete(p);
    else v.cancelled.set(p, late - 1);
    return true;
  }

  /** Records that a remote holds a piece. Returns false if already known. */
  markRemoteHas(v: RemoteView, p: number): boolean {
    if (v.has[p]) return false;
    v.has[p] = 1;
    this.availability[p]!++;
    return true;
  }

  /**
   * Applies a remote's wire bitset for a known origin. Returns false when the bitset does not fit the
   * origin's piece count (a protocol error for the caller to strike).
   */
  applyBits(v: RemoteView, info: OriginInfo, bits: Uint8Array): boolean {
    if (!bitsetFits(bits, info.count)) return false;
    for (let i = 0; i < info.count; i++) if (testBit(bits, i)) this.markRemoteHas(v, info.offset + i);
    return true;
  }

  /** Coverage over a set of expected origins: pieces held / pieces expected (unknown manifests count as 0 held). */
  coverage(expected: readonly PeerId[], chunksPerOrigin: number): { pieces: number; weighted: number } {
    let held = 0;
    let total = 0;
    let wHeld = 0;
    let wTotal = 0;
    for (const id of expected) {
      const o = this.origins.get(id);
      if (!o) {
        total += chunksPerOrigin;
        wTotal += chunksPerOrigin;
        continue;
      }
      held += o.haveCount;
      total += o.count;
      wTotal += o.importanceTotal;
      for (let p = o.offset; p < o.offset + o.count; p++) if (this.have[p]) wHeld += this.importance[p]!;
    }
    return { pieces: total ? held / total : 1, weighted: wTotal ? wHeld / wTotal : held === total ? 1 : 0 };
  }
}
