/**
 * Reading a recorded run back from its run database (see run-db.ts): events in the order they were emitted,
 * a page at a time, each checked as if it came off the wire.
 */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { openSqlite, type SqliteHandle } from "../runtime/sqlite.ts";
import { parseTelemetryEvent, TelemetryError, type TelemetryEvent } from "./events.ts";

/** Rows per query: a 500k-event run streams in ~100 queries, holding ~1 MB of rows at a time. */
export const runReadPageSizeDefault = 5_000;

/** Every SQLite 3 file starts with these 16 bytes. */
const sqliteHeader = "SQLite format 3\0";

export interface ReadRunOptions {
  /** Rows fetched per query. @default runReadPageSizeDefault */
  pageSize?: number;
}

/**
 * Opens an existing run database. Checks the path and the file's header before SQLite sees it, so a missing
 * path is not created and a stray file is not turned into a database.
 */
async function openRun(path: string): Promise<SqliteHandle> {
  if (!existsSync(path)) throw new Error(`no run database at ${path}`);
  let header: string;
  try {
    const fd = openSync(path, "r");
    try {
      const bytes = Buffer.alloc(sqliteHeader.length);
      const got = readSync(fd, bytes, 0, bytes.length, 0);
      header = bytes.subarray(0, got).toString("latin1");
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    throw new Error(`cannot read run database ${path}: ${(cause as Error).message}`, { cause });
  }
  if (header !== sqliteHeader) throw new Error(`not a run database: ${path} is not a SQLite file`);
  try {
    return await openSqlite(path);
  } catch (cause) {
    throw new Error(`not a run database: ${path} (${(cause as Error).message})`, { cause });
  }
}

/** Decodes one row's body, naming the row in any error. */
function decodeRow(path: string, id: number, body: string): TelemetryEvent {
  try {
    return parseTelemetryEvent(JSON.parse(body));
  } catch (cause) {
    const what = cause instanceof TelemetryError || cause instanceof SyntaxError ? cause.message : String(cause);
    throw new Error(`run database ${path}: event row ${id} is bad: ${what}`, { cause });
  }
}

/**
 * The events of the run recorded at `path`, in emission (row id) order, fetched `pageSize` rows at a time.
 * Errors (missing path, not a run database, a bad row naming its id) surface from the first `next()` that
 * meets them. Stopping early (`break`, `return()`) closes the database.
 */
export async function* readRunEvents(path: string, opts: ReadRunOptions = {}): AsyncGenerator<TelemetryEvent, void, undefined> {
  const pageSize = opts.pageSize ?? runReadPageSizeDefault;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error(`readRunEvents: pageSize must be a positive integer, got ${pageSize}`);
  const handle = await openRun(path);
  try {
    let after = 0;
    for (;;) {
      const rows = await handle.db
        .selectFrom("events")
        .select(["id", "body"])
        .where("id", ">", after)
        .orderBy("id")
        .limit(pageSize)
        .execute();
      for (const row of rows) yield decodeRow(path, row.id, row.body);
      const last = rows.at(-1);
      if (last === undefined || rows.length < pageSize) return;
      after = last.id;
    }
  } finally {
    await handle.close();
  }
}

/** How many events the run at `path` holds (for progress bars); same errors as {@link readRunEvents}. */
export async function countRunEvents(path: string): Promise<number> {
  const handle = await openRun(path);
  try {
    const row = await handle.db
      .selectFrom("events")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await handle.close();
  }
}
