import { expect, test } from "bun:test";
import { CoverageMeter } from "../../actors/coverage-meter.ts";
import { Redialer, redialCapMs } from "../../actors/redialer.ts";
import { VirtualClock } from "../../runtime/clock.ts";

test("coverage meter: ignores pieces before its round begins, reports every 2% step and exactly at minCompletion", () => {
  const seen: number[] = [];
  const m = new CoverageMeter(0.7, (c) => seen.push(c));
  for (let i = 0; i < 50; i++) m.piece(); // early pieces: no goal yet
  expect(seen).toEqual([]);
  m.begin([{ held: 0, count: 100 }, { held: 0, count: 100 }]); // 200 expected
  for (let i = 0; i < 139; i++) m.piece();
  expect(seen.at(-1)).toBeLessThan(0.7);
  m.piece(); // 140 / 200 = 0.7 exactly: reported at once, not at the next 2% step
  expect(seen.at(-1)).toBe(0.7);
  for (let i = 0; i < 60; i++) m.piece();
  expect(seen.at(-1)).toBe(1);
  expect(seen.length).toBeLessThan(60); // throttled, not one report per piece
});

test("redialer: backs off 1 s, 2 s, 4 s … up to 10 s, restarts after a connection, and stops cleanly", async () => {
  const clock = new VirtualClock();
  const dials: number[] = [];
  let wanted = true;
  const r = new Redialer(clock, { wanted: () => wanted, dial: () => (dials.push(clock.now()), r.schedule("b")) });
  r.schedule("b");
  await clock.run({ untilMs: 40_000 });
  expect(dials.slice(0, 6)).toEqual([1000, 3000, 7000, 15_000, 25_000, 35_000]);
  r.connected("b");
  wanted = false;
  await clock.run({ untilMs: 60_000 });
  expect(dials.length).toBe(6); // not wanted any more: the pending timer fires and dials nothing
  wanted = true;
  r.schedule("b");
  r.stop();
  await clock.run({ untilMs: 80_000 });
  expect(dials.length).toBe(6);
});

test("redialer: the backoff cap follows the scenario's connect timeout (half of it, within 1–10 s)", async () => {
  expect([redialCapMs(3000), redialCapMs(10_000), redialCapMs(60_000), redialCapMs(500)]).toEqual([1500, 5000, 10_000, 1000]);
  const clock = new VirtualClock();
  const dials: number[] = [];
  const r = new Redialer(clock, { wanted: () => true, dial: () => (dials.push(clock.now()), r.schedule("b")), maxMs: redialCapMs(3000) });
  r.schedule("b");
  await clock.run({ untilMs: 7000 });
  // 1 s, then 1.5 s apart: a neighbour waiting out a 3 s connect attempt sees two redials in it.
  expect(dials).toEqual([1000, 2500, 4000, 5500, 7000]);
  r.stop();
});
