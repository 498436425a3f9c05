/**
 * One end of an in-memory connection (see memory.ts for the link model). The network owns the timing; a conn
 * owns its two queues: frames in flight towards it (`inflight*`) and its own sent bytes the network has not
 * taken yet (`taken*`). Both are FIFOs of plain values so a frame costs no allocation beyond its timer.
 */
import type { Clock } from "../runtime/clock.ts";
import { type Conn, type ConnHandlers, PreAttachBuffer } from "./transport.ts";

/** Array-backed queue with amortised O(1) shift. */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head]!;
    this.items[this.head++] = undefined as T; // let the frame be collected
    if (this.head >= compactAfterItems && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Compaction threshold: small enough to bound dead slots, large enough to amortise the copy. */
const compactAfterItems = 1024;

/** What a conn needs from its network. */
export interface ConnHost {
  readonly clock: Clock;
  /** Called by `send` on an open conn. */
  sendFrame(conn: MemoryConn, frame: Uint8Array): void;
  /** Called by `close` on an open conn, after it has marked itself closed. */
  closeFrom(conn: MemoryConn, reason: string): void;
  /** Delivery bookkeeping (stats, overflow) for a frame that reached an open conn. */
  received(conn: MemoryConn, frame: Uint8Array): void;
}

export class MemoryConn implements Conn {
  /** The other end; set right after construction by the network. */
  peer!: MemoryConn;
  /** Frames are silently dropped both ways (crash, partition); the close handler is already scheduled. */
  severed = false;
  /** Frames this end sends are held by a clog instead of entering the link. */
  clogged = false;
  /** Bytes of this end's frames held by a clog. */
  heldBytes = 0;
  /** Virtual time of the last frame scheduled towards this end: deliveries never go back in time (FIFO). */
  lastDeliverAt = 0;
  /** Frames towards this end that left the sender's uplink but have not reached our downlink yet. */
  inTransit = 0;
  /** Latest instant a frame towards this end reached the downlink queue (keeps arrival order = send order). */
  lastReachAt = 0;
  /** A remote close waiting for the frames in transit to land first. */
  pendingClose: { at: number; end: () => void } | undefined;
  /** Virtual time the network takes the last byte sent by this end. */
  lastTakenAt = 0;

  private isClosed = false;
  private ended = false;
  private readonly inbox = new PreAttachBuffer();
  private readonly inflightAt = new Fifo<number>();
  private readonly inflightFrames = new Fifo<Uint8Array>();
  private readonly takenAt = new Fifo<number>();
  private readonly takenBytes = new Fifo<number>();
  private queuedBytes = 0;
  private drainArmed = false;
  /** `lastTakenAt` when the pending drain timer was armed. */
  private drainTarget = 0;

  constructor(
    private readonly host: ConnHost,
    readonly id: string,
    /** Address of the node this end belongs to. */
    readonly localAddress: string,
    readonly remoteAddress: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  get bufferedBytes(): number {
    this.trimTaken();
    return this.queuedBytes + this.heldBytes;
  }

  attach(handlers: ConnHandlers): void {
    this.inbox.attach(handlers);
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    this.host.sendFrame(this, frame);
    return true;
  }

  close(reason = "closed"): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.host.closeFrom(this, reason);
  }

  /** Marks this end closed without notifying anyone (the caller schedules `end`). */
  markClosed(): void {
    this.isClosed = true;
  }

  /** Runs the close handler, once; frames still in flight towards this end are dropped. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.isClosed = true;
    this.inflightAt.clear();
    this.inflightFrames.clear();
    this.inbox.close(reason);
  }

  /** Hands a frame to the handlers (or the pre-attach buffer); false on pre-attach overflow. */
  deliver(frame: Uint8Array): boolean {
    return this.inbox.frame(frame);
  }

  /** Queues a frame towards this end; the caller arms one timer with `deliverNext` at exactly `at`. */
  expect(at: number, frame: Uint8Array): void {
    this.inflightAt.push(at);
    this.inflightFrames.push(frame);
    this.lastDeliverAt = at;
  }

  /** Timer callback, one per frame in flight towards this end; frames fire in the order `expect` saw them. */
  readonly deliverNext = (): void => {
    const at = this.inflightAt.shift();
    const frame = this.inflightFrames.shift();
    if (at === undefined || frame === undefined) return; // queue cleared by `end`
    if (at !== this.host.clock.now()) {
      throw new Error(`mem: FIFO broken on ${this.id}: frame due at ${at} fired at ${this.host.clock.now()}`);
    }
    if (this.isClosed || this.severed) return;
    this.host.received(this, frame);
  };

  /** Records bytes of a sent frame that the network takes at `at` (monotonic per conn). */
  queueTaken(at: number, bytes: number): void {
    this.takenAt.push(at);
    this.takenBytes.push(bytes);
    this.queuedBytes += bytes;
    this.lastTakenAt = at;
    this.armDrain();
  }

  /** Schedules `drain` for when the last queued byte is taken, unless one is already pending. */
  armDrain(): void {
    const now = this.host.clock.now();
    if (this.drainArmed || this.lastTakenAt <= now) return;
    this.drainArmed = true;
    this.drainTarget = this.lastTakenAt;
    this.host.clock.setTimeout(this.onDrainTimer, this.lastTakenAt - now);
  }

  private readonly onDrainTimer = (): void => {
    this.drainArmed = false;
    if (this.isClosed) return;
    // The timer was aimed at drainTarget; trimming up to it is immune to rounding in now + delay.
    this.trimTaken(Math.max(this.host.clock.now(), this.drainTarget));
    if (this.heldBytes > 0) return; // the unclog that releases them re-arms
    if (this.queuedBytes > 0) this.armDrain();
    else this.inbox.drain();
  };

  private trimTaken(now = this.host.clock.now()): void {
    for (;;) {
      const at = this.takenAt.peek();
      if (at === undefined || at > now) return;
      this.takenAt.shift();
      this.queuedBytes -= this.takenBytes.shift()!;
    }
  }
}
