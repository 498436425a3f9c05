import { expect, test } from "bun:test";
import { CoverageMeter } from "../../actors/coverage-meter.ts";
import { Redialer } from "../../actors/redialer.ts";
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
