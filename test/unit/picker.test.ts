import { describe, expect, test } from "bun:test";
import { SeededRng } from "../../runtime/rng.ts";
import type { Manifest } from "../../swarm/messages.ts";
import { defaultPickerOptions, pickPieces, type PickerOptions, type RequestClock } from "../../swarm/picker.ts";
import { RoundState } from "../../swarm/round-state.ts";

/** The remote we pick for; other session ids only add availability or hold requests. */
const remote = 1;
const other = 2;

function manifest(origin: string, importance: readonly number[]): Manifest {
  return {
    t: "manifest",
    round: 0,
    origin,
    layoutHash: new Uint8Array(32),
    sampleCount: 1,
    sig: new Uint8Array(0),
    chunks: importance.map((imp, index) => ({ index, bytes: 10, sha256: new Uint8Array(32).fill(index), importance: imp })),
  };
}

/**
 * One origin whose pieces have the given availability (counting `remote`, which holds every piece unless `has`
 * says otherwise) and importance.
 */
function world(opts: { availability: number[]; importance?: number[]; has?: number[]; seed?: number }) {
  const n = opts.availability.length;
  const rs = new RoundState(0, new SeededRng(opts.seed ?? 1));
  rs.addManifest(manifest("o", opts.importance ?? new Array(n).fill(1)), false);
  const v = rs.view(remote);
  const has = new Set(opts.has ?? [...Array(n).keys()]);
  for (let p = 0; p < n; p++) {
    let need = opts.availability[p]!;
    if (has.has(p)) {
      rs.markRemoteHas(v, p);
      need--;
    }
    for (let k = 0; k < need; k++) rs.markRemoteHas(rs.view(100 + k), p);
  }
  expect(rs.availability).toEqual(opts.availability);
  return { rs, v };
}

const clock = (): RequestClock => ({ at: [], expectedWaitMs: [] });
const opts = (o: Partial<PickerOptions> = {}): PickerOptions => ({ ...defaultPickerOptions, ...o });

/** Records a request for piece p to session `sid` sent at `at`, as the node does. */
function request(rs: RoundState, sid: number, p: number, rc: RequestClock, at: number, waitMs: number): void {
  rs.view(sid).inflight.set(p, at);
  rs.requested[p]!++;
  rc.at[p] = at;
  rc.expectedWaitMs[p] = waitMs;
}

