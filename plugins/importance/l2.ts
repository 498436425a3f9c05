import type { ChunkLayout } from "../../learn/types.ts";
import { brand, type PluginFactory } from "../plugin.ts";
import { checkOptionNames, checkShapes, nonDefault, numberOption, toScore, type ImportanceInput } from "./types.ts";

export interface L2Options {
  /**
   * How much more a deeper tensor's chunk counts: its score is multiplied by 1 + depthFactor × depth, where
   * depth runs from 0 (the layout's first tensor) to 1 (its last). Negative values favour the first layers;
   * ≥ −1 keeps every factor ≥ 0. @default 0
   */
  depthFactor?: number;
}

const defaults = { depthFactor: 0 };

/**
 * l2({ depthFactor }): a chunk matters as much as the Euclidean length of its update, ‖after − before‖₂ over
 * the chunk divided by √(chunk length) — the root mean square change, so chunks of different sizes compare —
 * times the depth factor. Accumulated in float64; non-finite results score 0; capped at `importanceMax`.
 */
export function l2(opts: L2Options = {}): PluginFactory<"importance"> {
  checkOptionNames("l2", opts, Object.keys(defaults));
  const depthFactor = numberOption("l2", "depthFactor", opts.depthFactor, defaults.depthFactor, -1);
  return brand("importance", "l2", nonDefault({ depthFactor }, defaults), () => ({
    name: "l2",
    score: (input) => rootMeanSquareChange(input, depthFactor),
  }));
}

/** One score per chunk: RMS of the chunk's update × (1 + depthFactor × its tensor's depth). */
export function rootMeanSquareChange(input: ImportanceInput, depthFactor: number): number[] {
  checkShapes("l2", input);
  const { layout, before, after } = input;
  const depth = tensorDepths(layout);
  return layout.chunks.map((chunk) => {
    if (chunk.length === 0) return 0;
    let squares = 0;
    for (let i = chunk.start, end = chunk.start + chunk.length; i < end; i++) squares += (after[i]! - before[i]!) ** 2;
    return toScore(Math.sqrt(squares / chunk.length) * (1 + depthFactor * depth.get(chunk.tensor)!));
  });
}

/**
 * Each tensor's position among the layout's tensors (in order of first appearance), scaled to [0, 1]: the first
 * is 0, the last 1; a one-tensor layout is all 0.
 */
export function tensorDepths(layout: ChunkLayout): Map<string, number> {
  const position = new Map<string, number>();
  for (const chunk of layout.chunks) if (!position.has(chunk.tensor)) position.set(chunk.tensor, position.size);
  const last = Math.max(1, position.size - 1);
  for (const [name, k] of position) position.set(name, k / last);
  return position;
}
