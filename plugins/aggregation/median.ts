import type { ChunkSpec } from "../../learn/types.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import { sharedLength, trimmedMeanChunk } from "./trimmed-mean.ts";
import type { Contribution } from "./types.ts";

/**
 * median(): coordinate-wise median (Yin et al. 2018), unweighted for the reason trimmedMean is (sample counts are
 * the senders' claims). With an even count it is the mean of the two middle values, taken in float64 (so two
 * values near the float32 maximum do not overflow) and rounded to float32 once. Depends only on the multiset of
 * values. Tolerates up to ⌈n/2⌉ − 1 Byzantine values per coordinate.
 */
export function median(): PluginFactory<"aggregation"> {
  return brand("aggregation", "median", undefined, () => ({
    name: "median",
    aggregate: (_chunk: ChunkSpec, contributions) => medianChunk(contributions),
  }));
}

export function medianChunk(contributions: readonly Contribution[]): Float32Array {
  sharedLength("median", contributions);
  return trimmedMeanChunk(contributions, Math.floor((contributions.length - 1) / 2));
}
