/**
 * Transport port: byte frames between peers. One frame = one encoded message. Implementations:
 * memory (virtual clock, emulated links) and WebSocket (Bun.serve / Deno.serve).
 * A transport knows addresses, not identities: the swarm's hello establishes who is on the other end.
 */
export interface ConnHandlers {
  /** A whole frame arrived. The view may alias transport buffers: copy what must outlive the call. */
  frame(frame: Uint8Array): void;
  /** The connection ended (remote close, crash, partition, local close). Called once. */
  close(reason: string): void;
  /** Buffered bytes fell below the transport's low-water mark: a good time to send more. */
  drain?(): void;
}

export interface Conn {
  /** Unique per transport, for logs. */
  readonly id: string;
  /** The remote's address as this transport sees it (not a trusted identity). */
  readonly remoteAddress: string;
  /**
   * Installs the handlers. Frames that arrive before `attach` are buffered and delivered in order on attach,
   * so nothing is lost between dial/accept and wiring.
   */
  attach(handlers: ConnHandlers): void;
  /**
   * Queues one frame. Returns false when the connection is closed (the frame is dropped). Never blocks and never
   * throws on backpressure: callers watch `bufferedBytes` and `drain`.
   */
  send(frame: Uint8Array): boolean;
  /** Bytes accepted by `send` that the network has not taken yet. */
  readonly bufferedBytes: number;
  readonly closed: boolean;
  close(reason?: string): void;
}

export interface Transport {
  /** Address others dial to reach this node; set once `listen` resolves. */
  readonly address: string;
  /** Starts accepting connections; resolves with the address to dial. */
  listen(onConn: (conn: Conn) => void): Promise<string>;
  /** Opens a connection; rejects with a clear error when the address is unreachable. */
  dial(address: string): Promise<Conn>;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Device link as the emulation and the shaper see it. */
export interface LinkProfile {
  uplinkBytesPerSec: number;
  downlinkBytesPerSec: number;
  /** One-way latency added to every frame. */
  latencyMs: number;
  /** Packet loss on a reliable stream, modelled as a throughput penalty (0 ≤ loss < 1). @default 0 */
  loss?: number;
}

/** Frames buffered before `attach`; beyond this the connection is closed (a peer flooding a half-open conn). */
export const preAttachFramesMax = 1024;

/** Helper shared by transports: a conn-side buffer for frames that arrive before `attach`. */
export class PreAttachBuffer {
  private frames: Uint8Array[] = [];
  private handlers: ConnHandlers | undefined;
  private closedReason: string | undefined;

  get attached(): ConnHandlers | undefined {
    return this.handlers;
  }

  /** Returns false if the buffer overflowed (caller should close the connection). */
  frame(f: Uint8Array): boolean {
    if (this.handlers) {
      this.handlers.frame(f);
      return true;
    }
    if (this.frames.length >= preAttachFramesMax) return false;
    this.frames.push(f);
    return true;
  }

  close(reason: string): void {
    if (this.handlers) this.handlers.close(reason);
    else this.closedReason ??= reason;
  }

  drain(): void {
    this.handlers?.drain?.();
  }

  attach(h: ConnHandlers): void {
    if (this.handlers) throw new Error("conn: attach called twice");
    this.handlers = h;
    const queued = this.frames;
    this.frames = [];
    for (const f of queued) h.frame(f);
    if (this.closedReason !== undefined) h.close(this.closedReason);
  }
}
