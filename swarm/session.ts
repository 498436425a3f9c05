import type { Clock } from "../runtime/clock.ts";
import type { Conn } from "../net/transport.ts";
import { decode, encode } from "./codec.ts";
import type { Bitfield, Manifest, Message, PeerId } from "./messages.ts";
import { ProtocolError } from "./protocol-error.ts";
import { RateMeter } from "./rate.ts";

/** Frames a session keeps in the transport's own buffer; the rest wait in our queue, where `cancel` can reach them. */
export const sendHighWaterBytes = 1;

/** Receives decoded messages and protocol errors of a session (the swarm node). */
export interface SessionHost {
  onMessage(s: Session, msg: Message): void;
  onProtocolError(s: Session, err: ProtocolError): void;
  onSessionClosed(s: Session, reason: string): void;
  onDrain(s: Session): void;
}

export interface SessionStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  payloadIn: number;
  payloadOut: number;
}

/**
 * One connection to one neighbour: BitTorrent per-connection state in symmetric pairs, one verb per outgoing
 * message, rate meters for the choker and the pipeline. It knows nothing of rounds or pieces beyond bookkeeping.
 */
export class Session {
  state: "handshake" | "open" | "closed" = "handshake";
  remoteId: PeerId | undefined;
  amChoking = true;
  peerChoking = true;
  amInterested = false;
  peerInterested = false;
  strikes = 0;
  /** When the remote choked us (undefined while unchoked or once its requests were given up). */
  chokedAtMs: number | undefined;
  readonly down: RateMeter;
  readonly up: RateMeter;
  /** Smoothed and minimum request→piece times (ms), for pipeline depth and endgame. */
  srttMs: number | undefined;
  minRttMs: number | undefined;
  lastFrameInMs: number;
  /** Last piece from this remote (request timeouts count from here: answers come in order). */
  lastPieceInMs: number;
  lastFrameOutMs: number;
  /** Requests from the remote waiting for the transport; `cancel` removes from here. */
  readonly served: Array<{ round: number; origin: PeerId; index: number }> = [];
  /** (round → origins) whose manifest this remote has been sent or has sent us: flood each once. */
  readonly manifestsKnown = new Map<number, Set<PeerId>>();
  readonly stats: SessionStats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, payloadIn: 0, payloadOut: 0 };

  constructor(
    readonly id: number,
    readonly conn: Conn,
    private readonly host: SessionHost,
    private readonly clock: Clock,
    /** The node's totals of frame bytes in and out, kept across sessions. */
    private readonly wire: { wireIn: number; wireOut: number } = { wireIn: 0, wireOut: 0 },
  ) {
    const now = clock.now();
    this.down = new RateMeter(now);
    this.up = new RateMeter(now);
    this.lastFrameInMs = now;
    this.lastPieceInMs = now;
    this.lastFrameOutMs = now;
    conn.attach({
      frame: (f) => this.onFrame(f),
      close: (reason) => this.onClose(reason),
      drain: () => host.onDrain(this),
    });
  }

  get label(): string {
    return this.remoteId ?? this.conn.remoteAddress;
  }

  private onFrame(frame: Uint8Array): void {
    if (this.state === "closed") return;
    this.stats.framesIn++;
    this.stats.bytesIn += frame.byteLength;
    this.wire.wireIn += frame.byteLength;
    this.lastFrameInMs = this.clock.now();
    let msg: Message;
    try {
      msg = decode(frame);
    } catch (e) {
      if (e instanceof ProtocolError) return this.host.onProtocolError(this, e);
      throw e;
    }
    if (msg.t === "piece") {
      this.stats.payloadIn += msg.data.byteLength;
    }
    this.host.onMessage(this, msg);
  }

  private onClose(reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.host.onSessionClosed(this, reason);
  }

  close(reason: string): void {
    if (this.state === "closed") return;
    this.conn.close(reason);
    this.onClose(reason);
  }

  /** A request to this remote was answered after `rttMs`. */
  noteRtt(rttMs: number): void {
    this.minRttMs = this.minRttMs === undefined ? rttMs : Math.min(this.minRttMs, rttMs);
    this.srttMs = this.srttMs === undefined ? rttMs : this.srttMs * 0.875 + rttMs * 0.125;
  }

  knowsManifest(round: number, origin: PeerId): boolean {
    return this.manifestsKnown.get(round)?.has(origin) ?? false;
  }

  noteManifest(round: number, origin: PeerId): void {
    let set = this.manifestsKnown.get(round);
    if (!set) this.manifestsKnown.set(round, (set = new Set()));
    set.add(origin);
  }

  forgetRoundsBefore(round: number): void {
    for (const r of this.manifestsKnown.keys()) if (r < round) this.manifestsKnown.delete(r);
  }

  get sendable(): boolean {
    return this.state !== "closed" && this.conn.bufferedBytes < sendHighWaterBytes;
  }

  private send(msg: Message, payloadBytes = 0): void {
    if (this.state === "closed") return;
    const frame = encode(msg);
    this.stats.framesOut++;
    this.stats.bytesOut += frame.byteLength;
    this.wire.wireOut += frame.byteLength;
    this.stats.payloadOut += payloadBytes;
    this.lastFrameOutMs = this.clock.now();
    this.conn.send(frame);
  }

  sendHello(round: number, swarmId: string, peerId: PeerId, auth: string): void {
    this.send({ t: "hello", round, swarmId, peerId, auth });
  }
  sendManifest(m: Manifest): void {
    this.noteManifest(m.round, m.origin);
    this.send(m);
  }
  sendBitfield(round: number, have: Bitfield["have"]): void {
    this.send({ t: "bitfield", round, have });
  }
  sendHave(round: number, origin: PeerId, index: number): void {
    this.send({ t: "have", round, origin, index });
  }
  sendInterested(round: number): void {
    this.amInterested = true;
    this.send({ t: "interested", round });
  }
  sendNotInterested(round: number): void {
    this.amInterested = false;
    this.send({ t: "not-interested", round });
  }
  sendChoke(round: number): void {
    this.amChoking = true;
    this.served.length = 0;
    this.send({ t: "choke", round });
  }
  sendUnchoke(round: number): void {
    this.amChoking = false;
    this.send({ t: "unchoke", round });
  }
  sendRequest(round: number, origin: PeerId, index: number): void {
    this.send({ t: "request", round, origin, index });
  }
  sendCancel(round: number, origin: PeerId, index: number): void {
    this.send({ t: "cancel", round, origin, index });
  }
  sendPiece(round: number, origin: PeerId, index: number, data: Uint8Array): void {
    this.up.add(data.byteLength, this.clock.now());
    this.send({ t: "piece", round, origin, index, data }, data.byteLength);
  }
  sendKeepalive(round: number): void {
    this.send({ t: "keepalive", round });
  }
}
