import type { Clock, TimerId } from "../runtime/clock.ts";

/** First redial of a lost neighbour after this long, doubling per failed attempt up to redialMaxMs. */
export const redialBaseMs = 1000;
export const redialMaxMs = 10_000;

/**
 * The backoff cap for a scenario: half its connect timeout (within [redialBaseMs, redialMaxMs]), so a neighbour
 * that waits to be redialled sees at least two redials per connect attempt instead of giving up between two
 * long backoffs.
 */
export function redialCapMs(connectMs: number): number {
  return Math.min(redialMaxMs, Math.max(redialBaseMs, connectMs / 2));
}

/**
 * A neighbour this peer dialled is gone (crash, partition, network): dial it again with exponential backoff until a
 * session opens, the neighbour is banned, or this peer stops. The side that accepted waits to be redialled, so each
 * link has one owner.
 */
export class Redialer {
  private readonly timers = new Map<string, TimerId>();
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly o: {
      /** Whether `peerId` should be redialled now (ours to dial, not banned, not connected, we are running). */
      wanted(peerId: string): boolean;
      dial(peerId: string): void;
      /** Longest backoff. @default redialMaxMs */
      maxMs?: number;
    },
  ) {}

  schedule(peerId: string): void {
    if (this.timers.has(peerId) || !this.o.wanted(peerId)) return;
    const attempt = this.attempts.get(peerId) ?? 0;
    this.attempts.set(peerId, attempt + 1);
    const delay = Math.min(this.o.maxMs ?? redialMaxMs, redialBaseMs * 2 ** attempt);
    this.timers.set(
      peerId,
      this.clock.setTimeout(() => {
        this.timers.delete(peerId);
        if (this.o.wanted(peerId)) this.o.dial(peerId);
      }, delay),
    );
  }

  /** A session with `peerId` opened: the next loss starts the backoff over. */
  connected(peerId: string): void {
    this.attempts.delete(peerId);
  }

  stop(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }
}
