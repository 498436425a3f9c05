import type { Rng } from "../../runtime/rng.ts";
import type { ChunkLayout } from "../../learn/types.ts";

/** What an importance plugin sees for one peer's update in one round. */
export interface ImportanceInput {
  round: number;
  layout: ChunkLayout;
  /** The model the peer started the round from (flat weights). */
  before: Float32Array;
  /** The model after local training (flat weights): the update is `after − before`. */
  after: Float32Array;
}

export interface ImportancePlugin {
  readonly name: string;
  /** One finite, non-negative score per chunk of `input.layout`, in chunk order. */
  score(input: ImportanceInput): number[];
}

/** Narrow dependencies an importance plugin gets (second stage of the two-stage factory). */
export interface ImportanceDeps {
  rng: Rng;
}

export type ImportanceFactory = (deps: ImportanceDeps) => ImportancePlugin;
