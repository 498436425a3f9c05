/**
 * Compatibility check: the chunk store under Deno, through node:sqlite.
 * Run: node_modules/.bin/deno run -A test/compat/deno-sqlite.ts  (exits non-zero on any mismatch)
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { ChunkStore } from "../../store/chunk-store.ts";

let failures = 0;
function check(what: string, ok: boolean): void {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

const pieceBytes = 1024;
const pieces = Array.from({ length: 300 }, (_, i) => {
  const data = new Uint8Array(pieceBytes).map((_, j) => (i * 31 + j) & 0xff);
  new DataView(data.buffer).setUint32(0, i); // keeps pieces distinct past 256
  return { key: { round: 1, origin: "o1", index: i }, sha: new Uint8Array(createHash("sha256").update(data).digest()), data };
});

const dir = mkdtempSync(join(tmpdir(), "fltorrent-deno-sqlite-"));
try {
  const path = join(dir, "store.db");
  const store = await ChunkStore.open(path);
  check("runtime is deno", store.runtime === "deno");
  const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
  check("journal_mode is wal", mode.rows[0]?.journal_mode === "wal");

  for (const peer of ["a", "b", "c"]) for (const p of pieces) store.put(peer, p.key, p.sha, p.data);
  check("memory tier deduplicates", store.memoryBytes === pieces.length * pieceBytes);
  await store.flush();
  check("flush empties the queue", store.queuedRows === 0);
  check("holdings persisted", (await store.holdingsCount("b", 1)) === pieces.length);

  for (const peer of ["a", "b", "c"]) store.release(peer, 1);
  check("release frees memory", store.memoryBytes === 0 && store.get(pieces[0]!.sha) === undefined);
  check("load after release reads SQLite", same(await store.load(pieces[42]!.sha), pieces[42]!.data));
  await store.close();

  const again = await ChunkStore.open(path);
  check("reopened store loads chunks", same(await again.load(pieces[299]!.sha), pieces[299]!.data));
  check("reopened store counts holdings", (await again.holdingsCount("c", 1)) === pieces.length);
  await again.close();
} catch (err) {
  console.error(err);
  failures++;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures > 0) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("deno sqlite compat: all checks passed");
