/**
 * The scenario DSL (STYLE 11: scenarios are data plus plugin factories). `defineScenario({...})` is typed like
 * a `defineConfig`, fills every default and validates (validate.ts: data parts with effect's Schema, plugin
 * slots by their brand, then the rules that span fields in defaults.ts). A bad scenario throws one
 * `ScenarioError` naming every bad field. `loadScenario` (load.ts) validates again whatever a file exports.
 *
 * This file is the DSL's entry point: scenario files, the CLI and the hosts import everything from here.
 */
import { describePlugin, isPlugin, type PluginFactory } from "../plugins/plugin.ts";
import type { BackendChoice, ClockKind, Scenario, SwarmConfig, TimeoutsConfig, TrainingConfig, TransportKind } from "./types.ts";
import { asInput, resolveScenario, show, validateScenario, type ScenarioDefinition } from "./validate.ts";

export type { Scenario } from "./types.ts";
export { isScenarioDefinition, ScenarioError, validateScenario, type ScenarioDefinition, type ScenarioIssue } from "./validate.ts";
export { listScenarios, loadScenario } from "./load.ts";

// ---------------------------------------------------------------------------------------------------------
// What users write

export type ModelInput = { kind?: "mlp"; /** Units per hidden layer. @default [128] */ hidden?: readonly number[] } | { kind: "cnn" };

/** @default { kind: "dirichlet", alpha: 0.5 } */
export type SplitInput = { kind?: "dirichlet"; /** Concentration: small = very non-IID. @default 0.5 */ alpha?: number } | { kind: "iid" };

export type DataInput =
  | { source?: "mnist"; split?: SplitInput; /** Test examples per digit. @default 200 */ testPerDigit?: number }
  | {
      source: "synthetic";
      split?: SplitInput;
      /** @default 1000 */
      trainExamples?: number;
      /** @default 200 */
      testExamples?: number;
      /** @default 20 */
      features?: number;
      /** @default 4 */
      classes?: number;
    };

/** The argument of `defineScenario`: name, peers, rounds and topology are required; the rest has defaults. */
export interface ScenarioInput {
  /** Lowercase letters, digits and dashes, e.g. "mesh-100"; names the run in logs and the run DB. */
  name: string;
  /** @default "" */
  description?: string;
  /** Integer in [2, 1000]. */
  peers: number;
  /** Integer in [1, 10000]. */
  rounds: number;
  /** Uint32; every random choice of the run derives from it. @default 1 */
  seed?: number;
  /** @default "virtual" */
  clock?: ClockKind;
  /** memory needs the virtual clock, websocket the real one. @default "memory" with a virtual clock, "websocket" with a real one */
  transport?: TransportKind;
  /** @default "auto" */
  backend?: BackendChoice;
  /** @default { kind: "mlp", hidden: [128] } */
  model?: ModelInput;
  /** @default { source: "mnist", split: { kind: "dirichlet", alpha: 0.5 }, testPerDigit: 200 } */
  data?: DataInput;
  /** Merged with { epochs: 2, batchSize: 10, learningRate: 0.2 }. */
  training?: Partial<TrainingConfig>;
  /** Merged with { maxChunkFloats: 16384, minCompletion: 0.7, deadlineMs: 60000, graceMs: 15000, scope: "all" }. */
  swarm?: Partial<SwarmConfig>;
  /** Merged with { joinMs: 10000, joinRetries: 5, connectMs: 10000, connectRetries: 6, trainMs: 120000 }. */
  timeouts?: Partial<TimeoutsConfig>;
  /** Who peers with whom, e.g. mesh({ degree: 6 }) or ring(). */
  topology: PluginFactory<"topology">;
  /** @default random() */
  importance?: PluginFactory<"importance">;
  /** @default uniform("edge_server") */
  devices?: PluginFactory<"devices">;
  /** @default fedavg() */
  aggregation?: PluginFactory<"aggregation">;
  /** Faults to inject, e.g. [crash({ fraction: 0.3, atRound: 2 })]. @default [] */
  faults?: ReadonlyArray<PluginFactory<"faults">>;
}

/** Overrides a CLI applies on top of a scenario file (`--peers`, `--rounds`, `--seed`, `--clock`). */
export interface ScenarioOverrides {
  peers?: number;
  rounds?: number;
  seed?: number;
  clock?: ClockKind;
}

// ---------------------------------------------------------------------------------------------------------
// Public API

/** Defines a scenario: fills defaults and validates now, so a bad scenario fails where it is written. */
export function defineScenario(input: ScenarioInput): ScenarioDefinition {
  return resolveScenario(input);
}

/** Applies CLI overrides and validates the result again (e.g. `--clock real` switches a defaulted transport). */
export function applyOverrides(s: Scenario, o: ScenarioOverrides): Scenario {
  const set = Object.entries({ peers: o.peers, rounds: o.rounds, seed: o.seed, clock: o.clock }).filter(([, v]) => v !== undefined);
  if (set.length === 0) return validateScenario(s);
  const source = `overrides ${set.map(([k, v]) => `${k}=${show(v)}`).join(" ")}`;
  return resolveScenario({ ...asInput(s), ...Object.fromEntries(set) }, source);
}

/** One line for logs: `tiny: 4 peers × 2 rounds, seed 1, virtual clock over memory, …`. */
export function describeScenario(s: Scenario): string {
  const plugin = (f: unknown) => (isPlugin(f) ? describePlugin(f) : "custom");
  const model = s.model.kind === "mlp" ? `mlp[${s.model.hidden.join(",")}]` : "cnn";
  const split = s.data.split.kind === "iid" ? "iid" : `dirichlet(${s.data.split.alpha})`;
  return (
    `${s.name}: ${s.peers} peers × ${s.rounds} rounds, seed ${s.seed}, ${s.clock} clock over ${s.transport}, ` +
    `${model} on ${s.data.source} ${split}, topology ${plugin(s.topology)}, importance ${plugin(s.importance)}, ` +
    `devices ${plugin(s.devices)}, aggregation ${plugin(s.aggregation)}` +
    (s.faults.length ? `, faults ${s.faults.map((f) => plugin(f)).join(" + ")}` : "")
  );
}
