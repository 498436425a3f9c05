import { brand, isPlugin, type PluginFactory } from "../plugin.ts";
import { fedavg as fedavgFactory, fedavgChunk } from "./fedavg.ts";

/** fedavg(): sample-weighted FedAvg per chunk (see ./fedavg.ts), branded for scenarios. Not robust: one origin moves it anywhere. */
export function fedavg(): PluginFactory<"aggregation"> {
  const factory = fedavgFactory();
  return isPlugin(factory, "aggregation") ? factory : brand("aggregation", "fedavg", undefined, factory);
}

export { fedavgChunk };
export { krum, krumScores, krumSelect, multiKrum, multiKrumChunk, type KrumOptions, type MultiKrumOptions } from "./krum.ts";
export { median, medianChunk } from "./median.ts";
export { trimCount, trimmedMean, trimmedMeanChunk, type TrimmedMeanOptions } from "./trimmed-mean.ts";
export type { AggregationDeps, AggregationFactory, AggregationPlugin, Contribution } from "./types.ts";
