import { brand, type PluginFactory } from "../plugin.ts";
import { checkOptionNames, checkShapes, chunkMeans, intOption, nonDefault, probeExamplesMax, requireProbe, type ImportanceInput } from "./types.ts";

export interface FisherOptions {
  /**
   * Examples of the peer's shard the Fisher is estimated over (fewer when the shard is smaller). Each costs one
   * backward pass. @default 32
   */
  examples?: number;
}

const defaults = { examples: 32 };

/**
 * fisher({ examples }): a chunk matters as much as the loss is curved along its weights — the mean over the
 * chunk of the diagonal empirical Fisher information E[g²] at the trained weights (`after`), estimated from
 * `examples` of the peer's own examples (as in EWC, Kirkpatrick et al., 2017). Needs `input.probe`;
 * non-finite results score 0; capped at `importanceMax`.
 */
export function fisher(opts: FisherOptions = {}): PluginFactory<"importance"> {
  checkOptionNames("fisher", opts, Object.keys(defaults));
  const examples = intOption("fisher", "examples", opts.examples, defaults.examples, 1, probeExamplesMax);
  return brand("importance", "fisher", nonDefault({ examples }, defaults), () => ({
    name: "fisher",
    score: (input) => fisherDiagonal(input, examples),
  }));
}

/** One score per chunk: the mean of the diagonal Fisher estimate over the chunk. */
export function fisherDiagonal(input: ImportanceInput, examples: number): number[] {
  const f = requireProbe("fisher", input).squaredGradient(examples);
  checkShapes("fisher", input, { "probe.squaredGradient": f });
  return chunkMeans(input, (i) => f[i]!);
}
