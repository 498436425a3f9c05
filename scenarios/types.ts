import type { AggregationFactory } from "../plugins/aggregation/types.ts";
import type { DeviceFactory } from "../plugins/devices/types.ts";
import type { FaultFactory } from "../plugins/faults/types.ts";
import type { ImportanceFactory } from "../plugins/importance/types.ts";
import type { TopologyFactory } from "../plugins/topology/types.ts";

/** Model architecture (pure data). */
export type ModelConfig = { kind: "mlp"; hidden: readonly number[] } | { kind: "cnn" };

/** How the training examples are dealt to peers. */
export type SplitConfig = { kind: "iid" } | { kind: "dirichlet"; alpha: number };

/** Where the examples come from (pure data). */
export type DataConfig =
  | {
      source: "mnist";
      split: SplitConfig;
      /** Examples held out per digit for the test set (the rest trains). @default 200 (→ 2000 test, 8000 train) */
      testPerDigit: number;
    }
  | {
      source: "synthetic";
      split: SplitConfig;
      /** Training examples in all (dealt to peers). */
      trainExamples: number;
      testExamples: number;
      features: number;
      classes: number;
    };

export interface TrainingConfig {
  /** Local epochs per round. @default 2 */
  epochs: number;
  /** @default 10 */
  batchSize: number;
  /** Plain SGD. @default 0.2 */
  learningRate: number;
}

export interface SwarmConfig {
  /** Largest chunk in floats; bigger tensors are split into equal parts. @default 16384 (64 KiB) */
  maxChunkFloats: number;
  /** Coverage at the deadline that allows a partial aggregation (the `hasEnoughChunks` guard). @default 0.7 */
  minCompletion: number;
  /** Time in the swarm state before the deadline guard runs. @default 60000 */
  deadlineMs: number;
  /** One extra wait when coverage is below minCompletion at the deadline. @default 15000 */
  graceMs: number;
  /**
   * Which origins a peer gathers and aggregates: "all" (every peer's update: FLTorrent's all-gather) or
   * "neighbours" (its own and its topology neighbours': gossip / D-PSGD, about degree × M per peer per round).
   * @default "all"
   */
  scope: "all" | "neighbours";
}

/** Named timeouts of the round machine (DESIGN §4). */
export interface TimeoutsConfig {
  /** Waiting for the tracker's admission, per attempt. @default 10000 */
  joinMs: number;
  /** Admission attempts before `failed`. @default 5 */
  joinRetries: number;
  /** Waiting for every assigned neighbour. @default 10000 */
  connectMs: number;
  /** Connect attempts with no neighbour at all before `failed`. @default 6 */
  connectRetries: number;
  /** Local training (scaled by the device's compute speed). @default 120000 */
  trainMs: number;
}

export type ClockKind = "virtual" | "real";
export type TransportKind = "memory" | "websocket";
export type BackendChoice = "auto" | "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";

/** A scenario after validation, with every default filled in. */
export interface Scenario {
  name: string;
  description: string;
  peers: number;
  rounds: number;
  seed: number;
  clock: ClockKind;
  /** memory needs the virtual clock; websocket needs the real one. */
  transport: TransportKind;
  backend: BackendChoice;
  model: ModelConfig;
  data: DataConfig;
  training: TrainingConfig;
  swarm: SwarmConfig;
  timeouts: TimeoutsConfig;
  topology: TopologyFactory;
  importance: ImportanceFactory;
  devices: DeviceFactory;
  aggregation: AggregationFactory;
  /** Faults injected into the run (crash, byzantine, partition, …), in order. @default [] */
  faults: readonly FaultFactory[];
}
