/**
 * The defaults of a scenario and the rules that span its fields (clock ↔ transport, kind-specific keys). Runs
 * on input that has passed the schema (validate.ts); returns the filled scenario and any rule it breaks.
 */
import { fedavg } from "../plugins/aggregation/index.ts";
import { uniform } from "../plugins/devices/uniform.ts";
import { random } from "../plugins/importance/random.ts";
import type { PluginFactory } from "../plugins/plugin.ts";
import type { ClockKind, DataConfig, ModelConfig, Scenario, SplitConfig, TransportKind } from "./types.ts";
import type { Decoded, ScenarioIssue } from "./validate.ts";

/** Defaults and the rules that span fields; `d` has passed the schema and the plugin checks ran. */
export function fillDefaults(d: Decoded): { scenario: Scenario; rules: ScenarioIssue[] } {
  const rules: ScenarioIssue[] = [];
  const clock: ClockKind = d.clock ?? "virtual";
  const transport: TransportKind = d.transport ?? (clock === "virtual" ? "memory" : "websocket");
  if (clock === "virtual" && transport === "websocket") {
    rules.push({ path: "transport", message: `"websocket" needs clock "real" (sockets run in wall time; the virtual clock only drives memory links); set clock: "real" or drop transport` });
  }
  if (clock === "real" && transport === "memory") {
    rules.push({ path: "transport", message: `"memory" needs clock "virtual" (emulated links are timed by the simulated clock); set clock: "virtual" or drop transport` });
  }

  let model: ModelConfig;
  if (d.model?.kind === "cnn") {
    if (d.model.hidden !== undefined) rules.push({ path: "model.hidden", message: `only an "mlp" has hidden layers, got kind "cnn"` });
    model = { kind: "cnn" };
  } else model = { kind: "mlp", hidden: [...(d.model?.hidden ?? [128])] };

  const s = d.data?.split;
  let split: SplitConfig;
  if (s?.kind === "iid") {
    if (s.alpha !== undefined) rules.push({ path: "data.split.alpha", message: `only a "dirichlet" split has alpha, got kind "iid"` });
    split = { kind: "iid" };
  } else split = { kind: "dirichlet", alpha: s?.alpha ?? 0.5 };

  const data = fillData(d, split, rules);
  const scenario: Scenario = {
    name: d.name,
    description: d.description ?? "",
    peers: d.peers,
    rounds: d.rounds,
    seed: d.seed ?? 1,
    clock,
    transport,
    backend: d.backend ?? "auto",
    model,
    data,
    training: { epochs: 2, batchSize: 10, learningRate: 0.2, ...d.training },
    swarm: { maxChunkFloats: 16384, minCompletion: 0.7, deadlineMs: 60_000, graceMs: 15_000, scope: "all", ...d.swarm },
    timeouts: { joinMs: 10_000, joinRetries: 5, connectMs: 10_000, connectRetries: 6, trainMs: 120_000, ...d.timeouts },
    topology: d.topology as PluginFactory<"topology">,
    importance: (d.importance as PluginFactory<"importance"> | undefined) ?? random(),
    devices: (d.devices as PluginFactory<"devices"> | undefined) ?? uniform("edge_server"),
    aggregation: (d.aggregation as PluginFactory<"aggregation"> | undefined) ?? fedavg(),
    faults: (d.faults as Array<PluginFactory<"faults">> | undefined) ?? [],
  };
  return { scenario, rules };
}

const syntheticKeys = ["trainExamples", "testExamples", "features", "classes"] as const;

function fillData(d: Decoded, split: SplitConfig, rules: ScenarioIssue[]): DataConfig {
  const x = d.data ?? {};
  if (x.source === "synthetic") {
    if (x.testPerDigit !== undefined) rules.push({ path: "data.testPerDigit", message: `only "mnist" data has testPerDigit, got source "synthetic"` });
    const trainExamples = x.trainExamples ?? 1000;
    if (trainExamples < d.peers) {
      rules.push({ path: "data.trainExamples", message: `expected at least one example per peer (≥ ${d.peers}), got ${trainExamples}` });
    }
    return { source: "synthetic", split, trainExamples, testExamples: x.testExamples ?? 200, features: x.features ?? 20, classes: x.classes ?? 4 };
  }
  for (const k of syntheticKeys) {
    if (x[k] !== undefined) rules.push({ path: `data.${k}`, message: `only "synthetic" data has ${k}, got source "mnist"` });
  }
  return { source: "mnist", split, testPerDigit: x.testPerDigit ?? 200 };
}
