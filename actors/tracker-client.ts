import type { Logger } from "../runtime/log.ts";
import type { Conn, Transport } from "../net/transport.ts";
import { ProtocolError } from "../swarm/protocol-error.ts";
import { decodeTracker, encodeTracker, type TrackerMessage } from "./tracker-codec.ts";

export type Admission = Extract<TrackerMessage, { t: "admit" }>;

export interface TrackerClientOptions {
  transport: Transport;
  trackerAddress: string;
  swarmId: string;
  peerId: string;
  auth: string;
  log: Logger;
  /** The first admission (later ones are ignored: a peer is admitted once per life). */
  onAdmit(msg: Admission): void;
  onReject(reason: string): void;
  /** The tracker link closed after admission. Peers go on without it. */
  onLost(): void;
  /** After admission: the tracker says another peer's link dropped (gone) or it was admitted again (back). */
  onPresence?(peerId: string, present: boolean): void;
}

/**
 * A peer's side of the rendezvous: dial the tracker, send join, wait for admit or reject. Each `request` drops the
 * previous attempt (its late dial is closed on arrival), so retries driven by the round machine never overlap.
 */
export class TrackerClient {
  private conn: Conn | undefined;
  private attempt = 0;
  private closed = false;
  admitted = false;

  constructor(private readonly o: TrackerClientOptions) {}

  request(): void {
    this.conn?.close("retrying admission");
    this.conn = undefined;
    const attempt = ++this.attempt;
    this.o.transport.dial(this.o.trackerAddress).then(
      (conn) => {
        if (attempt !== this.attempt || this.closed) return conn.close("stale dial");
        this.conn = conn;
        conn.attach({ frame: (f) => this.onFrame(f), close: (reason) => this.onClosed(conn, reason) });
        conn.send(encodeTracker({ t: "join", swarmId: this.o.swarmId, peerId: this.o.peerId, address: this.o.transport.address, auth: this.o.auth }));
      },
      (e: Error) => this.o.log.info(`tracker unreachable: ${e.message}`),
    );
  }

  close(reason: string): void {
    this.closed = true;
    this.conn?.close(reason);
  }

  private onFrame(frame: Uint8Array): void {
    let msg: TrackerMessage;
    try {
      msg = decodeTracker(frame);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.o.log.warn(`bad tracker frame: ${e.message}`);
      return;
    }
    if (msg.t === "reject") return this.o.onReject(msg.reason);
    if (msg.t === "gone" || msg.t === "back") {
      if (this.admitted && msg.peerId !== this.o.peerId) this.o.onPresence?.(msg.peerId, msg.t === "back");
      return;
    }
    if (msg.t !== "admit" || this.admitted) return;
    if (!msg.roster.includes(this.o.peerId)) return this.o.onReject("roster does not include this peer");
    this.admitted = true;
    this.o.onAdmit(msg);
  }

  private onClosed(conn: Conn, reason: string): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.admitted && !this.closed) {
      this.o.log.info(`tracker link closed: ${reason}`);
      this.o.onLost();
    }
  }
}
