import type { Kysely } from "kysely";
import { openSqlite, type SqliteHandle, type SqliteRuntime } from "../runtime/sqlite.ts";
import type { Schema } from "./schema.ts";

/** Names one piece of one origin's update in one round. */
export interface PieceKey {
  round: number;
  origin: string;
  index: number;
}

export interface ChunkStoreOptions {
  /**
   * Queued rows after which callers should flush (see {@link ChunkStore.shouldFlush}).
   * @default 512
   */
  flushEveryRows?: number;
  /**
   * Delete a round's rows from SQLite when its holder releases it (and the bytes when no holder is left), so
   * the database holds the live window, not every round of a long run. Off: SQLite archives every piece ever
   * stored and `load` finds released pieces. @default false
   */
  pruneReleased?: boolean;
}

/** SHA-256 digests are 32 bytes; anything else is a caller bug. */
const digestBytes = 32;
/** SQLITE_MAX_VARIABLE_NUMBER before SQLite 3.32; the smallest any driver we load may have. */
const sqliteVariablesMax = 999;
const chunkColumns = 2;
const holdingColumns = 5;
const chunkRowsPerInsert = Math.floor(sqliteVariablesMax / chunkColumns);
const holdingRowsPerInsert = Math.floor(sqliteVariablesMax / holdingColumns);
const defaultFlushEveryRows = 512;

/** One unique piece in the memory tier, shared by every holding of its digest. */
interface Entry {
  readonly key: string;
  /** Own copy of the digest, so queued rows never pin a caller's (possibly larger) buffer. */
  readonly digest: Uint8Array;
  readonly bytes: Uint8Array;
  refs: number;
}

interface HoldingRow {
  holder: string;
  round: number;
  origin: string;
  idx: number;
  sha256: Uint8Array;
}

/** Cheap map key for a digest: one latin1 char per byte. */
export function digestKey(sha256: Uint8Array): string {
  if (sha256.length !== digestBytes) throw new Error(`sha256 must be ${digestBytes} bytes, got ${sha256.length}`);
  return String.fromCharCode.apply(null, sha256 as unknown as number[]);
}

/**
 * Content-addressed chunk store shared by every simulated peer in a process.
 * Memory tier: each digest's bytes once, reference-counted by holdings, so N peers holding the
 * same pieces cost the pieces once. SQLite tier: every chunk and holding, written in batches by
 * {@link flush}.
 */
