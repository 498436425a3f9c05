import type { ChunkSpec } from "../../learn/types.ts";
import type { AggregationFactory, Contribution } from "./types.ts";

/**
 * Sample-weighted mean of one chunk: Σ samplesᵢ·xᵢ / Σ samplesᵢ, accumulated in float64 in the order given
 * (the caller's fixed origin order) and rounded to float32 once, so equal inputs give bit-equal outputs.
 */
export function fedavgChunk(contributions: readonly Contribution[]): Float32Array {
  const first = contributions[0];
  if (!first) throw new RangeError("fedavg: contributions must be non-empty");
  const length = first.data.length;
  const acc = new Float64Array(length);
  let total = 0;
  for (const c of contributions) {
    if (c.data.length !== length) throw new RangeError(`fedavg: ${c.origin} has ${c.data.length} values, expected ${length}`);
    total += c.samples;
    for (let j = 0; j < length; j++) acc[j]! += c.samples * c.data[j]!;
  }
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) out[j] = acc[j]! / total;
  return out;
}

/** fedavg(): FedAvg per chunk (McMahan et al.), FLTorrent's default. */
export function fedavg(): AggregationFactory {
  return () => ({
    name: "fedavg",
    aggregate: (_chunk: ChunkSpec, contributions) => fedavgChunk(contributions),
  });
}
