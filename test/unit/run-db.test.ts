import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { countRunEvents, readRunEvents } from "../../telemetry/run-db-read.ts";
import { RunDb } from "../../telemetry/run-db.ts";
import { FakeScheduler } from "./fake-scheduler.ts";

const dir = mkdtempSync(join(tmpdir(), "fltorrent-run-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbCount = 0;
const dbPath = () => join(dir, `run-${dbCount++}.db`);

/** Yields to the event loop (no clock involved) until `ok` holds: writes finish in promise callbacks. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 100; turn++) {
    if (ok()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never: ${what}`);
}

/** Lets every write already started run to its end. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function readAll(path: string, pageSize?: number): Promise<TelemetryEvent[]> {
  const out: TelemetryEvent[] = [];
  for await (const event of readRunEvents(path, pageSize === undefined ? {} : { pageSize })) out.push(event);
  return out;
}

/** One event of every type (both shapes of the optional fields). */
const everyType: TelemetryEvent[] = [
  { type: "run.started", t: 0, scenario: "ring-20", clock: "virtual", peers: 20, rounds: 3, seed: 42 },
  { type: "peer.device", t: 1, peer: "p01", device: "phone-4g" },
  { type: "peer.state", t: 2, peer: "p01", state: "swarm", round: 0 },
  { type: "piece.progress", t: 3, peer: "p01", round: 0, origins: ["p02"], held: [3], count: [8] },
  { type: "peer.bytes", t: 4, peer: "p01", up: 1024, down: 4096 },
  { type: "peer.round", t: 5, peer: "p01", round: 0, accuracy: 0.81, coverage: 0.875, degraded: true },
  {
    type: "round.metrics",
    t: 6,
    round: 0,
    accuracy: 0.8,
    loss: 0.51,
    coverage: { min: 0.5, median: 0.9, max: 1 },
    degradedPeers: 2,
    payloadBytes: 123_456,
    swarmMs: 2_500.5,
    roundMs: 9_000,
  },
  { type: "round.metrics", t: 6, round: 0, accuracy: 0.8, loss: 0.5, coverage: { min: 0, median: 0, max: 0 }, degradedPeers: 0, payloadBytes: 0, swarmMs: 0, roundMs: 0, peers: 7 },
  { type: "fault", t: 7, what: "tracker restarted" },
  { type: "fault", t: 7.25, peer: "p03", what: "corrupt piece" },
  { type: "ban", t: 8, peer: "p03", by: "p01", reason: "bad hash" },
  { type: "baseline", t: 9, kind: "centralized", accuracy: 0.9 },
  { type: "run.finished", t: 10 },
];

const stream = (n: number): TelemetryEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: "peer.bytes", t: i, peer: `p${i % 10}`, up: i, down: 2 * i }));

