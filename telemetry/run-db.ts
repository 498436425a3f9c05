/**
 * The run database: a TelemetrySink that records every event of one run in SQLite's `events` table, for replay
 * and reports (read back with run-db-read.ts).
 *
 * `emit` only queues: it never throws, never waits and never touches the disk. A timer (or a full batch)
 * writes the queue in transactions, one flush at a time, so a run at 10k events/s costs a few commits a second
 * and a slow or failing disk costs dropped events, never a stalled or crashed run.
 */
import { openSqlite, type SqliteHandle } from "../runtime/sqlite.ts";
// Type only: the run must not load the TUI's React module to get a timer.
import { globalScheduler, type Scheduler } from "../runtime/scheduler.ts";
import type { TelemetryEvent, TelemetrySink } from "./events.ts";

/**
 * Events queued at most (written or not yet). A 500-peer run emits ~10k events/s at peak; 200k is 20 s of that
 * behind a stalled disk, at roughly 200 bytes each (~40 MB) — enough to ride out a hiccup, bounded if it lasts.
 */
export const runDbCapacityDefault = 200_000;
/** Four commits a second: cheap for SQLite, and a crash loses at most a quarter second of telemetry. */
export const runDbFlushEveryMsDefault = 250;
/** Rows per transaction: big enough to amortise a commit, small enough to keep one write short. */
export const runDbBatchMaxDefault = 5_000;
/** SQLITE_MAX_VARIABLE_NUMBER before SQLite 3.32; the smallest any driver we load may have. */
const sqliteVariablesMax = 999;
/** t, scope, kind, body. */
const eventColumns = 4;
const rowsPerInsert = Math.floor(sqliteVariablesMax / eventColumns);
/** The scope of events that belong to no peer. */
export const runScope = "run";

export interface RunDbOptions {
  /** Events queued at most; more are dropped and counted. @default runDbCapacityDefault */
  capacity?: number;
  /** A queue this long is written at once, without waiting for the timer. @default runDbBatchMaxDefault */
  batchMax?: number;
  /** Time from the first queued event to its write. @default runDbFlushEveryMsDefault */
  flushEveryMs?: number;
  /** @default the global timers */
  scheduler?: Scheduler;
  /** Called once, at the first event dropped because the queue was full, so the caller can warn once. */
  onDrop?: (dropped: number) => void;
  /**
   * Called with a write error, once per streak of failing writes (the batch stays queued and is retried on the
   * next tick). @default keep the first error and throw it from `close()`
   */
  onError?: (error: unknown) => void;
}

/** One `events` row. */
interface EventRow {
  t: number;
  scope: string;
  kind: string;
  body: string;
}

