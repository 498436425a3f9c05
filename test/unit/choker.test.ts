import { describe, expect, test } from "bun:test";
import { SeededRng } from "../../runtime/rng.ts";
import { Choker, type ChokeCandidate, type ChokerOptions } from "../../swarm/choker.ts";

const options = (o: Partial<ChokerOptions> = {}): ChokerOptions => ({
  regularSlots: 3,
  optimisticSlots: 1,
  rechokeIntervalMs: 1000,
  optimisticEveryRechokes: 3,
  ...o,
});

/** Peers 1..n, interested, rate = 100 × id (so higher id = better uploader). */
function peers(n: number, uninterested: readonly number[] = []): ChokeCandidate[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, interested: !uninterested.includes(i + 1), rate: 100 * (i + 1) }));
}

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

describe("choker", () => {
  test("unchokes the top-rate interested peers plus one optimistic slot among the rest", () => {
    const c = new Choker(new SeededRng(1), options());
    for (let r = 0; r < 10; r++) {
      const u = c.rechoke(peers(8));
      expect(u.size).toBe(4);
      for (const top of [8, 7, 6]) expect(u.has(top)).toBe(true);
      const optimistic = sorted(u).filter((id) => id < 6);
      expect(optimistic).toHaveLength(1);
    }
  });

  test("with fewer interested peers than slots, every interested peer is unchoked", () => {
    const c = new Choker(new SeededRng(1), options({ regularSlots: 8 }));
    expect(sorted(c.rechoke(peers(5)))).toEqual([1, 2, 3, 4, 5]);
  });

  test("uninterested peers never take a slot, however fast and however many slots are free", () => {
    const c = new Choker(new SeededRng(2), options({ regularSlots: 3, optimisticSlots: 2 }));
    const cands = peers(8, [8, 6, 2]);
    for (let r = 0; r < 30; r++) {
      const u = c.rechoke(cands);
      for (const id of [8, 6, 2]) expect(u.has(id)).toBe(false);
      for (const top of [7, 5, 4]) expect(u.has(top)).toBe(true);
      expect(u.size).toBe(5);
    }
    const idle = new Choker(new SeededRng(2), options({ regularSlots: 8 }));
    expect(idle.rechoke(peers(4, [1, 2, 3, 4])).size).toBe(0);
  });

  test("the optimistic slot stays for optimisticEveryRechokes rechokes, then rotates among the rest", () => {
    const every = 3;
    const c = new Choker(new SeededRng(3), options({ optimisticEveryRechokes: every }));
    const picks: number[] = [];
    for (let r = 0; r < every * 40; r++) {
      const u = c.rechoke(peers(8));
      picks.push(sorted(u).find((id) => id < 6)!);
    }
    for (let w = 0; w < picks.length; w += every) {
      const window = picks.slice(w, w + every);
      expect(new Set(window).size).toBe(1); // constant within a rotation period
    }
    // Over 40 rotations among the 5 others, each of them gets the slot.
    expect([...new Set(picks)].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  test("an optimistic peer that loses interest is replaced at once", () => {
    const c = new Choker(new SeededRng(4), options({ optimisticEveryRechokes: 100 }));
    const first = sorted(c.rechoke(peers(8))).find((id) => id < 6)!;
    const next = c.rechoke(peers(8, [first]));
    expect(next.has(first)).toBe(false);
    expect(sorted(next).filter((id) => id < 6)).toHaveLength(1);
  });

  test("ties in rate are broken by the seed; same seed, same choices", () => {
    const tied = (n: number): ChokeCandidate[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, interested: true, rate: 500 }));
    const run = (seed: number) => {
      const c = new Choker(new SeededRng(seed), options({ regularSlots: 2, optimisticSlots: 1 }));
      const out: string[] = [];
      for (let r = 0; r < 12; r++) {
        const u = c.rechoke(r % 2 ? tied(10) : peers(10));
        expect(u.size).toBe(3);
        out.push(sorted(u).join(","));
      }
      return out.join("|");
    };
    expect(run(9)).toBe(run(9));
    expect(new Set([1, 2, 3, 4, 5].map(run)).size).toBeGreaterThan(1);
  });

  test("hasFreeSlot counts regular and optimistic slots", () => {
    const c = new Choker(new SeededRng(1), options({ regularSlots: 3, optimisticSlots: 1 }));
    expect(c.hasFreeSlot(3)).toBe(true);
    expect(c.hasFreeSlot(4)).toBe(false);
  });
});
