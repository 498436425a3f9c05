import { manifestsPerRoundMax } from "./limits.ts";
import type { Manifest, PeerId } from "./messages.ts";
import type { SwarmEvents } from "./node-options.ts";
import { packBits } from "./bitset.ts";
import { ProtocolError } from "./protocol-error.ts";
import type { Requester } from "./requester.ts";
import type { RemoteView, RoundState } from "./round-state.ts";
import type { RoundBook } from "./rounds.ts";
import type { Session } from "./session.ts";

export interface AnnouncerDeps {
  peerId: PeerId;
  book: RoundBook;
  sessions: ReadonlyMap<number, Session>;
  requester: Requester;
  events: SwarmEvents;
  /** A protocol error by the remote of `s` (the node counts strikes and bans). */
  strike(s: Session, err: ProtocolError): void;
  /** Origins we gather; manifests of others are dropped (not stored, not relayed). @default all */
  acceptOrigin?: (origin: PeerId) => boolean;
}

/**
 * Who holds what: manifests (flooded once per link), bitfields and haves in, and our round state out to a new
 * session. Haves and bitfields for an origin whose manifest has not arrived yet are kept, bounded, until it does.
 */
export class Announcer {
  constructor(private readonly d: AnnouncerDeps) {}

  manifest(s: Session, m: Manifest): void {
    const rs = this.d.book.state(m.round);
    // Outside the window, or an origin we do not gather: keep nothing (not even "this session knows it"), so a
    // peer cannot grow per-session records with manifests we drop.
    if (!rs) return;
    if (m.origin !== this.d.peerId && this.d.acceptOrigin && !this.d.acceptOrigin(m.origin)) return;
    s.noteManifest(m.round, m.origin);
    if (m.origin === this.d.peerId || rs.origins.has(m.origin)) return;
    if (rs.origins.size >= manifestsPerRoundMax) {
      return this.d.strike(s, new ProtocolError(`more than ${manifestsPerRoundMax} manifests in round ${m.round}`));
    }
    const info = rs.addManifest(m, false)!;
    for (const [sid, v] of rs.views) {
      const pending = v.pending.get(m.origin);
      if (!pending) continue;
      v.pending.delete(m.origin);
      const holder = this.d.sessions.get(sid);
      if (pending.bits && !rs.applyBits(v, info, pending.bits)) {
        // The strike may ban and close the holder, dropping its view: count nothing more for it.
        if (holder) this.d.strike(holder, new ProtocolError(`bitfield for ${m.origin} does not fit ${info.count} pieces`, "have"));
        continue;
      }
      for (const i of pending.indices) if (i < info.count) rs.markRemoteHas(v, info.offset + i);
    }
    for (const other of openSessions(this.d.sessions)) if (other !== s && !other.knowsManifest(m.round, m.origin)) other.sendManifest(m);
    this.d.events.manifest?.(m.round, m);
    if (m.round === this.d.book.current) this.d.requester.fillAll();
  }

  bitfield(s: Session, round: number, have: Record<PeerId, Uint8Array>): void {
    const rs = this.d.book.state(round);
    if (!rs) return;
    const v = rs.view(s.id);
    for (const origin in have) {
      const bits = have[origin]!;
      const info = rs.origins.get(origin);
      if (info) {
        if (!rs.applyBits(v, info, bits)) {
          return this.d.strike(s, new ProtocolError(`bitfield for ${origin} does not fit ${info.count} pieces`, "have"));
        }
      } else if (!this.stash(s, v, origin, (p) => (p.bits = bits))) return;
    }
    if (round === this.d.book.current) this.d.requester.fill(s);
  }

  have(s: Session, round: number, origin: PeerId, index: number): void {
    const rs = this.d.book.state(round);
    if (!rs) return;
    const v = rs.view(s.id);
    const info = rs.origins.get(origin);
    if (!info) {
      this.stash(s, v, origin, (p) => p.indices.length < 4096 && p.indices.push(index));
      return;
    }
    if (index >= info.count) return this.d.strike(s, new ProtocolError(`have index ${index} ≥ ${info.count} pieces of ${origin}`, "index"));
    const p = info.offset + index;
    if (!rs.markRemoteHas(v, p) || rs.have[p] || round !== this.d.book.current) return;
    if (!s.amInterested) s.sendInterested(this.d.book.current);
    this.d.requester.fill(s);
  }

  private stash(s: Session, v: RemoteView, origin: PeerId, apply: (p: { bits?: Uint8Array; indices: number[] }) => unknown): boolean {
    let p = v.pending.get(origin);
    if (!p) {
      if (v.pending.size >= manifestsPerRoundMax) {
        this.d.strike(s, new ProtocolError("too many origins without a manifest"));
        return false;
      }
      v.pending.set(origin, (p = { indices: [] }));
    }
    apply(p);
    return true;
  }

  sendRoundState(s: Session, rs: RoundState): void {
    const have: Record<PeerId, Uint8Array> = {};
    let any = false;
    for (const info of rs.originList) {
      if (!s.knowsManifest(rs.round, info.origin)) s.sendManifest(info.manifest);
      if (info.haveCount > 0) {
        have[info.origin] = packBits(rs.have, info.offset, info.count);
        any = true;
      }
    }
    if (any) s.sendBitfield(rs.round, have);
  }
}

export function openSessions(sessions: ReadonlyMap<number, Session>): Session[] {
  const out: Session[] = [];
  for (const s of sessions.values()) if (s.state === "open") out.push(s);
  return out;
}
