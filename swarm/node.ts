import type { Clock, TimerId } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import { silentLogger } from "../runtime/log.ts";
import type { Conn } from "../net/transport.ts";
import { packBits } from "./bitset.ts";
import { Choker, defaultChokerOptions } from "./choker.ts";
import { bytesEqual, sha256 } from "./hash.ts";
import { roundsAheadMax, strikesBeforeBan } from "./limits.ts";
import type { Manifest, Message, PeerId } from "./messages.ts";
import { defaultTiming, type SwarmCounters, type SwarmEvents, type SwarmNodeOptions, type SwarmTimingOptions } from "./node-options.ts";
import { defaultPickerOptions } from "./picker.ts";
import { ProtocolError } from "./protocol-error.ts";
import { Requester } from "./requester.ts";
import { Announcer, openSessions } from "./announcer.ts";
import { Seeder } from "./seeder.ts";
import { RoundBook } from "./rounds.ts";
import { Session, type SessionHost } from "./session.ts";
import type { PieceStore } from "./store-port.ts";

export { defaultTiming, type SwarmCounters, type SwarmEvents, type SwarmNodeOptions, type SwarmTimingOptions } from "./node-options.ts";

/**
 * One peer's BitTorrent-style engine: sessions with neighbours, manifests, bitfields and haves, the picker,
 * the choker, endgame and relay. Synchronous and deterministic given its ports; it never aggregates — it hands
 * verified pieces to its owner through `events.piece`.
 */
export class SwarmNode implements SessionHost {
  readonly peerId: PeerId;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly store: PieceStore;
  private readonly timing: SwarmTimingOptions;
  private readonly choker: Choker;
  private readonly sessions = new Map<number, Session>();
  private readonly byPeer = new Map<PeerId, Session>();
  private readonly banned = new Set<string>();
  private readonly book: RoundBook;
  private readonly requester: Requester;
  private readonly announcer: Announcer;
  private readonly seeder: Seeder;
  private nextSessionId = 1;
  private tickTimer: TimerId | undefined;
  private closed = false;
  readonly counters: SwarmCounters = { payloadIn: 0, usefulIn: 0, duplicateIn: 0, rejectedIn: 0, payloadOut: 0, wireIn: 0, wireOut: 0, strikes: 0, bans: 0 };

  constructor(
    private readonly opts: SwarmNodeOptions,
    private readonly events: SwarmEvents = {},
  ) {
    this.peerId = opts.peerId;
    this.clock = opts.clock;
    this.store = opts.store;
    this.log = opts.log ?? silentLogger;
    this.timing = { ...defaultTiming, ...opts.timing };
    this.choker = new Choker(opts.rng.split("choker"), { ...defaultChokerOptions, ...opts.choker });
    this.book = new RoundBook(opts.rng, this.clock);
    const picker = { ...defaultPickerOptions, ...opts.picker };
    this.requester = new Requester({ clock: this.clock, book: this.book, sessions: this.sessions, timing: this.timing, picker });
    const strike = (s: Session, err: ProtocolError) => this.onProtocolError(s, err);
    this.announcer = new Announcer({ peerId: this.peerId, book: this.book, sessions: this.sessions, requester: this.requester, events, strike, acceptOrigin: opts.acceptOrigin });
    this.seeder = new Seeder({ book: this.book, store: this.store, counters: this.counters, log: this.log, strike, tamperServed: opts.tamperServed });
    this.armTick();
  }

