import type { RemoteView, RoundState } from "./round-state.ts";

/** Picker tunables. @see DESIGN §6 */
export interface PickerOptions {
  /**
   * How much chunk importance bends rarest-first: score = (1 + weight × importance/maxImportance(origin)) /
   * availability. 0 is plain rarest-first. @default 1
   */
  importanceWeight: number;
  /** Give pieces of origins we already started a strict priority, to finish them (fewer partial origins). @default false */
  finishStartedOrigins: boolean;
  /** Most sessions one piece may be requested from at once in endgame. @default 2 */
  endgameRequestersMax: number;
  /** In endgame a piece is re-requested only once its request is this many times its expected wait old. @default 2 */
  endgameStaleFactor: number;
}

export const defaultPickerOptions: PickerOptions = {
  importanceWeight: 1,
  finishStartedOrigins: false,
  endgameRequestersMax: 2,
  endgameStaleFactor: 2,
};

/** When and from whom each piece was last requested; kept by the node beside the round state. */
export interface RequestClock {
  at: number[];
  expectedWaitMs: number[];
}

export interface Pick {
  pieces: number[];
  /** True when every needed piece is already requested somewhere (endgame applies). */
  endgame: boolean;
}

/**
 * Chooses up to `capacity` pieces to request from one remote: rarest-first weighted by importance, seeded
 * tie-breaks; when every missing piece is already requested (endgame), stale requests are duplicated to this
 * remote. Pure: reads the state, changes only the lazily-compacted `needed` list.
 */
export function pickPieces(
  state: RoundState,
  view: RemoteView,
  capacity: number,
  reqClock: RequestClock,
  now: number,
  opts: PickerOptions,
  /** A slow remote is only asked for pieces no other neighbour holds: everything else comes faster elsewhere. */
  uniqueOnly = false,
): Pick {
  if (capacity <= 0) return { pieces: [], endgame: false };
  const needed = state.needed;
  let w = 0;
  let unrequested = 0;
  const best: number[] = [];
  const bestScore: number[] = [];
  for (let i = 0; i < needed.length; i++) {
    const p = needed[i]!;
    if (state.have[p]) continue;
    needed[w++] = p;
    if (state.requested[p]! > 0) continue;
    unrequested++;
    if (!view.has[p] || (uniqueOnly && state.availability[p]! > 1)) continue;
    const s = score(state, p, opts);
    insertTop(best, bestScore, p, s, capacity, state.tiebreak);
  }
  needed.length = w;
  if (best.length > 0 || unrequested > 0) return { pieces: best, endgame: false };

  // Endgame: everything missing is requested somewhere. Duplicate only requests that are overdue.
  for (const p of needed) {
    if (!view.has[p] || view.inflight.has(p)) continue;
    if (state.requested[p]! >= opts.endgameRequestersMax) continue;
    const age = now - (reqClock.at[p] ?? now);
    if (age < opts.endgameStaleFactor * (reqClock.expectedWaitMs[p] ?? 0)) continue;
    insertTop(best, bestScore, p, age, capacity, state.tiebreak);
  }
  return { pieces: best, endgame: true };
}

function score(state: RoundState, p: number, opts: PickerOptions): number {
  const info = state.pieceOrigin[p]!;
  const maxImp = info.maxImportance;
  const imp = maxImp > 0 ? state.importance[p]! / maxImp : 0;
  let s = (1 + opts.importanceWeight * imp) / Math.max(1, state.availability[p]!);
  if (opts.finishStartedOrigins && info.haveCount > 0) s += 1e6;
  return s;
}

/** Keeps `best` sorted by descending score (ties: lower tiebreak first), at most `cap` long. */
function insertTop(best: number[], bestScore: number[], p: number, s: number, cap: number, tiebreak: number[]): void {
  let i = best.length;
  while (i > 0) {
    const q = best[i - 1]!;
    const qs = bestScore[i - 1]!;
    if (qs > s || (qs === s && tiebreak[q]! <= tiebreak[p]!)) break;
    i--;
  }
  if (i >= cap) return;
  best.splice(i, 0, p);
  bestScore.splice(i, 0, s);
  if (best.length > cap) {
    best.pop();
    bestScore.pop();
  }
}