describe("picker: rarest first", () => {
  test("lower availability is chosen first", () => {
    const { rs, v } = world({ availability: [5, 1, 3, 2, 4, 6] });
    for (const importanceWeight of [0, 1]) {
      expect(pickPieces(rs, v, 6, clock(), 0, opts({ importanceWeight })).pieces).toEqual([1, 3, 2, 4, 0, 5]);
      expect(pickPieces(rs, v, 2, clock(), 0, opts({ importanceWeight })).pieces).toEqual([1, 3]);
    }
  });

  test("importance bends the order when its weight is > 0, and not at 0", () => {
    // p0: rarer but unimportant; p1: twice as common, ten times as important.
    const { rs, v } = world({ availability: [1, 2], importance: [0.1, 1] });
    expect(pickPieces(rs, v, 2, clock(), 0, opts({ importanceWeight: 0 })).pieces).toEqual([0, 1]);
    // (1 + 3×0.1)/1 = 1.3 < (1 + 3×1)/2 = 2
    expect(pickPieces(rs, v, 2, clock(), 0, opts({ importanceWeight: 3 })).pieces).toEqual([1, 0]);
  });

  test("importance is normalised per origin: scale alone changes nothing", () => {
    const a = world({ availability: [1, 2], importance: [0.1, 1] });
    const b = world({ availability: [1, 2], importance: [100, 1000] });
    const o = opts({ importanceWeight: 3 });
    expect(pickPieces(b.rs, b.v, 2, clock(), 0, o).pieces).toEqual(pickPieces(a.rs, a.v, 2, clock(), 0, o).pieces);
  });

  test("only pieces the remote has; none it has → nothing, and no endgame", () => {
    const { rs, v } = world({ availability: [1, 1, 2, 1, 3], has: [2, 4] });
    expect(pickPieces(rs, v, 5, clock(), 0, opts()).pieces).toEqual([2, 4]);
    const none = world({ availability: [1, 1], has: [] });
    expect(pickPieces(none.rs, none.v, 5, clock(), 0, opts())).toEqual({ pieces: [], endgame: false });
  });

  test("pieces already held or already requested are not picked again", () => {
    const { rs, v } = world({ availability: [1, 2, 3, 4] });
    const rc = clock();
    rs.markHave(0);
    request(rs, other, 1, rc, 0, 1000);
    expect(pickPieces(rs, v, 4, rc, 0, opts()).pieces).toEqual([2, 3]);
  });

  test("capacity is respected", () => {
    const { rs, v } = world({ availability: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3] });
    expect(pickPieces(rs, v, 0, clock(), 0, opts()).pieces).toEqual([]);
    expect(pickPieces(rs, v, -1, clock(), 0, opts()).pieces).toEqual([]);
    expect(pickPieces(rs, v, 3, clock(), 0, opts()).pieces).toHaveLength(3);
    const all = pickPieces(rs, v, 100, clock(), 0, opts()).pieces;
    expect(all).toHaveLength(10);
    expect(new Set(all).size).toBe(10);
  });

  test("ties are broken by the seeded per-piece tiebreak: same seed, same order", () => {
    const n = 12;
    const order = (seed: number) => {
      const { rs, v } = world({ availability: new Array(n).fill(2), seed });
      const picked = pickPieces(rs, v, n, clock(), 0, opts()).pieces;
      const byTiebreak = [...Array(n).keys()].sort((a, b) => rs.tiebreak[a]! - rs.tiebreak[b]!);
      expect(picked).toEqual(byTiebreak);
      return picked.join(",");
    };
    expect(order(7)).toBe(order(7));
    const orders = new Set([1, 2, 3, 4, 5].map(order));
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe("picker: endgame", () => {
  /** Four pieces, all held by `remote`, all already requested from `other`. */
  function allRequested() {
    const w = world({ availability: [2, 2, 2, 2] });
    const rc = clock();
    for (let p = 0; p < 4; p++) request(w.rs, other, p, rc, 0, 1000);
    return { ...w, rc };
  }

  test("not while a needed piece is unrequested, even one this remote lacks", () => {
    const { rs, v, rc } = allRequested();
    rs.view(other).inflight.delete(3);
    rs.requested[3] = 0;
    v.has[3] = 0;
    rs.availability[3] = 1;
    // Requests 0..2 are long stale, but piece 3 is not requested anywhere: not endgame.
    expect(pickPieces(rs, v, 4, rc, 1e6, opts())).toEqual({ pieces: [], endgame: false });
  });

  test("duplicates only requests at least factor × expected wait old", () => {
    const { rs, v, rc } = allRequested();
    rc.at[0] = 0; // age 2000 = 2 × 1000: stale (the boundary counts)
    rc.at[1] = 500; // age 1500 < 2000: fresh
    rc.at[2] = 100; // age 1900, but expected wait 100: stale
    rc.expectedWaitMs[2] = 100;
    rc.at[3] = 1; // age 1999 < 2000: fresh
    const pick = pickPieces(rs, v, 4, rc, 2000, opts({ endgameStaleFactor: 2 }));
    expect(pick.endgame).toBe(true);
    expect(pick.pieces.sort()).toEqual([0, 2]);
    // A larger factor makes them all fresh.
    expect(pickPieces(rs, v, 4, rc, 2000, opts({ endgameStaleFactor: 25 })).pieces).toEqual([]);
  });

  // ENGINE BUG (swarm/picker.ts, endgame loop: `insertTop(best, bestScore, p, -age, ...)`): insertTop keeps the
  // highest score first, so scoring by −age duplicates the *youngest* stale request first; when capacity is short
  // the most overdue piece waits longest. Expected: oldest (most overdue) first.
  test("when capacity is short, the most overdue request is duplicated first", () => {
    const { rs, v, rc } = allRequested();
    rc.at[0] = 0; // age 10 000
    rc.at[1] = 5000; // age 5 000
    rc.at[2] = 7000; // age 3 000
    rc.at[3] = 9000; // age 1 000: fresh (< 2 × 1000)
    expect(pickPieces(rs, v, 1, rc, 10_000, opts()).pieces).toEqual([0]);
    expect(pickPieces(rs, v, 3, rc, 10_000, opts()).pieces).toEqual([0, 1, 2]);
  });

  test("capacity and endgameRequestersMax bound the duplicates", () => {
    const { rs, v, rc } = allRequested();
    expect(pickPieces(rs, v, 2, rc, 1e6, opts()).pieces).toHaveLength(2);
    request(rs, 3, 0, rc, 0, 1000); // piece 0 is now asked of two sessions
    const pick = pickPieces(rs, v, 4, rc, 1e6, opts({ endgameRequestersMax: 2 }));
    expect(pick.endgame).toBe(true);
    expect(pick.pieces).not.toContain(0);
    expect(pick.pieces.sort()).toEqual([1, 2, 3]);
  });

  test("never picks a piece already in flight to the same remote", () => {
    const { rs, v, rc } = allRequested();
    // Piece 1 is stale at `other`, and also in flight (stale) to this remote itself.
    request(rs, remote, 1, rc, 0, 1000);
    rs.view(other).inflight.delete(2); // piece 2 only in flight to this remote
    rs.requested[2]!--;
    request(rs, remote, 2, rc, 0, 1000);
    const pick = pickPieces(rs, v, 4, rc, 1e6, opts({ endgameRequestersMax: 4 }));
    expect(pick.endgame).toBe(true);
    expect(pick.pieces.sort()).toEqual([0, 3]);
    for (const p of pick.pieces) expect(v.inflight.has(p)).toBe(false);
  });

  test("held pieces are never duplicated", () => {
    const { rs, v, rc } = allRequested();
    rs.markHave(0);
    rs.markHave(2);
    expect(pickPieces(rs, v, 4, rc, 1e6, opts()).pieces.sort()).toEqual([1, 3]);
  });
});

