import { brand, isPlugin, type PluginFactory } from "../plugin.ts";
import { fedavg as fedavgFactory, fedavgChunk } from "./fedavg.ts";

/** fedavg(): sample-weighted FedAvg per chunk (see ./fedavg.ts), branded for scenarios. */
export function fedavg(): PluginFactory<"aggregation"> {
  const factory = fedavgFactory();
  return isPlugin(factory, "aggregation") ? factory : brand("aggregation", "fedavg", undefined, factory);
}

export { fedavgChunk };
export type { AggregationDeps, AggregationFactory, AggregationPlugin, Contribution } from "./types.ts";