describe("RunDb recording", () => {
  test("a stream of every event type reads back equal, in order, with scope and kind columns", async () => {
    const path = dbPath();
    const db = await RunDb.create(path);
    for (const event of everyType) db.emit(event);
    await db.close();
    expect(db.written).toBe(everyType.length);
    expect(db.dropped).toBe(0);
    expect(await readAll(path)).toEqual(everyType);
    expect(await countRunEvents(path)).toBe(everyType.length);
    const raw = new Database(path, { readonly: true });
    const rows = raw.query("select scope, kind from events order by id").all() as { scope: string; kind: string }[];
    raw.close();
    expect(rows.map((r) => r.kind)).toEqual(everyType.map((e) => e.type));
    expect(rows.map((r) => r.scope)).toEqual(["run", "p01", "p01", "p01", "p01", "p01", "run", "run", "run", "p03", "p03", "run", "run"]);
  });

  test("nothing is written before the flush tick; the tick writes every queued event", async () => {
    const path = dbPath();
    const clock = new FakeScheduler();
    const db = await RunDb.create(path, { scheduler: clock, flushEveryMs: 250 });
    for (const event of stream(10)) db.emit(event);
    expect(clock.pending).toBe(1);
    expect(clock.delays).toEqual([250]);
    expect(db.pending).toBe(10);
    expect(await countRunEvents(path)).toBe(0);
    clock.fireAll();
    await until(() => db.written === 10, "the tick's flush commits");
    expect(await countRunEvents(path)).toBe(10);
    expect(db.pending).toBe(0);
    expect(clock.pending).toBe(0);
    await db.close();
  });

  test("a full batch is written at once, without waiting for the timer", async () => {
    const clock = new FakeScheduler();
    const db = await RunDb.create(dbPath(), { scheduler: clock, batchMax: 600 });
    for (const event of stream(599)) db.emit(event);
    await settle();
    expect(db.written).toBe(0);
    expect(clock.pending).toBe(1);
    db.emit(stream(600)[599]!);
    expect(clock.pending).toBe(0);
    await until(() => db.written === 600, "the full batch commits");
    await db.close();
  });

  test("beyond capacity events are dropped and counted, and onDrop fires once", async () => {
    const path = dbPath();
    const drops: number[] = [];
    const db = await RunDb.create(path, { scheduler: new FakeScheduler(), capacity: 5, onDrop: (n) => drops.push(n) });
    const events = stream(8);
    for (const event of events) db.emit(event);
    expect(db.pending).toBe(5);
    expect(db.dropped).toBe(3);
    expect(drops).toEqual([1]);
    await db.flush();
    db.emit(events[5]!);
    await db.close();
    expect(db.written).toBe(6);
    expect(await readAll(path)).toEqual([...events.slice(0, 5), events[5]!]);
  });

  test("close flushes, is idempotent, and drops what is emitted afterwards", async () => {
    const path = dbPath();
    const clock = new FakeScheduler();
    const db = await RunDb.create(path, { scheduler: clock });
    for (const event of stream(3)) db.emit(event);
    const closing = db.close();
    expect(db.close()).toBe(closing);
    db.emit(stream(4)[3]!);
    await closing;
    await db.close();
    db.emit(stream(5)[4]!);
    expect(db.written).toBe(3);
    expect(db.dropped).toBe(2);
    expect(clock.pending).toBe(0);
    expect(await countRunEvents(path)).toBe(3);
  });

  test("a file that already holds a run is refused, and left as it was", async () => {
    const path = dbPath();
    const db = await RunDb.create(path);
    db.emit(everyType[0]!);
    await db.close();
    await expect(RunDb.create(path)).rejects.toThrow(`run database ${path} already holds a run`);
    expect(await countRunEvents(path)).toBe(1);
    const empty = dbPath();
    await (await RunDb.create(empty)).close();
    const again = await RunDb.create(empty);
    await again.close();
  });

  test("a failing write goes to onError once, never out of emit, and the batch is retried", async () => {
    const path = dbPath();
    const errors: unknown[] = [];
    const clock = new FakeScheduler();
    const db = await RunDb.create(path, { scheduler: clock, onError: (e) => errors.push(e) });
    const raw = new Database(path);
    raw.run("create trigger full before insert on events begin select raise(abort, 'disk on fire'); end");
    for (const event of stream(4)) db.emit(event);
    await db.flush();
    await db.flush();
    expect(errors.map(String)).toEqual([expect.stringContaining("disk on fire")]);
    expect(db.written).toBe(0);
    expect(db.pending).toBe(4);
    expect(clock.pending).toBe(1);
    raw.run("drop trigger full");
    raw.close();
    clock.fireAll();
    await until(() => db.written === 4, "the retry commits");
    await db.close();
    expect(await readAll(path)).toEqual(stream(4));
  });

  test("without onError, close rejects with the first write error and counts what it could not write", async () => {
    const path = dbPath();
    const db = await RunDb.create(path, { scheduler: new FakeScheduler() });
    const raw = new Database(path);
    raw.run("create trigger full before insert on events begin select raise(abort, 'disk on fire'); end");
    raw.close();
    for (const event of stream(4)) db.emit(event);
    await db.flush();
    await expect(db.close()).rejects.toThrow("disk on fire");
    expect(db.dropped).toBe(4);
  });

  test("options are checked at create, naming the field", async () => {
    await expect(RunDb.create(":memory:", { capacity: 0 })).rejects.toThrow("capacity");
    await expect(RunDb.create(":memory:", { batchMax: 1.5 })).rejects.toThrow("batchMax");
  });
});

describe("reading a run back", () => {
  test("pages of any size yield every event once, in order", async () => {
    const path = dbPath();
    const db = await RunDb.create(path, { batchMax: 7 });
    const events = stream(25);
    for (const event of events) db.emit(event);
    await db.close();
    for (const pageSize of [1, 4, 5, 25, 26]) expect(await readAll(path, pageSize)).toEqual(events);
  });

  test("an empty run yields nothing", async () => {
    const path = dbPath();
    await (await RunDb.create(path)).close();
    expect(await readAll(path)).toEqual([]);
    expect(await countRunEvents(path)).toBe(0);
  });

  test("a missing path is named and not created", async () => {
    const path = join(dir, "nope.db");
    await expect(readAll(path)).rejects.toThrow(`no run database at ${path}`);
    await expect(countRunEvents(path)).rejects.toThrow(path);
    expect(existsSync(path)).toBe(false);
  });

  test("a file that is not SQLite is refused and left untouched", async () => {
    const path = join(dir, "notes.txt");
    writeFileSync(path, "not a database, just some text that is long enough\n");
    await expect(readAll(path)).rejects.toThrow(`not a run database: ${path}`);
    writeFileSync(path, "");
    await expect(readAll(path)).rejects.toThrow("not a run database");
    expect(readFileSync(path, "utf8")).toBe("");
  });

  test("a corrupted row names its id and the bad field", async () => {
    const path = dbPath();
    const db = await RunDb.create(path);
    for (const event of everyType) db.emit(event);
    await db.close();
    const raw = new Database(path);
    raw.run(`update events set body = '{"type":"peer.state","t":2,"peer":7}' where id = 3`);
    raw.close();
    const seen: TelemetryEvent[] = [];
    const read = async () => {
      for await (const event of readRunEvents(path)) seen.push(event);
    };
    await expect(read()).rejects.toThrow(`event row 3 is bad: peer: expected a string, got number`);
    expect(seen).toEqual(everyType.slice(0, 2));
    const raw2 = new Database(path);
    raw2.run(`update events set body = '{"type":' where id = 5`);
    raw2.run(`update events set body = ? where id = 3`, [JSON.stringify(everyType[2])]);
    raw2.close();
    await expect(readAll(path)).rejects.toThrow("event row 5 is bad");
  });
});