function toRow(event: TelemetryEvent): EventRow {
  const scope = "peer" in event && typeof event.peer === "string" ? event.peer : runScope;
  return { t: event.t, scope, kind: event.type, body: JSON.stringify(event) };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`RunDb: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** Records one run. Create with {@link RunDb.create}; `close()` when the run ends. */
export class RunDb implements TelemetrySink {
  readonly path: string;
  readonly capacity: number;
  readonly batchMax: number;
  readonly flushEveryMs: number;
  readonly #handle: SqliteHandle;
  readonly #scheduler: Scheduler;
  readonly #onDrop: ((dropped: number) => void) | undefined;
  readonly #onError: (error: unknown) => void;
  /** The first write error, when no `onError` was given. */
  #kept: { error: unknown } | undefined;
  #pending: EventRow[] = [];
  /** Rows in the transaction now being written; they count against capacity until committed. */
  #inFlight = 0;
  #written = 0;
  #dropped = 0;
  #dropReported = false;
  #failing = false;
  #timer: { handle: unknown } | undefined;
  #flushing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(path: string, handle: SqliteHandle, opts: RunDbOptions) {
    this.path = path;
    this.#handle = handle;
    this.capacity = positiveInteger("capacity", opts.capacity ?? runDbCapacityDefault);
    this.batchMax = positiveInteger("batchMax", opts.batchMax ?? runDbBatchMaxDefault);
    this.flushEveryMs = opts.flushEveryMs ?? runDbFlushEveryMsDefault;
    if (!(this.flushEveryMs >= 0)) throw new Error(`RunDb: flushEveryMs must be ≥ 0, got ${this.flushEveryMs}`);
    this.#scheduler = opts.scheduler ?? globalScheduler;
    this.#onDrop = opts.onDrop;
    this.#onError = opts.onError ?? ((error) => (this.#kept ??= { error }));
  }

  /**
   * Opens (creating if needed) the SQLite file at `path` (`":memory:"` for tests) for a new run. A file that
   * already holds events is refused: one file, one run, so replays never mix runs.
   */
  static async create(path: string, opts: RunDbOptions = {}): Promise<RunDb> {
    const handle = await openSqlite(path);
    try {
      const held = await handle.db.selectFrom("events").select("id").limit(1).executeTakeFirst();
      if (held !== undefined) throw new Error(`run database ${path} already holds a run; record each run in a new file`);
      return new RunDb(path, handle, opts);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Events committed to the database so far. */
  get written(): number {
    return this.#written;
  }

  /** Events lost: emitted while the queue was full or after close, or still queued when close gave up. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events queued and not yet committed. */
  get pending(): number {
    return this.#pending.length + this.#inFlight;
  }

  /** Queues `event` for the next write. Never throws, never waits. */
  emit(event: TelemetryEvent): void {
    if (this.#closing !== undefined) {
      this.#dropped++;
      return;
    }
    if (this.pending >= this.capacity) {
      this.#dropped++;
      if (!this.#dropReported) {
        this.#dropReported = true;
        this.#onDrop?.(this.#dropped);
      }
      return;
    }
    let row: EventRow;
    try {
      row = toRow(event);
    } catch (error) {
      // Not plain data (a BigInt, a cycle): a caller bug, but the run goes on.
      this.#dropped++;
      this.#onError(error);
      return;
    }
    this.#pending.push(row);
    if (this.#pending.length >= this.batchMax) void this.#startFlush();
    else this.#arm();
  }

  /** Writes everything queued. Resolves when written or when a write failed (the error goes to `onError`). */
  async flush(): Promise<void> {
    if (this.#flushing !== undefined) await this.#flushing;
    if (this.#pending.length > 0) await this.#startFlush();
  }

  /**
   * Flushes, then closes the database; idempotent. Events still queued after a failed final write count as
   * dropped. Rejects with the first write error when no `onError` was given.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeNow();
    return this.#closing;
  }

  async #closeNow(): Promise<void> {
    this.#cancelTimer();
    await this.flush();
    this.#dropped += this.#pending.length;
    this.#pending = [];
    await this.#handle.close();
    if (this.#kept !== undefined) throw this.#kept.error;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#flushing !== undefined || this.#closing !== undefined) return;
    this.#timer = {
      handle: this.#scheduler.setTimeout(() => {
        this.#timer = undefined;
        void this.#startFlush();
      }, this.flushEveryMs),
    };
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#scheduler.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }

  /** Starts draining the queue unless a drain is running (it takes rows queued meanwhile too). */
  #startFlush(): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing;
    this.#cancelTimer();
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      // After a failed write the rows wait for the next tick's retry.
      if (this.#pending.length > 0) this.#arm();
    });
    return this.#flushing;
  }

  /** Writes batches until the queue is empty or a write fails; the failed batch goes back to the front. */
  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.batchMax);
      this.#inFlight = batch.length;
      try {
        await this.#write(batch);
        this.#written += batch.length;
        this.#failing = false;
      } catch (error) {
        this.#pending = batch.concat(this.#pending);
        if (!this.#failing) this.#onError(error);
        this.#failing = true;
        return;
      } finally {
        this.#inFlight = 0;
      }
    }
  }

  async #write(rows: EventRow[]): Promise<void> {
    await this.#handle.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += rowsPerInsert) {
        await trx.insertInto("events").values(rows.slice(i, i + rowsPerInsert)).execute();
      }
    });
  }
}