export class ChunkStore {
  readonly flushEveryRows: number;
  readonly #handle: SqliteHandle;
  /** Memory tier by digest key. */
  readonly #memory = new Map<string, Entry>();
  /** `${holder}\0${round}` → `${origin}\0${index}` → entry. */
  readonly #holdings = new Map<string, Map<string, Entry>>();
  #memoryBytes = 0;
  #pendingChunks = new Map<string, Entry>();
  #pendingHoldings: HoldingRow[] = [];
  /** Released (holder, round) pairs and unreferenced digests whose rows the next flush deletes (pruneReleased). */
  #pendingReleases: Array<{ holder: string; round: number }> = [];
  #pendingDrops = new Map<string, Uint8Array>();
  /** Chunks in the transaction now being written; still readable by {@link load}. */
  #flushingChunks: Map<string, Entry> | undefined;
  #flushTail: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(handle: SqliteHandle, flushEveryRows: number, readonly pruneReleased: boolean) {
    this.#handle = handle;
    this.flushEveryRows = flushEveryRows;
  }

  /** Opens a store on a SQLite file (or `":memory:"`), creating tables as needed. */
  static async open(path: string, opts: ChunkStoreOptions = {}): Promise<ChunkStore> {
    const flushEveryRows = opts.flushEveryRows ?? defaultFlushEveryRows;
    if (!Number.isInteger(flushEveryRows) || flushEveryRows < 1) {
      throw new Error(`flushEveryRows must be a positive integer, got ${flushEveryRows}`);
    }
    return new ChunkStore(await openSqlite(path), flushEveryRows, opts.pruneReleased ?? false);
  }

  /** The database, for tables other than chunks and holdings. */
  get db(): Kysely<Schema> {
    return this.#handle.db;
  }

  get runtime(): SqliteRuntime {
    return this.#handle.runtime;
  }

  /**
   * Keeps bytes in the memory tier (deduplicated by digest), records the holding and queues the
   * SQLite write. Synchronous, O(1); idempotent per (holder, key). The caller has verified the hash.
   */
  put(holder: string, key: PieceKey, sha256: Uint8Array, data: Uint8Array): void {
    if (this.#closed) throw new Error("ChunkStore.put after close");
    const holdingKey = `${holder}\0${key.round}`;
    let pieces = this.#holdings.get(holdingKey);
    if (pieces === undefined) {
      pieces = new Map();
      this.#holdings.set(holdingKey, pieces);
    }
    const pieceKey = `${key.origin}\0${key.index}`;
    if (pieces.has(pieceKey)) return;

    const dk = digestKey(sha256);
    let entry = this.#memory.get(dk);
    if (entry === undefined) {
      // Decoded frames hand us views into larger buffers: copy once, on first store.
      entry = { key: dk, digest: new Uint8Array(sha256), bytes: new Uint8Array(data), refs: 0 };
      this.#memory.set(dk, entry);
      this.#memoryBytes += entry.bytes.byteLength;
      this.#pendingChunks.set(dk, entry);
    }
    entry.refs++;
    pieces.set(pieceKey, entry);
    this.#pendingHoldings.push({
      holder,
      round: key.round,
      origin: key.origin,
      idx: key.index,
      sha256: entry.digest,
    });
  }

  /** Bytes for a digest from the memory tier; undefined when no holder keeps it in memory. */
  get(sha256: Uint8Array): Uint8Array | undefined {
    return this.#memory.get(digestKey(sha256))?.bytes;
  }

  /** Bytes for a digest from memory, the write queue, or SQLite (after release or restart). */
  async load(sha256: Uint8Array): Promise<Uint8Array | undefined> {
    const dk = digestKey(sha256);
    const held = this.#memory.get(dk) ?? this.#pendingChunks.get(dk) ?? this.#flushingChunks?.get(dk);
    if (held !== undefined) return held.bytes;
    const row = await this.#handle.db
      .selectFrom("chunks")
      .select("bytes")
      .where("sha256", "=", sha256)
      .executeTakeFirst();
    return row?.bytes;
  }

  /**
   * Drops a holder's references for a round; unreferenced bytes leave memory. SQLite keeps them unless the store
   * prunes released rounds, in which case the next flush deletes the round's rows and the orphaned bytes.
   */
  release(holder: string, round: number): void {
    const holdingKey = `${holder}\0${round}`;
    const pieces = this.#holdings.get(holdingKey);
    if (pieces === undefined) return;
    this.#holdings.delete(holdingKey);
    if (this.pruneReleased) this.#pendingReleases.push({ holder, round });
    for (const entry of pieces.values()) {
      if (--entry.refs === 0) {
        this.#memory.delete(entry.key);
        this.#memoryBytes -= entry.bytes.byteLength;
        if (this.pruneReleased) this.#pendingDrops.set(entry.key, entry.digest);
      }
    }
  }

  /** Rows queued but not yet flushed. */
  get queuedRows(): number {
    return this.#pendingChunks.size + this.#pendingHoldings.length + this.#pendingReleases.length + this.#pendingDrops.size;
  }

  /** True once {@link queuedRows} reaches `flushEveryRows`: time to register a flush. */
  get shouldFlush(): boolean {
    return this.queuedRows >= this.flushEveryRows;
  }

  /** Unique bytes in the memory tier. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /** Unique digests in the memory tier. */
  get uniqueChunks(): number {
    return this.#memory.size;
  }

  /**
   * Writes every queued row in one transaction and resolves when it has committed. Flushes run
   * one after another; on failure the rows go back on the queue and the error is rethrown.
   */
  flush(): Promise<void> {
    const run = this.#flushTail.then(() => this.#flushNow());
    this.#flushTail = run.catch(() => {});
    return run;
  }

  /** Holdings of one holder for one round, as SQLite has them (so after a flush). */
  async holdingsCount(holder: string, round: number): Promise<number> {
    const row = await this.#handle.db
      .selectFrom("holdings")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("holder", "=", holder)
      .where("round", "=", round)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Flushes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.flush();
    } finally {
      await this.#handle.close();
    }
  }

  async #flushNow(): Promise<void> {
    if (this.queuedRows === 0) return;
    const chunks = this.#pendingChunks;
    const holdings = this.#pendingHoldings;
    const releases = this.#pendingReleases;
    const drops = this.#pendingDrops;
    this.#pendingChunks = new Map();
    this.#pendingHoldings = [];
    this.#pendingReleases = [];
    this.#pendingDrops = new Map();
    this.#flushingChunks = chunks;
    try {
      await this.#handle.db.transaction().execute(async (trx) => {
        const chunkRows = [...chunks.values()].map((e) => ({ sha256: e.digest, bytes: e.bytes }));
        for (let i = 0; i < chunkRows.length; i += chunkRowsPerInsert) {
          await trx
            .insertInto("chunks")
            .values(chunkRows.slice(i, i + chunkRowsPerInsert))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        for (let i = 0; i < holdings.length; i += holdingRowsPerInsert) {
          await trx
            .insertInto("holdings")
            .values(holdings.slice(i, i + holdingRowsPerInsert))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        // Deletes after inserts: rows queued and released before this flush are written, then removed.
        for (const r of releases) await trx.deleteFrom("holdings").where("holder", "=", r.holder).where("round", "=", r.round).execute();
        // A digest stored again since its release (back in memory) keeps its row.
        const gone = [...drops].filter(([dk]) => !this.#memory.has(dk)).map(([, digest]) => digest);
        for (let i = 0; i < gone.length; i += sqliteVariablesMax) {
          await trx.deleteFrom("chunks").where("sha256", "in", gone.slice(i, i + sqliteVariablesMax)).execute();
        }
      });
    } catch (err) {
      for (const [dk, entry] of chunks) if (!this.#pendingChunks.has(dk)) this.#pendingChunks.set(dk, entry);
      this.#pendingHoldings = holdings.concat(this.#pendingHoldings);
      this.#pendingReleases = releases.concat(this.#pendingReleases);
      for (const [dk, digest] of drops) this.#pendingDrops.set(dk, digest);
      throw err;
    } finally {
      this.#flushingChunks = undefined;
    }
  }
}
