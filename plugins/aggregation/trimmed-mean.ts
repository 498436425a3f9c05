import type { ChunkSpec } from "../../learn/types.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import type { Contribution } from "./types.ts";

export interface TrimmedMeanOptions {
  /**
   * Fraction dropped at each end, per coordinate: the ⌊trim·n⌋ smallest and as many largest values go. In
   * [0, 0.5). Up to ⌊trim·n⌋ Byzantine values per coordinate are tolerated, so set it at or above the expected
   * Byzantine fraction (0.1 tolerates none among fewer than 10 contributions). @default 0.1
   */
  trim?: number;
}

/**
 * trimmedMean({ trim }): coordinate-wise trimmed mean (Yin et al. 2018). Unweighted: sample counts come from
 * the senders' own manifests, so in a Byzantine setting they are attacker-controlled and would let one origin
 * outweigh the trimming. The kept values are summed in float64 in ascending order, so the result depends only on
 * the multiset of values, not on which origin sent which.
 */
export function trimmedMean(opts: TrimmedMeanOptions = {}): PluginFactory<"aggregation"> {
  const trim = opts.trim ?? 0.1;
  if (typeof trim !== "number" || !(trim >= 0 && trim < 0.5)) {
    throw new Error(`trimmedMean.trim: expected a number in [0, 0.5), got ${String(trim)}`);
  }
  return brand("aggregation", "trimmedMean", { trim }, () => ({
    name: "trimmedMean",
    aggregate: (_chunk: ChunkSpec, contributions) => trimmedMeanChunk(contributions, trimCount(trim, contributions.length)),
  }));
}

/**
 * How many values to drop at each end: ⌊trim·n⌋, kept below n/2 so at least one value survives. The 1e-9 absorbs
 * the binary rounding of decimal fractions (0.29 · 100 is 28.999…96 in float64), so the count is the one the
 * decimal the user wrote gives.
 */
export function trimCount(trim: number, n: number): number {
  return Math.min(Math.floor(trim * n + 1e-9), Math.floor((n - 1) / 2));
}

/**
 * Per coordinate: sorts the n values, drops `perSide` at each end, and returns the mean of the rest, summed in
 * float64 in ascending order and rounded to float32 once. `perSide = ⌊(n − 1) / 2⌋` is the median.
 */
export function trimmedMeanChunk(contributions: readonly Contribution[], perSide: number): Float32Array {
  const n = contributions.length;
  const length = sharedLength("trimmedMean", contributions);
  if (!Number.isInteger(perSide) || perSide < 0 || 2 * perSide >= n) {
    throw new RangeError(`trimmedMean: cannot drop ${perSide} of ${n} values at each end`);
  }
  const kept = n - 2 * perSide;
  const column = new Float64Array(n);
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) {
    for (let i = 0; i < n; i++) column[i] = contributions[i]!.data[j]!;
    column.sort(); // numeric, −0 before +0: a total order on finite values, so ties cannot depend on input order
    let sum = column[perSide]!; // starting from the first kept value (not 0) keeps a lone −0 a −0
    for (let i = perSide + 1; i < n - perSide; i++) sum += column[i]!;
    out[j] = sum / kept;
  }
  return out;
}

/** The chunk length all contributions share. None, or lengths that disagree, are programmer errors: the caller screens both. */
export function sharedLength(rule: string, contributions: readonly Contribution[]): number {
  const first = contributions[0];
  if (!first) throw new RangeError(`${rule}: contributions must be non-empty`);
  const length = first.data.length;
  for (const c of contributions) {
    if (c.data.length !== length) throw new RangeError(`${rule}: ${c.origin} has ${c.data.length} values, expected ${length}`);
  }
  return length;
}
