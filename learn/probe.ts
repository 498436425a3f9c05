/**
 * The importance probe (plugins/importance/types.ts) over a Trainer: the loss around one model on one peer's
 * examples, for methods that score chunks by gradients (snip) or curvature (fisher).
 */
import type { ImportanceProbe } from "../plugins/importance/types.ts";
import type { Rng } from "../runtime/rng.ts";
import type { Trainer } from "./trainer.ts";
import type { Dataset } from "./types.ts";

export interface ProbeOptions {
  /** What computes the gradients: a Trainer (only these two methods are used, and neither touches its variables). */
  trainer: Pick<Trainer, "gradient" | "squaredGradient">;
  /**
   * The model the probe looks at (the round's trained weights): finite (the Trainer refuses NaN and ±Infinity, and
   * training never returns them), and not copied, so it must not change while the probe is used.
   */
  weights: Float32Array;
  /** The training set `shard` indexes. */
  data: Dataset;
  /** The peer's examples (indices into `data`); at least one. */
  shard: ArrayLike<number>;
  /** Draws the sample of examples, once; give each probe its own (e.g. split per peer and round). */
  rng: Rng;
}

/**
 * A probe of `weights` on `shard`. The shard is shuffled with `rng` on first use and every request takes a prefix
 * of that order (all of it when it asks for more), so the same count always means the same examples and a
 * gradient and a squared gradient of the same count see the same examples. Results are memoised per kind and
 * count and handed out as copies.
 */
export function createProbe({ trainer, weights, data, shard, rng }: ProbeOptions): ImportanceProbe {
  if (shard.length === 0) throw new RangeError("createProbe: shard is empty (the probe needs at least one example)");
  let order: number[] | undefined;
  const memo = new Map<string, Float32Array>();
  const sample = (op: string, examples: number): number[] => {
    if (!Number.isInteger(examples) || examples < 1) throw new RangeError(`probe.${op}: examples must be an integer ≥ 1, got ${examples}`);
    order ??= rng.shuffle(Array.from(shard));
    return order.slice(0, Math.min(examples, order.length));
  };
  const cached = (op: "gradient" | "squaredGradient", examples: number): Float32Array => {
    const indices = sample(op, examples);
    const key = `${op}:${indices.length}`;
    let result = memo.get(key);
    if (!result) memo.set(key, (result = trainer[op](weights, data, indices)));
    return result.slice();
  };
  return {
    gradient: (examples) => cached("gradient", examples),
    squaredGradient: (examples) => cached("squaredGradient", examples),
  };
}
