import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { ChunkStore, type PieceKey } from "../../store/chunk-store.ts";

const dir = mkdtempSync(join(tmpdir(), "fltorrent-chunk-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbCount = 0;
const dbPath = () => join(dir, `store-${dbCount++}.db`);

const pieceBytes = 256;

/** Piece `i` of origin `o`: distinct deterministic bytes and their digest. */
function piece(i: number, origin = "o1"): { key: PieceKey; sha: Uint8Array; data: Uint8Array } {
  const data = new Uint8Array(pieceBytes);
  const seed = createHash("sha256").update(`${origin}/${i}`).digest();
  for (let j = 0; j < pieceBytes; j++) data[j] = seed[j % 32]! ^ j;
  const sha = new Uint8Array(createHash("sha256").update(data).digest());
  return { key: { round: 1, origin, index: i }, sha, data };
}

const pieces = Array.from({ length: 100 }, (_, i) => piece(i));
const peers = Array.from({ length: 1000 }, (_, i) => `peer-${i}`);

describe("ChunkStore memory tier", () => {
  test("1000 peers holding the same 100 pieces keep each piece once", async () => {
    const store = await ChunkStore.open(":memory:");
    for (const peer of peers) for (const p of pieces) store.put(peer, p.key, p.sha, p.data);
    expect(store.uniqueChunks).toBe(100);
    expect(store.memoryBytes).toBe(100 * pieceBytes);
    await store.flush();
    expect(store.queuedRows).toBe(0);
    expect(await store.holdingsCount("peer-0", 1)).toBe(100);
    expect(await store.holdingsCount("peer-999", 1)).toBe(100);
    await store.close();
  });

  test("bytes are copied out of a larger frame on first store", async () => {
    const store = await ChunkStore.open(":memory:");
    const p = pieces[0]!;
    const frame = new Uint8Array(pieceBytes + 64);
    frame.set(p.data, 32);
    const view = frame.subarray(32, 32 + pieceBytes);
    store.put("a", p.key, p.sha, view);
    frame.fill(0);
    const held = store.get(p.sha)!;
    expect(held.buffer.byteLength).toBe(pieceBytes);
    expect(held).toEqual(p.data);
    await store.close();
  });

  test("release frees memory only when the last holder lets go; load falls back to SQLite", async () => {
    const store = await ChunkStore.open(":memory:");
    const [p0, p1] = [pieces[0]!, pieces[1]!];
    store.put("a", p0.key, p0.sha, p0.data);
    store.put("b", p0.key, p0.sha, p0.data);
    store.put("b", p1.key, p1.sha, p1.data);
    store.release("a", 1);
    expect(store.get(p0.sha)).toEqual(p0.data);
    expect(store.memoryBytes).toBe(2 * pieceBytes);
    store.release("b", 1);
    expect(store.memoryBytes).toBe(0);
    expect(store.uniqueChunks).toBe(0);
    expect(store.get(p0.sha)).toBeUndefined();
    // Not yet flushed: served from the write queue.
    expect(await store.load(p0.sha)).toEqual(p0.data);
    await store.flush();
    expect(await store.load(p0.sha)).toEqual(p0.data);
    expect(await store.load(p1.sha)).toEqual(p1.data);
    expect(await store.load(piece(5, "elsewhere").sha)).toBeUndefined();
    await store.close();
  });

  test("release of one round leaves the holder's other rounds in memory", async () => {
    const store = await ChunkStore.open(":memory:");
    const p = pieces[0]!;
    const q = piece(0, "o2");
    store.put("a", p.key, p.sha, p.data);
    store.put("a", { ...q.key, round: 2 }, q.sha, q.data);
    store.release("a", 1);
    expect(store.get(p.sha)).toBeUndefined();
    expect(store.get(q.sha)).toEqual(q.data);
    await store.close();
  });

  test("put is idempotent per (holder, key)", async () => {
    const store = await ChunkStore.open(":memory:");
    const p = pieces[0]!;
    store.put("a", p.key, p.sha, p.data);
    const queued = store.queuedRows;
    store.put("a", p.key, p.sha, p.data);
    store.put("a", { ...p.key }, p.sha, p.data);
    expect(store.queuedRows).toBe(queued);
    expect(queued).toBe(2); // one chunk row, one holding row
    // One put, one reference: a single release frees it.
    store.release("a", 1);
    expect(store.uniqueChunks).toBe(0);
    await store.flush();
    expect(await store.holdingsCount("a", 1)).toBe(1);
    await store.close();
  });

  test("the same digest under two keys of one holder needs both released", async () => {
    const store = await ChunkStore.open(":memory:");
    const p = pieces[0]!;
    store.put("a", p.key, p.sha, p.data);
    store.put("a", { ...p.key, origin: "o9" }, p.sha, p.data);
    store.put("b", p.key, p.sha, p.data);
    expect(store.uniqueChunks).toBe(1);
    store.release("a", 1);
    expect(store.uniqueChunks).toBe(1);
    store.release("b", 1);
    expect(store.uniqueChunks).toBe(0);
    await store.close();
  });

  test("rejects a digest that is not 32 bytes", async () => {
    const store = await ChunkStore.open(":memory:");
    expect(() => store.put("a", pieces[0]!.key, new Uint8Array(31), pieces[0]!.data)).toThrow(/32 bytes/);
    expect(() => store.get(new Uint8Array(33))).toThrow(/32 bytes/);
    await store.close();
  });
});

describe("ChunkStore SQLite tier", () => {
  test("queuedRows and shouldFlush track the flush threshold", async () => {
    const store = await ChunkStore.open(":memory:", { flushEveryRows: 4 });
    expect(store.flushEveryRows).toBe(4);
    store.put("a", pieces[0]!.key, pieces[0]!.sha, pieces[0]!.data);
    expect(store.queuedRows).toBe(2);
    expect(store.shouldFlush).toBe(false);
    store.put("b", pieces[0]!.key, pieces[0]!.sha, pieces[0]!.data);
    store.put("b", pieces[1]!.key, pieces[1]!.sha, pieces[1]!.data);
    expect(store.queuedRows).toBe(5);
    expect(store.shouldFlush).toBe(true);
    await store.flush();
    expect(store.queuedRows).toBe(0);
    expect(store.shouldFlush).toBe(false);
    await store.close();
  });

  test("flushEveryRows is validated with the field's name", async () => {
    await expect(ChunkStore.open(":memory:", { flushEveryRows: 0 })).rejects.toThrow(/flushEveryRows/);
  });

  test("overlapping flushes persist every row", async () => {
    const store = await ChunkStore.open(":memory:");
    const first = pieces.slice(0, 50);
    const second = pieces.slice(50);
    for (const p of first) store.put("a", p.key, p.sha, p.data);
    const f1 = store.flush();
    for (const p of second) store.put("a", p.key, p.sha, p.data);
    const f2 = store.flush();
    await Promise.all([f1, f2]);
    expect(await store.holdingsCount("a", 1)).toBe(100);
    const row = await store.db.selectFrom("chunks").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(row.n)).toBe(100);
    await store.close();
  });

  test("a reopened file database still has chunks and holdings; close flushes", async () => {
    const path = dbPath();
    const store = await ChunkStore.open(path);
    for (const p of pieces) store.put("a", p.key, p.sha, p.data);
    await store.close(); // no explicit flush
    const again = await ChunkStore.open(path);
    expect(again.memoryBytes).toBe(0);
    expect(again.get(pieces[7]!.sha)).toBeUndefined();
    expect(await again.load(pieces[7]!.sha)).toEqual(pieces[7]!.data);
    expect(await again.holdingsCount("a", 1)).toBe(100);
    await again.close();
  });

  test("file databases use WAL; in-memory ones cannot", async () => {
    const file = await ChunkStore.open(dbPath());
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(file.db);
    expect(mode.rows[0]?.journal_mode).toBe("wal");
    expect(file.runtime).toBe("bun");
    await file.close();
    const mem = await ChunkStore.open(":memory:");
    const memMode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(mem.db);
    expect(memMode.rows[0]?.journal_mode).toBe("memory");
    await mem.close();
  });

  test("all six tables exist and reopening does not recreate them", async () => {
    const path = dbPath();
    await (await ChunkStore.open(path)).close();
    const store = await ChunkStore.open(path);
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(store.db);
    expect(tables.rows.map((r) => r.name)).toEqual(["checkpoints", "chunks", "events", "holdings", "manifests", "rounds"]);
    await store.close();
  });
});

describe("ChunkStore flush failure", () => {
  test("a failed flush puts its rows back on the queue", async () => {
    const store = await ChunkStore.open(":memory:");
    const p = pieces[0]!;
    store.put("a", p.key, p.sha, p.data);
    await sql`alter table holdings rename to holdings_away`.execute(store.db);
    await expect(store.flush()).rejects.toThrow();
    expect(store.queuedRows).toBe(2);
    store.release("a", 1);
    expect(await store.load(p.sha)).toEqual(p.data); // still queued
    await sql`alter table holdings_away rename to holdings`.execute(store.db);
    await store.flush();
    expect(store.queuedRows).toBe(0);
    expect(await store.holdingsCount("a", 1)).toBe(1);
    expect(await store.load(p.sha)).toEqual(p.data);
    await store.close();
  });
});

describe("ChunkStore pruneReleased", () => {
  const chunkRows = async (path: string) => {
    const again = await ChunkStore.open(path);
    const n = (await again.load(pieces[0]!.sha)) ? 1 : 0;
    await again.close();
    return n;
  };

  test("a released round's rows and orphaned bytes leave SQLite; bytes another holder still has stay", async () => {
    const path = dbPath();
    const store = await ChunkStore.open(path, { pruneReleased: true });
    for (const p of pieces.slice(0, 10)) store.put("a", p.key, p.sha, p.data);
    store.put("b", pieces[0]!.key, pieces[0]!.sha, pieces[0]!.data);
    await store.flush();
    expect(await store.holdingsCount("a", 1)).toBe(10);
    store.release("a", 1);
    expect(store.queuedRows).toBe(1 + 9); // one (holder, round) and nine digests nobody holds any more
    await store.flush();
    expect(await store.holdingsCount("a", 1)).toBe(0);
    expect(await store.holdingsCount("b", 1)).toBe(1);
    expect(await store.load(pieces[0]!.sha)).toEqual(pieces[0]!.data); // b still holds it
    expect(await store.load(pieces[5]!.sha)).toBeUndefined(); // gone from memory and SQLite
    store.release("b", 1);
    await store.close();
    expect(await chunkRows(path)).toBe(0);
  });

  test("rows released before their first flush are never left behind; a digest stored again keeps its row", async () => {
    const store = await ChunkStore.open(":memory:", { pruneReleased: true });
    const [p, q] = [pieces[1]!, pieces[2]!];
    store.put("a", p.key, p.sha, p.data);
    store.put("a", q.key, q.sha, q.data);
    store.release("a", 1); // never flushed
    store.put("c", { ...q.key, round: 2 }, q.sha, q.data); // q comes back in another round
    await store.flush();
    expect(await store.holdingsCount("a", 1)).toBe(0);
    expect(await store.load(p.sha)).toBeUndefined();
    store.release("c", 2);
    expect(await store.load(q.sha)).toEqual(q.data); // still queued for deletion, so read from SQLite
    await store.flush();
    expect(await store.load(q.sha)).toBeUndefined();
    await store.close();
  });

  test("without pruning SQLite archives released pieces (the default)", async () => {
    const store = await ChunkStore.open(":memory:");
    store.put("a", pieces[3]!.key, pieces[3]!.sha, pieces[3]!.data);
    store.release("a", 1);
    await store.flush();
    expect(await store.load(pieces[3]!.sha)).toEqual(pieces[3]!.data);
    await store.close();
  });
});
