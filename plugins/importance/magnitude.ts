import { brand, type PluginFactory } from "../plugin.ts";
import { checkOptionNames, checkShapes, chunkMeans, intOption, nonDefault, numberOption, toScore, type ImportanceInput } from "./types.ts";

/** Rounds of history one instance keeps: bounds its memory at windowMax × chunks numbers per peer. */
export const magnitudeWindowMax = 64;

export interface MagnitudeOptions {
  /**
   * Rounds the score looks back over, this one included (an integer in [1, 64]). With 1 the score is this
   * round's mean |Δw| alone. @default 1
   */
  window?: number;
  /**
   * Weight of the spread across the window: score = mean + varianceWeight × standard deviation of the chunk's
   * per-round magnitudes, so a chunk whose movement is erratic ranks higher. Finite, ≥ 0. @default 0
   */
  varianceWeight?: number;
}

const defaults = { window: 1, varianceWeight: 0 };

/**
 * magnitude({ window, varianceWeight }): a chunk matters as much as its weights moved — the mean |after − before|
 * over the chunk's floats, accumulated in float64. With `window` > 1 each instance (one per peer) remembers the
 * per-chunk magnitudes of the last `window` rounds it scored and scores their mean plus `varianceWeight` × their
 * standard deviation; scoring the same round again replaces that round's entry, and a new layout starts the
 * history over. A chunk whose magnitude is not finite (NaN or ±Infinity in the update) counts as 0; scores are
 * capped at `importanceMax`.
 */
export function magnitude(opts: MagnitudeOptions = {}): PluginFactory<"importance"> {
  checkOptionNames("magnitude", opts, Object.keys(defaults));
  const window = intOption("magnitude", "window", opts.window, defaults.window, 1, magnitudeWindowMax);
  const varianceWeight = numberOption("magnitude", "varianceWeight", opts.varianceWeight, defaults.varianceWeight, 0);
  return brand("importance", "magnitude", nonDefault({ window, varianceWeight }, defaults), () => {
    if (window === 1) return { name: "magnitude", score: meanAbsoluteChange };
    const history = new MagnitudeHistory(window);
    return {
      name: "magnitude",
      score: (input) => history.score(input.round, input.layout.chunks.length, meanAbsoluteChange(input), varianceWeight),
    };
  });
}

/** One score per chunk of `input.layout`, in chunk order: finite, in [0, importanceMax]. */
export function meanAbsoluteChange(input: ImportanceInput): number[] {
  checkShapes("magnitude", input);
  const { before, after } = input;
  return chunkMeans(input, (i) => Math.abs(after[i]! - before[i]!));
}

/** The last `window` rounds' per-chunk magnitudes of one peer, oldest first. */
class MagnitudeHistory {
  private readonly rounds: Array<{ round: number; values: readonly number[] }> = [];
  private chunks = -1;

  constructor(private readonly window: number) {}

  score(round: number, chunks: number, values: readonly number[], varianceWeight: number): number[] {
    if (chunks !== this.chunks) {
      this.rounds.length = 0;
      this.chunks = chunks;
    }
    if (this.rounds.at(-1)?.round === round) this.rounds.pop();
    this.rounds.push({ round, values });
    if (this.rounds.length > this.window) this.rounds.shift();
    const n = this.rounds.length;
    return values.map((_, c) => {
      let sum = 0;
      for (const r of this.rounds) sum += r.values[c]!;
      const mean = sum / n;
      let squares = 0;
      for (const r of this.rounds) squares += (r.values[c]! - mean) ** 2;
      return toScore(mean + varianceWeight * Math.sqrt(squares / n));
    });
  }
}
