import type { Clock, TimerId } from "../runtime/clock.ts";
import { frameBytesMax } from "../swarm/limits.ts";
import type { Shaper } from "./shaper.ts";
import { type Conn, type ConnHandlers, PreAttachBuffer } from "./transport.ts";

/**
 * One WebSocket connection as a transport Conn, whichever runtime's socket is underneath (Bun's server socket or
 * the standard client/Deno socket, both behind RawSocket), and the limits every WebSocket conn enforces.
 */
/** `drain` fires once bufferedBytes falls to this after exceeding it: enough left queued to keep the pipe busy. */
export const drainLowWaterBytes = 256 * 1024;

/**
 * Bytes one connection may hold unsent. A caller that ignores bufferedBytes past this gets the connection
 * closed rather than an unbounded heap; well-behaved senders stay far below it.
 */
export const sendBufferBytesMax = 64 * 1024 * 1024;

/** A dial that has not opened by then has failed: loopback opens in well under a millisecond. */
export const dialTimeoutMs = 10_000;

/** Interval for polling bufferedAmount where the socket has no drain event (the standard WebSocket API). */
export const drainPollMs = 1;

/** WebSocket close codes used here (RFC 6455 §7.4.1). */
export const closeCodes = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  tooBig: 1009,
} as const;

/** Close reasons travel in a control frame, which caps them at 123 bytes of UTF-8. */
const closeReasonBytesMax = 123;

/** The socket under a connection, as the connection needs it. */
export interface RawSocket {
  /** Hands one binary frame to the socket; false when the socket dropped it. */
  send(frame: Uint8Array): boolean;
  /** Bytes the socket holds that the kernel has not taken. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  /** True when the socket reports progress itself (calls `WsConn.writable`); false: the conn polls. */
  readonly drainEvents: boolean;
}

interface WsConnDeps {
  clock: Clock;
  shaper: Shaper | undefined;
  /** Called once when the conn closes, however it closes. */
  onClosed(conn: WsConn): void;
}

/** One WebSocket connection, either side. The runtime adapters feed it `receive`, `remoteClosed`, `writable`. */
export class WsConn implements Conn {
  private readonly pre = new PreAttachBuffer();
  private isClosed = false;
  /** Bytes this conn has inside the shaper. */
  private shapedBytes = 0;
  private drainArmed = false;
  private pollTimer: TimerId | undefined;
  private received = 0;

  constructor(
    readonly id: string,
    readonly remoteAddress: string,
    private readonly raw: RawSocket,
    private readonly deps: WsConnDeps,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** Frames received so far, attached or not (for logs and tests). */
  get framesReceived(): number {
    return this.received;
  }

  get bufferedBytes(): number {
    return this.shapedBytes + (this.isClosed ? 0 : this.raw.bufferedAmount());
  }

  attach(handlers: ConnHandlers): void {
    this.pre.attach(handlers);
  }

  /** Frames go out in send order. With a shaper, the frame is referenced until it leaves: do not reuse its bytes. */
  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    const n = frame.byteLength;
    if (n > frameBytesMax) {
      this.fail(closeCodes.tooBig, `frame too large to send: ${n} > ${frameBytesMax} bytes`);
      return false;
    }
    if (this.bufferedBytes + n > sendBufferBytesMax) {
      this.fail(closeCodes.policyViolation, `send buffer overflow: over ${sendBufferBytesMax} bytes unsent`);
      return false;
    }
    const shaper = this.deps.shaper;
    if (shaper) {
      this.shapedBytes += n;
      shaper.schedule(n, () => {
        this.shapedBytes -= n;
        if (this.isClosed) return;
        this.write(frame);
        this.afterWrite();
        this.checkDrain();
        // The shaper let this conn's last frame go: tell the sender it may send again. A session keeps at most a
        // frame in the transport (swarm/session.ts sendHighWaterBytes), so it waits for exactly this moment, which
        // the low-water drain above never marks for frames smaller than drainLowWaterBytes.
        if (this.shapedBytes === 0 && !this.drainArmed && !this.isClosed) this.pre.drain();
      });
    } else {
      this.write(frame);
    }
    this.afterWrite();
    return true;
  }

