import { importanceMax } from "../../swarm/limits.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import type { ImportanceInput } from "./types.ts";

/**
 * magnitude(): a chunk matters as much as its weights moved this round — the mean |after − before| over the
 * chunk's floats, accumulated in float64. A chunk whose mean is not finite (NaN or ±Infinity in the update)
 * scores 0, so a broken update never outranks a sound one; scores are capped at `importanceMax`.
 */
export function magnitude(): PluginFactory<"importance"> {
  return brand("importance", "magnitude", undefined, () => ({
    name: "magnitude",
    score: meanAbsoluteChange,
  }));
}

/** One score per chunk of `input.layout`, in chunk order: finite, in [0, importanceMax]. */
export function meanAbsoluteChange({ layout, before, after }: ImportanceInput): number[] {
  if (before.length !== layout.totalFloats || after.length !== layout.totalFloats) {
    throw new RangeError(`magnitude: layout has ${layout.totalFloats} floats, before ${before.length}, after ${after.length}`);
  }
  return layout.chunks.map((chunk) => {
    if (chunk.length === 0) return 0;
    let sum = 0;
    for (let i = chunk.start, end = chunk.start + chunk.length; i < end; i++) sum += Math.abs(after[i]! - before[i]!);
    const mean = sum / chunk.length;
    return Number.isFinite(mean) ? Math.min(mean, importanceMax) : 0;
  });
}
