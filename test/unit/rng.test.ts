import { expect, test } from "bun:test";
import { hashSeed, SeededRng } from "../../runtime/rng.ts";

test("the same seed gives the same stream; another seed another", () => {
  const a = new SeededRng(42);
  const b = new SeededRng(42);
  const c = new SeededRng(43);
  const xs = Array.from({ length: 100 }, () => a.next());
  expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
  expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
  expect(new SeededRng("mesh-100").seed).toBe(hashSeed("mesh-100"));
});

test("split children depend on the label and the parent's seed, not on how much the parent was used", () => {
  const parent = new SeededRng(7);
  const early = parent.split("peer:1").next();
  for (let i = 0; i < 1000; i++) parent.next();
  expect(parent.split("peer:1").next()).toBe(early);
  expect(parent.split("peer:2").next()).not.toBe(early);
  expect(new SeededRng(8).split("peer:1").next()).not.toBe(early);
});

test("int, range, pick and shuffle stay in bounds and cover the range", () => {
  const r = new SeededRng(1);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
  for (const n of counts) expect(n).toBeGreaterThan(850);
  for (let i = 0; i < 1000; i++) {
    const x = r.range(-2, 3);
    expect(x >= -2 && x < 3).toBe(true);
  }
  expect(["a", "b"]).toContain(r.pick(["a", "b"]));
  expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  expect(() => r.int(0)).toThrow(/n must be > 0/);
  expect(() => r.pick([])).toThrow(/empty/);
});