  /** The round whose pieces we are requesting. */
  get current(): number {
    return this.book.current;
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  /** Wraps a connection (dialled or accepted) in a session and starts the handshake. */
  addConn(conn: Conn): Session {
    const s = new Session(this.nextSessionId++, conn, this, this.clock, this.counters);
    this.sessions.set(s.id, s);
    s.sendHello(this.current, this.opts.swarmId, this.peerId, this.opts.auth ?? "");
    return s;
  }

  /**
   * Moves to `round`: pieces of that round are requested from now on; state of the previous round is kept for
   * serving laggards, older rounds are released. `expected` names the origins whose pieces complete the round.
   */
  beginRound(round: number, expected: readonly PeerId[], chunksPerOrigin: number, opts: { deadlineMs?: number } = {}): void {
    const released = this.book.begin(round, expected, chunksPerOrigin, opts.deadlineMs, () => this.onDeadline(round));
    for (const r of released) this.store.release(this.peerId, r);
    for (const s of this.sessions.values()) s.forgetRoundsBefore(round - 1);
    this.checkComplete(round);
    this.requester.fillAll();
  }

  /**
   * `origin` is gone (crashed, left, cut off): the current round stops waiting for its update, and completes now
   * if every other expected origin is in. Pieces of it already held stay. The caller leaves it out of the
   * `expected` of later rounds until it is back.
   */
  unexpect(origin: PeerId): void {
    if (this.closed || !this.book.unexpect(this.current, origin)) return;
    this.checkComplete(this.current);
  }

  /** Publishes our own update for the current round: stores its pieces and floods the manifest. */
  publish(manifest: Manifest, pieces: readonly Uint8Array[]): void {
    if (manifest.origin !== this.peerId) throw new Error("swarm: publish of a manifest that is not ours");
    if (pieces.length !== manifest.chunks.length) throw new Error("swarm: piece count does not match manifest");
    const rs = this.book.state(manifest.round);
    if (!rs) throw new Error(`swarm: round ${manifest.round} is outside the window around ${this.current}`);
    const info = rs.addManifest(manifest, true);
    if (!info) throw new Error(`swarm: already published for round ${manifest.round}`);
    for (let i = 0; i < pieces.length; i++) {
      const meta = manifest.chunks[i]!;
      this.store.put(this.peerId, { round: manifest.round, origin: this.peerId, index: i }, meta.sha256, pieces[i]!);
      rs.markHave(info.offset + i);
    }
    this.maybeFlush();
    const all = packBits(rs.have, info.offset, info.count);
    for (const s of openSessions(this.sessions)) {
      s.sendManifest(manifest);
      s.sendBitfield(manifest.round, { [this.peerId]: all });
    }
    this.checkComplete(manifest.round);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    for (const s of [...this.sessions.values()]) s.close("shutdown");
  }

  // ---- queries ---------------------------------------------------------------------------------------

  coverage(round = this.current): { pieces: number; weighted: number } {
    return this.book.coverage(round);
  }

  /** Verified pieces held / expected, without the importance weighting (O(origins)). */
  piecesCoverage(round = this.current): number {
    return this.book.piecesCoverage(round);
  }

  /** Per expected origin: pieces held of the pieces it has. */
  progress(round = this.current): Array<{ origin: PeerId; held: number; count: number }> {
    return this.book.progress(round);
  }

  completedAt(round = this.current): number | undefined {
    return this.book.goal(round)?.completeAt;
  }

  /** When the round's deadline stopped requesting (undefined if it completed first or has no deadline). */
  stoppedAt(round = this.current): number | undefined {
    return this.book.goal(round)?.stoppedAt;
  }

  /** Manifests known for a round, in arrival order. */
  manifests(round = this.current): Manifest[] {
    return this.book.get(round)?.originList.map((o) => o.manifest) ?? [];
  }

  /** Whether we hold a verified piece. */
  holds(round: number, origin: PeerId, index: number): boolean {
    const rs = this.book.get(round);
    const p = rs?.pieceId(origin, index) ?? -1;
    return p >= 0 && rs!.have[p] === 1;
  }

  get neighbours(): PeerId[] {
    return [...this.byPeer.keys()];
  }

  isBanned(peer: string): boolean {
    return this.banned.has(peer);
  }

  /** Sizes of every bounded structure, for the simulator's limit checkers. */
  queueSizes(): { served: number; inflight: number; sessions: number } {
    let served = 0;
    let inflight = 0;
    for (const s of this.sessions.values()) served = Math.max(served, s.served.length);
    for (const rs of this.book.all()) for (const v of rs.views.values()) inflight = Math.max(inflight, v.inflight.size);
    return { served, inflight, sessions: this.sessions.size };
  }

  // ---- SessionHost -----------------------------------------------------------------------------------

  onMessage(s: Session, msg: Message): void {
    if (s.state === "handshake") {
      if (msg.t !== "hello") return s.close("message before hello");
      return this.onHello(s, msg);
    }
    if (msg.round > this.current + roundsAheadMax) {
      // Not an offence: rounds are per peer and a neighbour may be ahead of us. Keep no state for it (bounded),
      // and tell the owner so a slow peer can catch up.
      this.events.roundAhead?.(msg.round, s.label);
      return;
    }
    switch (msg.t) {
      case "hello":
        return this.onProtocolError(s, new ProtocolError("second hello"));
      case "manifest":
        return this.announcer.manifest(s, msg);
      case "bitfield":
        return this.announcer.bitfield(s, msg.round, msg.have);
      case "have":
        return this.announcer.have(s, msg.round, msg.origin, msg.index);
      case "interested":
        return this.onInterested(s, true);
      case "not-interested":
        return this.onInterested(s, false);
      case "choke":
        return this.onChoke(s);
      case "unchoke":
        return this.requester.unchoked(s);
      case "request":
        return this.seeder.request(s, msg.round, msg.origin, msg.index);
      case "cancel":
        return this.seeder.cancel(s, msg.round, msg.origin, msg.index);
      case "piece":
        return this.onPiece(s, msg.round, msg.origin, msg.index, msg.data);
      case "keepalive":
        return;
    }
  }

  onProtocolError(s: Session, err: ProtocolError): void {
    s.strikes++;
    this.counters.strikes++;
    this.log.warn(`protocol error from ${s.label}: ${err.message}`, { strikes: s.strikes });
    this.events.strike?.(s.label, err);
    if (s.strikes >= strikesBeforeBan) {
      this.banned.add(s.label);
      this.counters.bans++;
      this.events.ban?.(s.label, err.message);
      s.close(`banned: ${err.message}`);
    }
  }

  onSessionClosed(s: Session, reason: string): void {
    this.sessions.delete(s.id);
    if (s.remoteId && this.byPeer.get(s.remoteId) === s) this.byPeer.delete(s.remoteId);
    for (const rs of this.book.all()) rs.dropView(s.id);
    this.log.info(`session ${s.label} closed: ${reason}`);
    this.events.sessionClosed?.(s.label, reason);
    if (!this.closed) this.requester.fillAll();
  }

  onDrain(s: Session): void {
    this.seeder.pump(s);
  }

  // ---- handlers --------------------------------------------------------------------------------------

  private onHello(s: Session, m: Extract<Message, { t: "hello" }>): void {
    if (m.swarmId !== this.opts.swarmId) return s.close(`wrong swarm ${m.swarmId}`);
    if (m.auth !== (this.opts.auth ?? "")) return s.close("bad auth");
    if (m.peerId === this.peerId) return s.close("connected to self");
    if (this.banned.has(m.peerId)) return s.close("banned");
    if (this.byPeer.has(m.peerId)) return s.close("duplicate session");
    s.remoteId = m.peerId;
    s.state = "open";
    this.byPeer.set(m.peerId, s);
    this.events.sessionOpened?.(m.peerId);
    for (const rs of this.book.live()) this.announcer.sendRoundState(s, rs);
  }

  private onInterested(s: Session, interested: boolean): void {
    s.peerInterested = interested;
    if (interested && s.amChoking && this.choker.hasFreeSlot(this.unchokedInterested())) s.sendUnchoke(this.current);
  }

  private onChoke(s: Session): void {
    s.peerChoking = true;
    s.chokedAtMs = this.clock.now();
  }

  /**
   * Whether `data` is the piece the manifest's digest names. When the process's store already holds bytes that
   * passed this digest's check (another local peer verified them, or they are ours), byte equality with them
   * proves the same thing as hashing, at memcmp speed; otherwise SHA-256.
   */
  private matchesDigest(data: Uint8Array, meta: { bytes: number; sha256: Uint8Array }): boolean {
    if (data.byteLength !== meta.bytes) return false;
    const known = this.store.get(meta.sha256);
    if (known) return bytesEqual(known, data);
    return bytesEqual(sha256(data), meta.sha256);
  }

  private onPiece(s: Session, round: number, origin: PeerId, index: number, data: Uint8Array): void {
    const now = this.clock.now();
    this.counters.payloadIn += data.byteLength;
    s.down.add(data.byteLength, now);
    s.lastPieceInMs = now;
    const rs = this.book.get(round);
    if (!rs) {
      this.counters.duplicateIn += data.byteLength;
      return;
    }
    const p = rs.pieceId(origin, index);
    if (p < 0) return this.onProtocolError(s, new ProtocolError(`piece ${origin}#${index} is not in any manifest we hold`));
    const v = rs.view(s.id);
    const sentAt = rs.markAnswered(v, p);
    if (sentAt !== undefined) s.noteRtt(now - sentAt);
    else if (!rs.acceptLate(v, p)) return this.onProtocolError(s, new ProtocolError(`unsolicited piece ${origin}#${index}`));
    if (rs.have[p]) {
      this.counters.duplicateIn += data.byteLength;
      return this.requester.fill(s);
    }
    const meta = rs.pieceOrigin[p]!.manifest.chunks[index]!;
    if (!this.matchesDigest(data, meta)) {
      this.counters.rejectedIn += data.byteLength;
      this.onProtocolError(s, new ProtocolError(`piece ${origin}#${index} failed its hash check`));
      return this.requester.fillAll();
    }
    this.counters.usefulIn += data.byteLength;
    this.store.put(this.peerId, { round, origin, index }, meta.sha256, data);
    this.maybeFlush();
    rs.markHave(p);
    for (const [sid, ov] of rs.views) {
      const other = this.sessions.get(sid);
      if (!other || other === s || other.state !== "open") continue;
      if (rs.withdraw(ov, p)) other.sendCancel(round, origin, index);
      if (!ov.has[p]) other.sendHave(round, origin, index);
    }
    this.events.piece?.(round, origin, index, data);
    this.checkComplete(round);
    if (round === this.current) this.requester.fill(s);
  }

  // ---- periodic --------------------------------------------------------------------------------------

  private armTick(): void {
    if (this.closed) return;
    this.tickTimer = this.clock.setTimeout(() => this.tick(), this.timing.tickIntervalMs);
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const s of [...this.sessions.values()]) {
      this.requester.sweep(s, now);
      // Before the hello nothing counts as a frame in (anything else closes the session), so this is its age.
      if (s.state === "handshake" && now - s.lastFrameInMs > this.timing.handshakeTimeoutMs) s.close("no hello in time");
      else if (now - s.lastFrameInMs > this.timing.idleTimeoutMs) s.close("idle timeout");
      else if (s.state === "open" && now - s.lastFrameOutMs > this.timing.keepaliveIntervalMs) s.sendKeepalive(this.current);
    }
    this.rechoke();
    this.requester.fillAll();
    this.armTick();
  }

