/**
 * Clock port. Actors, machines and the swarm never read ambient time: they get a Clock.
 * The shape matches XState's `clock` option, so `createActor(machine, { clock })` works with both kinds.
 */
export type TimerId = number;

export interface Clock {
  /** Milliseconds. Virtual clocks start at 0; the real clock is epoch-based. */
  now(): number;
  setTimeout(fn: () => void, delayMs: number): TimerId;
  clearTimeout(id: TimerId): void;
  /**
   * Registers real asynchronous work (training, flushing SQLite) so a virtual event loop waits for it
   * before advancing time. The real clock simply returns the promise.
   */
  track<T>(work: Promise<T>): Promise<T>;
  readonly kind: "virtual" | "real";
}

/** Wall-clock implementation. The only place outside tests allowed to touch ambient timers. */
export class RealClock implements Clock {
  readonly kind = "real" as const;
  private readonly handles = new Map<TimerId, ReturnType<typeof globalThis.setTimeout>>();
  private nextId = 1;

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimeout(fn: () => void, delayMs: number): TimerId {
    const id = this.nextId++;
    const handle = globalThis.setTimeout(() => {
      this.handles.delete(id);
      fn();
    }, Math.max(0, delayMs));
    this.handles.set(id, handle);
    return id;
  }

  clearTimeout(id: TimerId): void {
    const handle = this.handles.get(id);
    if (handle !== undefined) {
      globalThis.clearTimeout(handle);
      this.handles.delete(id);
    }
  }

  track<T>(work: Promise<T>): Promise<T> {
    return work;
  }

  /** Timers still armed; lets a process exit cleanly when it reaches zero. */
  get pendingTimers(): number {
    return this.handles.size;
  }
}

interface Timer {
  at: number;
  seq: number;
  id: TimerId;
  fn: () => void;
}

/** Binary min-heap ordered by (at, seq): equal times fire in the order they were scheduled. */
class TimerHeap {
  private readonly items: Timer[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Timer | undefined {
    return this.items[0];
  }
  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Timer, y: Timer): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

export interface RunOptions {
  /** Stop once virtual time would pass this instant (ms). */
  untilMs?: number;
  /** Stop as soon as this returns true (checked after every event). */
  stopWhen?: () => boolean;
  /** Safety cap on events fired in this call; exceeding it is a programmer error (a livelock). */
  maxEvents?: number;
}

export interface RunResult {
  events: number;
  nowMs: number;
  reason: "idle" | "until" | "stopped" | "maxEvents";
}

/** Default cap on events per run: large enough for a 1,000-peer all-gather, small enough to catch livelock. */
export const virtualEventsMax = 200_000_000;

/**
 * Discrete-event clock. Time moves only inside `run`, and only when every tracked piece of real async work
 * has settled, so the same seed gives the same trace regardless of how long real work took.
 */
export class VirtualClock implements Clock {
  readonly kind = "virtual" as const;
  private t: number;
  private seq = 0;
  private nextId = 1;
  private readonly heap = new TimerHeap();
  private readonly live = new Set<TimerId>();
  private readonly pending = new Set<Promise<unknown>>();
  private firedTotal = 0;
  /** Set while paused: `run` waits on it before firing the next event. */
  private gate: { promise: Promise<void>; open: () => void } | undefined;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** Events fired since creation. */
  get fired(): number {
    return this.firedTotal;
  }

  setTimeout(fn: () => void, delayMs: number): TimerId {
    const id = this.nextId++;
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    this.heap.push({ at: this.t + d, seq: this.seq++, id, fn });
    this.live.add(id);
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.live.delete(id);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = () => this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  /**
   * Holds time still (a person pressed pause): `run` fires no event until `setPaused(false)`. Work already
   * running finishes; nothing is reordered, so a paused run replays like an unpaused one.
   */
  setPaused(paused: boolean): void {
    if (paused && !this.gate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.gate = { promise, open };
    } else if (!paused && this.gate) {
      const g = this.gate;
      this.gate = undefined;
      g.open();
    }
  }

  get paused(): boolean {
    return this.gate !== undefined;
  }

  /** Armed timers (cancelled ones are dropped lazily and not counted). */
  get pendingTimers(): number {
    return this.live.size;
  }

  /** Fires events in time order until idle, a stop condition, or the event cap. */
  async run(opts: RunOptions = {}): Promise<RunResult> {
    const max = opts.maxEvents ?? virtualEventsMax;
    let events = 0;
    for (;;) {
      if (this.pending.size > 0) await this.settle();
      if (opts.stopWhen?.()) return { events, nowMs: this.t, reason: "stopped" };
      if (this.gate) {
        await this.gate.promise;
        continue;
      }
      const next = this.nextLive();
      if (!next) {
        if (this.pending.size > 0) continue;
        return { events, nowMs: this.t, reason: "idle" };
      }
      if (opts.untilMs !== undefined && next.at > opts.untilMs) {
        this.t = Math.max(this.t, opts.untilMs);
        return { events, nowMs: this.t, reason: "until" };
      }
      if (events >= max) return { events, nowMs: this.t, reason: "maxEvents" };
      this.heap.pop();
      this.live.delete(next.id);
      this.t = next.at;
      events++;
      this.firedTotal++;
      next.fn();
      // Let promise continuations the event resolved (a dial completing, say) run at this instant, in order.
      await undefined;
    }
  }

  private nextLive(): Timer | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top) return undefined;
      if (this.live.has(top.id)) return top;
      this.heap.pop();
    }
  }

  /** Waits until all tracked work and the microtasks it spawned have settled. */
  private async settle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.allSettled([...this.pending]);
      // Let continuations of the settled work run before time moves on.
      await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 0));
    }
  }
}
