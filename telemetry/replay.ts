/**
 * Replay: a TelemetrySource that plays a recorded run (e.g. `readRunEvents(path)`) to views as if it were live,
 * on the recorded clock sped up by `speed`, or as fast as the views can take it.
 */
import { globalScheduler, type Scheduler } from "../runtime/scheduler.ts";
import type { TelemetryEvent, TelemetrySource } from "./events.ts";

/** Ten times the recorded clock: a 5-minute run replays in 30 s, still slow enough to watch rounds turn. */
export const replaySpeedDefault = 10;
/** Longest wait between two events, replay time: a run that stalled for minutes replays without sitting idle. */
export const replayGapMaxMs = 2_000;
/**
 * Events delivered per scheduler tick at most, before yielding: bursts (and "max" speed) stay responsive,
 * since a view folds 2000 events in a few ms.
 */
export const replayBurstMax = 2_000;
/** Waits shorter than this add up until they reach it: timers are clamped near 4 ms, so many tiny waits would drift. */
const timerMinMs = 4;

export interface ReplayOptions {
  /** Recorded milliseconds per replayed millisecond, or "max" for no waiting at all. @default replaySpeedDefault */
  speed?: number | "max";
  /** @default globalScheduler */
  scheduler?: Scheduler;
  /** A listener that throws does not stop the others or the replay; its error goes here. @default ignore */
  onListenerError?: (error: unknown) => void;
}

type Source = AsyncIterable<TelemetryEvent> | Iterable<TelemetryEvent>;
type Pull = IteratorResult<TelemetryEvent> | Promise<IteratorResult<TelemetryEvent>>;

function iteratorOf(source: Source): { next(): Pull; return?(): unknown } {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  return source[Symbol.iterator]();
}

function isThenable(pulled: Pull): pulled is Promise<IteratorResult<TelemetryEvent>> {
  return typeof (pulled as { then?: unknown }).then === "function";
}

/**
 * Plays events in order, each `(t − previous t) / speed` ms after the one before (capped at `replayGapMaxMs`).
 * The replay clock only moves forward: an event whose `t` is not past the latest seen (sources merged) comes
 * without waiting, and a `run.started` starts the clock over from its `t`.
 */
export class ReplayPlayer implements TelemetrySource {
  /** Resolves after the last event is delivered (or on `stop()`); rejects if the source throws. */
  readonly done: Promise<void>;
  readonly speed: number | "max";
  readonly #source: Source;
  readonly #scheduler: Scheduler;
  readonly #onListenerError: (error: unknown) => void;
  readonly #listeners = new Set<(event: TelemetryEvent) => void>();
  #state: "idle" | "running" | "ended" = "idle";
  #iterator: { next(): Pull; return?(): unknown } | undefined;
  #paused = false;
  /** Pulled, not yet delivered. */
  #next: { event: TelemetryEvent; waited: boolean } | undefined;
  #pulling = false;
  /** The replay clock: latest recorded `t` delivered since the last `run.started`. */
  #clockT: number | undefined;
  #owedMs = 0;
  /** Events delivered since the last timer fired; async pulls continue a tick without yielding to the loop. */
  #burst = 0;
  #timer: { handle: unknown } | undefined;
  #delivered = 0;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;

  constructor(events: Source, opts: ReplayOptions = {}) {
    this.#source = events;
    this.speed = opts.speed ?? replaySpeedDefault;
    if (this.speed !== "max" && !(Number.isFinite(this.speed) && this.speed > 0)) {
      throw new Error(`ReplayPlayer: speed must be a positive number or "max", got ${this.speed}`);
    }
    this.#scheduler = opts.scheduler ?? globalScheduler;
    this.#onListenerError = opts.onListenerError ?? (() => {});
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A replay nobody awaits must not fail the process with an unhandled rejection; awaiting `done` still throws.
    this.done.catch(() => {});
  }

  /** Events delivered so far. */
  get delivered(): number {
    return this.#delivered;
  }

  get paused(): boolean {
    return this.#paused;
  }

  subscribe(listener: (event: TelemetryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts playing at the next scheduler tick, so subscribers added in the same turn see every event. Idempotent. */
  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "running";
    this.#iterator = iteratorOf(this.#source);
    this.#arm(0);
  }

  /** While paused nothing is delivered; on resume, an event whose wait ran out meanwhile comes at once. */
  setPaused(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    if (!paused && this.#state === "running" && this.#timer === undefined) this.#arm(0);
  }

  /** Ends the replay early: no more events, the source is closed (`return()`), `done` resolves. Idempotent. */
  stop(): void {
    if (this.#state === "ended") return;
    const iterator = this.#iterator;
    this.#end();
    this.#resolve();
    void Promise.resolve(iterator?.return?.()).catch(() => {});
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer.handle);
    this.#timer = {
      handle: this.#scheduler.setTimeout(() => {
        this.#timer = undefined;
        this.#burst = 0;
        this.#pump();
      }, ms),
    };
  }

  #end(): void {
    this.#state = "ended";
    if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    this.#next = undefined;
  }

  #fail(error: unknown): void {
    if (this.#state === "ended") return;
    this.#end();
    this.#reject(error);
  }

  /** Takes a pulled result; false when the source is exhausted (and the replay is over). */
  #take(result: IteratorResult<TelemetryEvent>): boolean {
    if (this.#state !== "running") return false;
    if (result.done === true) {
      this.#end();
      this.#resolve();
      return false;
    }
    this.#next = { event: result.value, waited: false };
    return true;
  }

  /** Replay ms to wait before `event`; advances the replay clock. */
  #waitFor(event: TelemetryEvent): number {
    const previous = this.#clockT;
    if (event.type === "run.started" || previous === undefined || event.t > previous) this.#clockT = event.t;
    if (this.speed === "max" || event.type === "run.started" || previous === undefined || event.t <= previous) return 0;
    return Math.min((event.t - previous) / this.speed, replayGapMaxMs);
  }

  /** Delivers what is due, then arms a timer for what comes next or waits for the source. */
  #pump(): void {
    while (this.#state === "running" && !this.#paused) {
      if (this.#next === undefined) {
        if (this.#pulling) return;
        let pulled: Pull;
        try {
          pulled = this.#iterator!.next();
        } catch (error) {
          return this.#fail(error);
        }
        if (isThenable(pulled)) {
          this.#pulling = true;
          pulled.then(
            (result) => {
              this.#pulling = false;
              // A timer armed meanwhile (a resume) does the pumping.
              if (this.#take(result) && this.#timer === undefined) this.#pump();
            },
            (error: unknown) => this.#fail(error),
          );
          return;
        }
        if (!this.#take(pulled)) return;
      }
      const next = this.#next!;
      if (!next.waited) {
        next.waited = true;
        this.#owedMs += this.#waitFor(next.event);
        if (this.#owedMs >= timerMinMs) {
          const wait = this.#owedMs;
          this.#owedMs = 0;
          return this.#arm(wait);
        }
      }
      if (this.#burst >= replayBurstMax) return this.#arm(0);
      this.#next = undefined;
      this.#delivered++;
      this.#burst++;
      for (const listener of [...this.#listeners]) {
        try {
          listener(next.event);
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    }
  }
}