  private rechoke(): void {
    const rs = this.book.get(this.current);
    const seeding = !rs || rs.haveCount === rs.pieceCount;
    const now = this.clock.now();
    const open = openSessions(this.sessions);
    const unchoke = this.choker.rechoke(
      open.map((s) => ({ id: s.id, interested: s.peerInterested, rate: seeding ? s.up.rate(now) : s.down.rate(now) })),
    );
    for (const s of open) {
      if (unchoke.has(s.id) && s.amChoking) s.sendUnchoke(this.current);
      else if (!unchoke.has(s.id) && !s.amChoking && s.peerInterested) s.sendChoke(this.current);
    }
  }

  private unchokedInterested(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (!s.amChoking && s.peerInterested) n++;
    return n;
  }

  // ---- helpers ---------------------------------------------------------------------------------------



  /** Deadline first: stop asking for this round's pieces and withdraw what is still requested. */
  private onDeadline(round: number): void {
    if (this.closed || !this.book.stop(round)) return;
    const rs = this.book.get(round);
    if (rs) this.requester.withdrawRound(rs);
    this.events.deadline?.(round, this.coverage(round));
  }

  private checkComplete(round: number): void {
    if (this.book.checkComplete(round)) this.events.complete?.(round, this.book.goal(round)!.completeAt!);
  }

  private maybeFlush(): void {
    if (this.store.shouldFlush) {
      this.clock.track(this.store.flush()).catch((e) => this.log.error(`chunk store flush failed: ${(e as Error).message}`));
    }
  }
}