  close(reason = "closed locally"): void {
    this.end(reason, closeCodes.normal, reason);
  }

  /** A binary message arrived. */
  receive(frame: Uint8Array): void {
    if (this.isClosed) return;
    if (frame.byteLength > frameBytesMax) {
      this.fail(closeCodes.tooBig, `frame too large: ${frame.byteLength} > ${frameBytesMax} bytes`);
      return;
    }
    this.received++;
    if (!this.pre.frame(frame)) this.fail(closeCodes.policyViolation, "too many frames before attach");
  }

  /** A text message arrived: the protocol is binary only. */
  receiveText(): void {
    this.fail(closeCodes.unsupportedData, "text frame received; the protocol is binary");
  }

  /** The socket closed underneath (remote close, reset, or the socket's own limit). */
  remoteClosed(code: number, reason: string): void {
    this.end(`connection closed (code ${code}${reason ? `: ${reason}` : ""})`);
  }

  /** The socket flushed some of its buffer. */
  writable(): void {
    this.checkDrain();
  }

  private fail(code: number, reason: string): void {
    this.end(reason, code, reason);
  }

  /** Marks the conn closed, closes the socket when `code` is given, and tells the handlers once. */
  private end(reason: string, code?: number, wireReason?: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.drainArmed = false;
    if (this.pollTimer !== undefined) this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (code !== undefined) {
      try {
        this.raw.close(code, truncateReason(wireReason ?? ""));
      } catch {
        // The socket is already gone; the handlers still learn why below.
      }
    }
    this.deps.onClosed(this);
    this.pre.close(reason);
  }

  private write(frame: Uint8Array): void {
    if (!this.raw.send(frame)) this.fail(closeCodes.policyViolation, "socket dropped a frame (its buffer limit)");
  }

  private afterWrite(): void {
    if (this.isClosed) return;
    if (!this.drainArmed && this.bufferedBytes > drainLowWaterBytes) this.drainArmed = true;
    this.ensurePoll();
  }

  private checkDrain(): void {
    if (this.isClosed || !this.drainArmed) return;
    if (this.bufferedBytes <= drainLowWaterBytes) {
      this.drainArmed = false;
      this.pre.drain();
    }
  }

  /** Polls bufferedAmount only while a drain is owed and the socket itself holds bytes. */
  private ensurePoll(): void {
    if (this.raw.drainEvents || this.pollTimer !== undefined || !this.drainArmed) return;
    if (this.raw.bufferedAmount() === 0) return;
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = undefined;
      this.checkDrain();
      this.ensurePoll();
    }, drainPollMs);
  }
}

function truncateReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.byteLength <= closeReasonBytesMax) return reason;
  let out = reason.slice(0, closeReasonBytesMax);
  while (new TextEncoder().encode(out).byteLength > closeReasonBytesMax) out = out.slice(0, -1);
  return out;
}

/** The standard (WHATWG) WebSocket as both runtimes' clients, and Deno's server side, expose it. */
export interface StandardSocket {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
}

/** Adapts a standard WebSocket; it has no drain event, so its conn polls bufferedAmount. */
export function standardRawSocket(ws: StandardSocket): RawSocket {
  return {
    drainEvents: false,
    send(frame) {
      ws.send(frame);
      return true;
    },
    bufferedAmount: () => ws.bufferedAmount,
    close: (code, reason) => ws.close(code, reason),
  };
}

/** Routes a standard WebSocket's messages and close into its conn once it exists. */
export function wireStandardSocket(ws: StandardSocket, conn: () => WsConn | undefined): void {
  ws.onmessage = (ev) => {
    const c = conn();
    if (!c) return;
    const data = ev.data;
    if (data instanceof ArrayBuffer) c.receive(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) c.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else c.receiveText();
  };
}

/**
 * Shared transport skeleton: connection bookkeeping, the standard-WebSocket dial path and close-all.
 * Runtimes supply the server (`startServer`/`stopServer`) and the client constructor (`openClient`).
 */
