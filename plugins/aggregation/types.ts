import type { ChunkSpec } from "../../learn/types.ts";

/** One origin's verified values for one chunk, with its FedAvg weight (sample count from its manifest). */
export interface Contribution {
  origin: string;
  samples: number;
  /** Read-only: may be a view of the verified bytes in the chunk store, shared with other peers. */
  data: Float32Array;
}

export interface AggregationPlugin {
  readonly name: string;
  /**
   * Reduces one chunk over the origins that arrived. `contributions` is non-empty, already in the fixed
   * origin order (sorted by origin id) and holds only finite values of the chunk's length. Must be a pure
   * function of its inputs: peers with the same pieces must get bit-identical results.
   */
  aggregate(chunk: ChunkSpec, contributions: readonly Contribution[]): Float32Array;
}

/** Aggregation plugins need nothing from the world today; the deps object keeps the two-stage shape. */
export type AggregationDeps = Record<string, never>;

export type AggregationFactory = (deps: AggregationDeps) => AggregationPlugin;
