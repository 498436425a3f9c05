import type { ChunkSpec } from "../../learn/types.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import { medianChunk } from "./median.ts";
import { sharedLength } from "./trimmed-mean.ts";
import type { Contribution } from "./types.ts";

export interface KrumOptions {
  /**
   * Byzantine contributions to tolerate per chunk; a non-negative integer, no default (it is a threat-model
   * decision). Krum's guarantee needs n > 2f + 2 contributions: a chunk with fewer falls back to the
   * coordinate-wise median, which still tolerates fewer than half.
   */
  f: number;
}

export interface MultiKrumOptions extends KrumOptions {
  /** How many of the best-scored contributions to average, a positive integer; capped at n − f per chunk. @default n − f */
  m?: number;
}

/**
 * krum({ f }) (Blanchard et al. 2017): per chunk, scores each contribution by the sum of squared L2 distances to
 * its n − f − 2 nearest others and returns a copy of the best one. Unweighted (sample counts are the senders'
 * claims). Not symmetric: among equal scores the first in the given (origin id) order wins, so the result can
 * depend on which origin sent which values, but never on arrival order. O(n²·length) per chunk.
 */
export function krum(opts: KrumOptions): PluginFactory<"aggregation"> {
  const f = checkF("krum", opts);
  return brand("aggregation", "krum", { f }, () => ({
    name: "krum",
    aggregate: (_chunk: ChunkSpec, contributions) => multiKrumChunk(contributions, f, 1),
  }));
}

/**
 * multiKrum({ f, m }) (El Mhamdi et al. 2018): scores as krum does and returns the unweighted mean of the m best,
 * summed in float64 in the given order. m = 1 is krum.
 */
export function multiKrum(opts: MultiKrumOptions): PluginFactory<"aggregation"> {
  const f = checkF("multiKrum", opts);
  const m = opts.m;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) {
    throw new Error(`multiKrum.m: expected a positive integer, got ${String(m)}`);
  }
  return brand("aggregation", "multiKrum", { f, m }, () => ({
    name: "multiKrum",
    aggregate: (_chunk: ChunkSpec, contributions) => multiKrumChunk(contributions, f, m ?? contributions.length),
  }));
}

function checkF(rule: string, opts: KrumOptions | undefined): number {
  const f = opts?.f;
  if (typeof f !== "number" || !Number.isInteger(f) || f < 0) {
    throw new Error(`${rule}.f: expected a non-negative integer, got ${String(f)}`);
  }
  return f;
}

/**
 * The mean of the min(m, n − f) best-scored contributions (ties: lower index first), or the coordinate-wise
 * median when n ≤ 2f + 2. With m = 1 it returns an exact copy of the winner.
 */
export function multiKrumChunk(contributions: readonly Contribution[], f: number, m: number): Float32Array {
  const length = sharedLength("krum", contributions);
  const n = contributions.length;
  if (n <= 2 * f + 2) return medianChunk(contributions);
  const chosen = krumSelect(krumScores(contributions, f), Math.min(m, n - f));
  const acc = Float64Array.from(contributions[chosen[0]!]!.data); // from the first chosen value, not 0: −0 stays −0
  for (const i of chosen.slice(1)) {
    const data = contributions[i]!.data;
    for (let j = 0; j < length; j++) acc[j]! += data[j]!;
  }
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) out[j] = acc[j]! / chosen.length;
  return out;
}

/**
 * Krum score of each contribution: the sum, in float64, of its squared L2 distances to its n − f − 2 nearest
 * others, added nearest first. Defined once there is a neighbour to score against (n ≥ f + 3); Krum's guarantee
 * needs n > 2f + 2, which multiKrumChunk checks before scoring.
 */
export function krumScores(contributions: readonly Contribution[], f: number): Float64Array {
  const n = contributions.length;
  const near = n - f - 2;
  if (!Number.isInteger(f) || f < 0 || near < 1) throw new RangeError(`krum: ${n} contributions cannot tolerate f = ${f}`);
  const length = sharedLength("krum", contributions);
  const dist = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    const x = contributions[a]!.data;
    for (let b = a + 1; b < n; b++) {
      const y = contributions[b]!.data;
      let d = 0;
      for (let j = 0; j < length; j++) {
        const diff = x[j]! - y[j]!;
        d += diff * diff;
      }
      dist[a * n + b] = d;
      dist[b * n + a] = d;
    }
  }
  const scores = new Float64Array(n);
  const row = new Float64Array(n - 1);
  for (let a = 0; a < n; a++) {
    for (let b = 0, k = 0; b < n; b++) if (b !== a) row[k++] = dist[a * n + b]!;
    row.sort();
    let s = 0;
    for (let k = 0; k < near; k++) s += row[k]!;
    scores[a] = s;
  }
  return scores;
}

/** Indices of the m lowest scores, ties broken by index; returned in index order. */
export function krumSelect(scores: Float64Array, m: number): number[] {
  const byScore = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]! || a - b);
  return byScore.slice(0, m).sort((a, b) => a - b);
}
