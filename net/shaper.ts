import type { Clock, TimerId } from "../runtime/clock.ts";

/**
 * Userspace uplink shaper for device profiles in real mode: a token bucket in front of a socket's send path,
 * plus a fixed one-way latency. One shaper models one device's uplink, so every connection of a transport
 * shares it. Frames leave in the order they were scheduled (FIFO across all callers).
 */
export interface ShaperOptions {
  /** Time source; a VirtualClock makes the schedule exact and deterministic. */
  clock: Clock;
  /** Sustained uplink rate. Must be a positive finite number. */
  uplinkBytesPerSec: number;
  /** Fixed delay added to every frame after the bucket releases it. @default 0 */
  latencyMs?: number;
  /** Bucket depth: bytes that may leave back to back after an idle period. @default shaperBurstBytesDefault */
  burstBytes?: number;
}

/**
 * Default bucket depth: about one small TCP window. Control messages after an idle spell go out at once;
 * bulk transfers are paced at the profile's rate almost from the first piece.
 */
export const shaperBurstBytesDefault = 16 * 1024;

/** Float slack when comparing tokens: rate × elapsed is not exact in binary, and a timer must not re-arm for 1e-12 bytes. */
const tokenSlackBytes = 1e-6;

interface Queued {
  bytes: number;
  send: () => void;
  /** When it leaves the latency delay line; unused while waiting for budget. */
  dueMs: number;
}

/** Array-backed FIFO with an advancing head; compacts once the dead prefix dominates. */
class Fifo {
  private items: Queued[] = [];
  private head = 0;
  bytes = 0;

  get size(): number {
    return this.items.length - this.head;
  }
  peek(): Queued | undefined {
    return this.items[this.head];
  }
  push(q: Queued): void {
    this.items.push(q);
    this.bytes += q.bytes;
  }
  shift(): Queued | undefined {
    const q = this.items[this.head];
    if (!q) return undefined;
    this.items[this.head++] = undefined as unknown as Queued;
    this.bytes -= q.bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return q;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}

export class Shaper {
  private readonly clock: Clock;
  private readonly rateBytesPerMs: number;
  private readonly latencyMs: number;
  private readonly burstBytes: number;

  /** Token bucket state as of `tokensAtMs`. */
  private tokens: number;
  private tokensAtMs: number;

  /** Frames waiting for budget, oldest first. */
  private readonly waiting = new Fifo();
  private bucketTimer: TimerId | undefined;
  /** Frames the bucket released that are still inside the latency delay; due times ascend. */
  private readonly delayed = new Fifo();
  private delayTimer: TimerId | undefined;
  /** True while pump or flushDelayed runs: a `send` that schedules again must not start a nested loop. */
  private pumping = false;
  private flushing = false;

  constructor(opts: ShaperOptions) {
    const { clock, uplinkBytesPerSec } = opts;
    const latencyMs = opts.latencyMs ?? 0;
    const burstBytes = opts.burstBytes ?? shaperBurstBytesDefault;
    if (!(Number.isFinite(uplinkBytesPerSec) && uplinkBytesPerSec > 0)) {
      throw new RangeError(`shaper: uplinkBytesPerSec must be a positive number, got ${uplinkBytesPerSec}`);
    }
    if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
      throw new RangeError(`shaper: latencyMs must be a non-negative number, got ${latencyMs}`);
    }
    if (!(Number.isFinite(burstBytes) && burstBytes >= 0)) {
      throw new RangeError(`shaper: burstBytes must be a non-negative number, got ${burstBytes}`);
    }
    this.clock = clock;
    this.rateBytesPerMs = uplinkBytesPerSec / 1000;
    this.latencyMs = latencyMs;
    this.burstBytes = burstBytes;
    this.tokens = burstBytes;
    this.tokensAtMs = clock.now();
  }

  /** Bytes scheduled whose `send` has not run yet (waiting for budget or inside the latency delay). */
  get queuedBytes(): number {
    return this.waiting.bytes + this.delayed.bytes;
  }

  /** Frames scheduled whose `send` has not run yet. */
  get queuedFrames(): number {
    return this.waiting.size + this.delayed.size;
  }

  /**
   * Calls `send` once the bucket holds `bytes` of budget and the latency has passed, after every frame scheduled
   * before it. With budget at hand, no latency and nothing queued, `send` runs synchronously, before `schedule`
   * returns. A frame larger than the bucket waits until it has accrued its whole size.
   */
  schedule(bytes: number, send: () => void): void {
    if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`shaper: bytes must be >= 0, got ${bytes}`);
    this.refill();
    this.waiting.push({ bytes, send, dueMs: 0 });
    if (this.bucketTimer === undefined && !this.pumping) this.pump();
  }

  /** Drops every queued frame without calling it and disarms the timers. */
  clear(): void {
    if (this.bucketTimer !== undefined) this.clock.clearTimeout(this.bucketTimer);
    if (this.delayTimer !== undefined) this.clock.clearTimeout(this.delayTimer);
    this.bucketTimer = undefined;
    this.delayTimer = undefined;
    this.waiting.clear();
    this.delayed.clear();
  }

  /**
   * Accrues tokens since the last update. The cap is the burst while idle; while a frame bigger than the burst
   * waits at the head, the bucket may fill up to that frame's size so it can ever leave.
   */
  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.tokensAtMs;
    this.tokensAtMs = now;
    if (elapsed <= 0) return;
    const cap = Math.max(this.burstBytes, this.waiting.peek()?.bytes ?? 0);
    this.tokens = Math.max(this.tokens, Math.min(cap, this.tokens + elapsed * this.rateBytesPerMs));
  }

  /** Releases every head frame the bucket can pay for, then arms one timer for the next. */
  private pump(): void {
    this.bucketTimer = undefined;
    this.pumping = true;
    try {
      for (let head = this.waiting.peek(); head; head = this.waiting.peek()) {
        this.refill();
        const missing = head.bytes - this.tokens;
        if (missing > tokenSlackBytes) {
          this.bucketTimer = this.clock.setTimeout(() => this.pump(), missing / this.rateBytesPerMs);
          return;
        }
        this.tokens = Math.max(0, this.tokens - head.bytes);
        this.waiting.shift();
        this.release(head);
      }
    } finally {
      this.pumping = false;
    }
  }

  private release(frame: Queued): void {
    if (this.latencyMs === 0) {
      frame.send();
      return;
    }
    frame.dueMs = this.clock.now() + this.latencyMs;
    this.delayed.push(frame);
    if (this.delayTimer === undefined && !this.flushing) this.armDelay();
  }

  private armDelay(): void {
    const head = this.delayed.peek();
    this.delayTimer = head ? this.clock.setTimeout(() => this.flushDelayed(), head.dueMs - this.clock.now()) : undefined;
  }

  private flushDelayed(): void {
    this.delayTimer = undefined;
    this.flushing = true;
    try {
      const now = this.clock.now();
      for (let head = this.delayed.peek(); head && head.dueMs <= now; head = this.delayed.peek()) {
        this.delayed.shift();
        head.send();
      }
    } finally {
      this.flushing = false;
    }
    this.armDelay();
  }
}
