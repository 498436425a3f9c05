import { Kysely, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from "kysely";
import { createSchema, type Schema } from "../store/schema.ts";

export type SqliteRuntime = "bun" | "deno" | "node";

/** An open database with the schema in place. `close()` closes the driver too. */
export interface SqliteHandle {
  db: Kysely<Schema>;
  runtime: SqliteRuntime;
  close(): Promise<void>;
}

/** SQLite's own name for a private in-memory database. */
const memoryPath = ":memory:";

/** Which runtime we are in; each loads only its own driver. */
export function detectRuntime(): SqliteRuntime {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return "node";
}

/**
 * Opens (or creates) a SQLite database through kysely with the driver the runtime has:
 * bun:sqlite under Bun, node:sqlite under Deno, better-sqlite3 under Node (if installed).
 * File databases use WAL; every database gets synchronous=NORMAL and the schema.
 */
export async function openSqlite(path: string): Promise<SqliteHandle> {
  const runtime = detectRuntime();
  const database = await openDriver(runtime, path);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
  try {
    if (path !== memoryPath && path !== "") await sql`pragma journal_mode = wal`.execute(db);
    await sql`pragma synchronous = normal`.execute(db);
    await createSchema(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, runtime, close: () => db.destroy() };
}

async function openDriver(runtime: SqliteRuntime, path: string): Promise<SqliteDatabase> {
  switch (runtime) {
    case "bun": {
      const { Database } = await import("bun:sqlite");
      // bun:sqlite's Database matches the better-sqlite3 subset kysely needs.
      return new Database(path, { create: true }) as unknown as SqliteDatabase;
    }
    case "deno": {
      const { DatabaseSync } = await import("node:sqlite");
      return nodeSqliteAdapter(new DatabaseSync(path));
    }
    case "node":
      return openBetterSqlite(path);
  }
}

/** The parts of node:sqlite's DatabaseSync the adapter uses. */
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
}
interface NodeSqliteStatement {
  columns(): unknown[];
  all(...params: any[]): unknown[];
  run(...params: any[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...params: any[]): IterableIterator<unknown>;
}

/** Adapts node:sqlite (positional-spread parameters) to the better-sqlite3 shape kysely expects. */
export function nodeSqliteAdapter(raw: NodeSqliteDatabase): SqliteDatabase {
  return {
    close: () => raw.close(),
    prepare(text: string): SqliteStatement {
      const stmt = raw.prepare(text);
      return {
        reader: stmt.columns().length > 0,
        all: (params) => stmt.all(...params),
        run: (params) => stmt.run(...params),
        iterate: (params) => stmt.iterate(...params),
      };
    },
  };
}

/** better-sqlite3 binds blobs only as Buffers; Uint8Array views are wrapped without copying. */
function toBetterSqliteParams(params: ReadonlyArray<unknown>): unknown[] {
  return params.map((p) =>
    p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p,
  );
}

async function openBetterSqlite(path: string): Promise<SqliteDatabase> {
  // A variable specifier keeps bundlers and type-checkers from requiring the optional package.
  const specifier = "better-sqlite3";
  let Database: new (path: string) => any;
  try {
    Database = (await import(specifier)).default;
  } catch (cause) {
    throw new Error("SQLite under Node needs better-sqlite3: run `npm i better-sqlite3@12`", { cause });
  }
  const raw = new Database(path);
  return {
    close: () => raw.close(),
    prepare(text: string): SqliteStatement {
      const stmt = raw.prepare(text);
      return {
        reader: stmt.reader,
        all: (params) => stmt.all(toBetterSqliteParams(params)),
        run: (params) => stmt.run(toBetterSqliteParams(params)),
        iterate: (params) => stmt.iterate(toBetterSqliteParams(params)),
      };
    },
  };
}
