import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { replayBurstMax, replayGapMaxMs, ReplayPlayer } from "../../telemetry/replay.ts";
import { readRunEvents } from "../../telemetry/run-db-read.ts";
import { RunDb } from "../../telemetry/run-db.ts";
import { FakeScheduler } from "./fake-scheduler.ts";

const dir = mkdtempSync(join(tmpdir(), "fltorrent-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const started: TelemetryEvent = { type: "run.started", t: 5_000, scenario: "s", clock: "virtual", peers: 2, rounds: 1, seed: 1 };
const fault = (t: number, what = `at ${t}`): TelemetryEvent => ({ type: "fault", t, what });

/** A player on a fake clock, recording what it delivers and when. */
function play(events: Iterable<TelemetryEvent> | AsyncIterable<TelemetryEvent>, speed?: number | "max") {
  const clock = new FakeScheduler();
  const player = new ReplayPlayer(events, speed === undefined ? { scheduler: clock } : { scheduler: clock, speed });
  const got: { at: number; event: TelemetryEvent }[] = [];
  player.subscribe((event) => got.push({ at: clock.now, event }));
  return { clock, player, got };
}

describe("ReplayPlayer", () => {
  test("delivers in order, spaced by recorded time / speed (default 10), from run.started", async () => {
    const events = [started, fault(6_000), fault(6_000, "same t"), fault(8_000), { type: "run.finished", t: 8_500 } as const];
    const { clock, player, got } = play(events);
    player.start();
    player.start();
    expect(got).toEqual([]);
    clock.advance(0);
    expect(got.map((g) => g.at)).toEqual([0]);
    clock.advance(99);
    expect(got).toHaveLength(1);
    clock.advance(1);
    expect(got.map((g) => g.at)).toEqual([0, 100, 100]);
    clock.advance(250);
    expect(got.map((g) => g.at)).toEqual([0, 100, 100, 300, 350]);
    expect(got.map((g) => g.event)).toEqual(events);
    expect(player.delivered).toBe(5);
    await player.done;
    expect(clock.pending).toBe(0);
  });

  test("a long stall is capped; time going backwards is not waited for", () => {
    const events = [started, fault(5_000 + 3_600_000), fault(5_000), fault(5_000 + 3_600_000 + 1_000), fault(5_000 + 3_600_000 + 3_000)];
    const { clock, player, got } = play(events, 1);
    player.start();
    clock.advance(10 * replayGapMaxMs);
    expect(got.map((g) => g.at)).toEqual([0, replayGapMaxMs, replayGapMaxMs, replayGapMaxMs + 1_000, replayGapMaxMs * 2 + 1_000]);
  });

  test("pause holds delivery; resume delivers what is due", () => {
    const { clock, player, got } = play([started, fault(5_100), fault(5_200)]);
    player.start();
    clock.advance(0);
    player.setPaused(true);
    expect(player.paused).toBe(true);
    clock.advance(10_000);
    expect(got).toHaveLength(1);
    player.setPaused(false);
    clock.advance(0);
    expect(got.map((g) => g.at)).toEqual([0, 10_000]);
    clock.advance(10);
    expect(got.map((g) => g.at)).toEqual([0, 10_000, 10_010]);
  });

  test('"max" delivers everything, yielding to the scheduler between bursts', async () => {
    const events = [started, ...Array.from({ length: 2 * replayBurstMax + 10 }, (_, i) => fault(6_000 + i * 1_000))];
    const { clock, player, got } = play(events, "max");
    player.start();
    clock.turn();
    expect(got).toHaveLength(replayBurstMax);
    clock.turn();
    expect(got).toHaveLength(2 * replayBurstMax);
    clock.turn();
    expect(got.map((g) => g.event)).toEqual(events);
    expect(clock.now).toBe(0);
    await player.done;
  });

  test('"max" yields between bursts for an async source too (a run DB resolves in microtasks)', async () => {
    async function* source() {
      yield started;
      for (let i = 0; i < replayBurstMax + 10; i++) yield fault(6_000 + i);
    }
    const { clock, player, got } = play(source(), "max");
    player.start();
    clock.turn();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(got).toHaveLength(replayBurstMax);
    expect(clock.pending).toBe(1);
    clock.turn();
    await player.done;
    expect(got).toHaveLength(replayBurstMax + 11);
  });

  test("an async source is played in order and done resolves after the last event", async () => {
    async function* source() {
      yield started;
      yield fault(5_500);
      yield fault(5_500, "again");
    }
    const { clock, player, got } = play(source());
    player.start();
    clock.advance(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(got).toHaveLength(1);
    clock.advance(50);
    await player.done;
    expect(got.map((g) => g.event.t)).toEqual([5_000, 5_500, 5_500]);
    expect(got.map((g) => g.at)).toEqual([0, 50, 50]);
  });

  test("a source that throws rejects done after the events before it", async () => {
    function* source() {
      yield started;
      throw new Error("disk gone");
    }
    const { clock, player, got } = play(source(), "max");
    player.start();
    clock.advance(0);
    expect(got).toHaveLength(1);
    await expect(player.done).rejects.toThrow("disk gone");
    async function* asyncSource(): AsyncGenerator<TelemetryEvent> {
      yield started;
      throw new Error("row 9 is bad");
    }
    const other = play(asyncSource(), "max");
    other.player.start();
    other.clock.advance(0);
    await expect(other.player.done).rejects.toThrow("row 9 is bad");
    expect(other.got).toHaveLength(1);
  });

  test("stop ends the replay, closes the source and resolves done", async () => {
    let closed = false;
    function* source() {
      try {
        yield started;
        yield fault(6_000);
      } finally {
        closed = true;
      }
    }
    const { clock, player, got } = play(source());
    player.start();
    clock.advance(0);
    player.stop();
    await player.done;
    clock.advance(10_000);
    expect(got).toHaveLength(1);
    expect(closed).toBe(true);
  });

  test("a throwing listener does not stop the others; an unsubscribed one gets nothing more", () => {
    const errors: unknown[] = [];
    const clock = new FakeScheduler();
    const player = new ReplayPlayer([started, fault(5_000)], { scheduler: clock, onListenerError: (e) => errors.push(e) });
    const seen: TelemetryEvent[] = [];
    let left = 0;
    player.subscribe(() => {
      throw new Error("view bug");
    });
    const leave = player.subscribe(() => left++);
    player.subscribe((event) => {
      seen.push(event);
      leave();
    });
    player.start();
    clock.advance(0);
    expect(seen).toHaveLength(2);
    expect(left).toBe(1);
    expect(errors).toHaveLength(2);
  });

  test("speed is checked", () => {
    expect(() => new ReplayPlayer([], { speed: 0 })).toThrow("speed");
    expect(() => new ReplayPlayer([], { speed: Number.NaN })).toThrow("speed");
  });

  test("a run recorded in the run DB replays equal at max speed on the real scheduler", async () => {
    const path = join(dir, "run.db");
    const recorded = [started, ...Array.from({ length: 3_000 }, (_, i) => fault(5_000 + i, `f${i}`))];
    const db = await RunDb.create(path);
    for (const event of recorded) db.emit(event);
    await db.close();
    const player = new ReplayPlayer(readRunEvents(path, { pageSize: 700 }), { speed: "max" });
    const got: TelemetryEvent[] = [];
    player.subscribe((event) => got.push(event));
    player.start();
    await player.done;
    expect(got).toEqual(recorded);
    expect(player.delivered).toBe(recorded.length);
  });
});
