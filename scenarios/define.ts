/**
 * The scenario DSL (STYLE 11: scenarios are data plus plugin factories). `defineScenario({...})` is typed like
 * a `defineConfig`, fills every default and validates: data parts with effect's Schema (ranges, unknown keys),
 * plugin slots by their brand, then the rules that span fields (clock ↔ transport). A bad scenario throws one
 * `ScenarioError` naming every bad field. `loadScenario` validates again whatever a file exports.
 */
import { readdirSync, statSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Formatter, Result, Schema, SchemaIssue } from "effect";
import { fedavg } from "../plugins/aggregation/index.ts";
import { uniform } from "../plugins/devices/uniform.ts";
import { random } from "../plugins/importance/random.ts";
import { describePlugin, isPlugin, type PluginFactory, type PluginKind } from "../plugins/plugin.ts";
import { pieceBytesMax } from "../swarm/limits.ts";
import type { BackendChoice, ClockKind, DataConfig, ModelConfig, Scenario, SplitConfig, SwarmConfig, TimeoutsConfig, TrainingConfig, TransportKind } from "./types.ts";

export type { Scenario } from "./types.ts";

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
}

/** Overrides a CLI applies on top of a scenario file (`--peers`, `--rounds`, `--seed`, `--clock`). */
export interface ScenarioOverrides {
  peers?: number;
  rounds?: number;
  seed?: number;
  clock?: ClockKind;
}

const definedMark: unique symbol = Symbol.for("fltorrent.scenario");
interface ScenarioMark {
  /** The transport was not written, so a clock override may switch it. */
  transportDefaulted: boolean;
}

/** A validated scenario with every default filled, branded so `loadScenario` and `applyOverrides` know it. */
export interface ScenarioDefinition extends Scenario {
  readonly [definedMark]: ScenarioMark;
}

export interface ScenarioIssue {
  /** Dotted path of the bad field ("swarm.minCompletion", "model.hidden[1]"); "" for the scenario itself. */
  readonly path: string;
  readonly message: string;
}

/** A scenario that is wrong or cannot be found or loaded. The message names the scenario and every bad field. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  /** The scenario's name when known. */
  readonly scenario: string | undefined;
  readonly issues: readonly ScenarioIssue[];

  constructor(message: string, opts: { scenario?: string | undefined; issues?: readonly ScenarioIssue[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.scenario = opts.scenario;
    this.issues = opts.issues ?? [];
  }

  /** One line per issue: `scenario "mesh-100" (source): swarm.minCompletion: expected …, got 1.5`. */
  static invalid(scenario: string | undefined, issues: readonly ScenarioIssue[], source?: string): ScenarioError {
    const head = `scenario ${scenario === undefined ? "<unnamed>" : JSON.stringify(scenario)}${source ? ` (${source})` : ""}`;
    const message = issues.map((i) => `${head}: ${i.path ? `${i.path}: ` : ""}${i.message}`).join("\n");
    return new ScenarioError(message, { scenario, issues });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Limits (each with its reason)

/** A run name is a file-name and log-scope token; the wire's id limit is a fine bound. */
const nameLengthMax = 64;
/** One process simulates up to this many peers (tested scale); the wire allows more origins. */
const peersMax = 1000;
/** A run longer than this is a mistake (a loop counter, not a setting). */
const roundsMax = 10_000;
/** Timeouts above a day are unit mistakes (seconds multiplied twice), not settings. */
const msMax = 86_400_000;
/** A chunk travels as one piece, so it must fit in one. */
const maxChunkFloatsMax = pieceBytesMax / Float32Array.BYTES_PER_ELEMENT;
/** The smallest digit class of the `mnist` package has 863 examples; every digit keeps some for training. */
const testPerDigitMax = 800;
/** Labels are stored as bytes (Dataset.y is a Uint8Array). */
const classesMax = 256;
/** Synthetic sets live in memory; above this the test is no longer "fast". */
const syntheticExamplesMax = 1_000_000;
const syntheticFeaturesMax = 100_000;
/** MLPs here are small; deeper or wider is a typo more often than a plan. */
const hiddenLayersMax = 16;
const hiddenUnitsMax = 65_536;
const epochsMax = 1000;
const batchSizeMax = 65_536;
const retriesMax = 1000;

// ---------------------------------------------------------------------------------------------------------
// Schema of the data parts (every key optional except name/peers/rounds; defaults are filled afterwards)

const checked = (expected: string, ok: (n: number) => boolean) =>
  Schema.Number.annotate({ expected }).check(Schema.makeFilter((n: number) => ok(n), { expected }));
const intIn = (lo: number, hi: number) => checked(`an integer in [${lo}, ${hi}]`, (n) => Number.isInteger(n) && n >= lo && n <= hi);
const positive = checked("a finite number > 0", (n) => Number.isFinite(n) && n > 0);
const ms = intIn(1, msMax);
const opt = Schema.optionalKey;

const nameExpected = `a name of lowercase letters, digits and dashes (e.g. "mesh-100"), at most ${nameLengthMax} characters`;
const NameSchema = Schema.String.annotate({ expected: nameExpected }).check(
  Schema.makeFilter((s: string) => /^[a-z0-9][a-z0-9-]*$/.test(s) && s.length <= nameLengthMax, { expected: nameExpected }),
);

const ModelSchema = Schema.Struct({
  kind: opt(Schema.Literals(["mlp", "cnn"])),
  hidden: opt(
    Schema.Array(intIn(1, hiddenUnitsMax)).check(
      Schema.makeFilter((a: readonly number[]) => a.length <= hiddenLayersMax, { expected: `at most ${hiddenLayersMax} hidden layers` }),
    ),
  ),
});

const SplitSchema = Schema.Struct({ kind: opt(Schema.Literals(["iid", "dirichlet"])), alpha: opt(positive) });

const DataSchema = Schema.Struct({
  source: opt(Schema.Literals(["mnist", "synthetic"])),
  split: opt(SplitSchema),
  testPerDigit: opt(intIn(1, testPerDigitMax)),
  trainExamples: opt(intIn(1, syntheticExamplesMax)),
  testExamples: opt(intIn(1, syntheticExamplesMax)),
  features: opt(intIn(1, syntheticFeaturesMax)),
  classes: opt(intIn(2, classesMax)),
});

const TrainingSchema = Schema.Struct({ epochs: opt(intIn(1, epochsMax)), batchSize: opt(intIn(1, batchSizeMax)), learningRate: opt(positive) });

const SwarmSchema = Schema.Struct({
  maxChunkFloats: opt(intIn(1, maxChunkFloatsMax)),
  minCompletion: opt(checked("a number in (0, 1]", (n) => n > 0 && n <= 1)),
  deadlineMs: opt(ms),
  graceMs: opt(ms),
  scope: opt(Schema.Literal("all")),
});

const TimeoutsSchema = Schema.Struct({
  joinMs: opt(ms),
  joinRetries: opt(intIn(1, retriesMax)),
  connectMs: opt(ms),
  connectRetries: opt(intIn(1, retriesMax)),
  trainMs: opt(ms),
});

const required = (what: string) => ({ messageMissingKey: `missing; expected ${what}` });

const ScenarioSchema = Schema.Struct({
  name: NameSchema.annotateKey(required(nameExpected)),
  description: opt(Schema.String),
  peers: intIn(2, peersMax).annotateKey(required(`an integer in [2, ${peersMax}]`)),
  rounds: intIn(1, roundsMax).annotateKey(required(`an integer in [1, ${roundsMax}]`)),
  seed: opt(checked("an integer in [0, 4294967295] (uint32)", (n) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff)),
  clock: opt(Schema.Literals(["virtual", "real"])),
  transport: opt(Schema.Literals(["memory", "websocket"])),
  backend: opt(Schema.Literals(["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"])),
  model: opt(ModelSchema),
  data: opt(DataSchema),
  training: opt(TrainingSchema),
  swarm: opt(SwarmSchema),
  timeouts: opt(TimeoutsSchema),
  // Plugin slots are checked by their brand (checkPlugins), not by the schema.
  topology: opt(Schema.Unknown),
  importance: opt(Schema.Unknown),
  devices: opt(Schema.Unknown),
  aggregation: opt(Schema.Unknown),
});

type Decoded = typeof ScenarioSchema.Type;

/** Known keys per object path, for "unknown key; did you mean …" messages. */
const knownKeys: Record<string, readonly string[]> = {
  "": Object.keys(ScenarioSchema.fields),
  model: Object.keys(ModelSchema.fields),
  data: Object.keys(DataSchema.fields),
  "data.split": Object.keys(SplitSchema.fields),
  training: Object.keys(TrainingSchema.fields),
  swarm: Object.keys(SwarmSchema.fields),
  timeouts: Object.keys(TimeoutsSchema.fields),
};

const show = (v: unknown) => Formatter.format(v);
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const unknownKey = "unknown key";

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (issue) => {
    if (issue._tag === "UnexpectedKey") return unknownKey;
    if (issue._tag === "MissingKey") return issue.annotations?.messageMissingKey ?? "missing (required)";
    if (issue._tag === "InvalidType") {
      const expected = issue.ast.annotations?.["expected"];
      if (typeof expected === "string") return `expected ${expected}, got ${show(issue.input)}`;
    }
    return lowerFirst(SchemaIssue.defaultLeafHook(issue));
  },
});

function pathText(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string {
  let out = "";
  for (const seg of path) {
    const key = typeof seg === "object" ? seg.key : seg;
    out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  }
  return out;
}

function schemaIssues(issue: SchemaIssue.Issue): ScenarioIssue[] {
  return formatIssue(issue).issues.map(({ path, message }) => {
    const at = pathText(path ?? []);
    if (message !== unknownKey) return { path: at, message: lowerFirst(message) };
    const key = String(path?.at(-1) ?? "");
    const known = knownKeys[pathText((path ?? []).slice(0, -1))] ?? [];
    const near = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    return { path: at, message: near ? `unknown key; did you mean "${near}"?` : `unknown key (known: ${known.join(", ")})` };
  });
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------------------------------------
// Plugin slots

const pluginExamples: Record<PluginKind, string> = {
  topology: "mesh({ degree: 6 })",
  importance: "magnitude()",
  devices: 'uniform("edge_server")',
  aggregation: "fedavg()",
};

function describeValue(v: unknown): string {
  if (isPlugin(v)) return `${v.pluginKind} plugin ${v.pluginName}`;
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}, which has no plugin brand`;
  return show(v);
}

function checkPlugins(d: Decoded): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  for (const kind of ["topology", "importance", "devices", "aggregation"] as const) {
    const v = d[kind];
    const expected = `expected ${kind === "importance" || kind === "aggregation" ? "an" : "a"} ${kind} plugin such as ${pluginExamples[kind]}`;
    if (v === undefined) {
      if (kind === "topology") issues.push({ path: kind, message: `missing; ${expected}` });
    } else if (!isPlugin(v, kind)) {
      const hint = typeof v === "function" && !isPlugin(v) ? " (a plugin factory is what calling a plugin returns; wrap a custom one with brand() from plugins/plugin.ts)" : "";
      issues.push({ path: kind, message: `${expected}, got ${describeValue(v)}${hint}` });
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Resolution: decode → plugins → defaults → rules across fields

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** `{ seed: undefined }` means "not set", as it would in TypeScript; only plain objects are walked. */
function dropUndefined(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = dropUndefined(x);
  return out;
}

const decode = Schema.decodeUnknownResult(ScenarioSchema, { errors: "all", onExcessProperty: "error", reportInput: true });

function resolve(raw: unknown, source?: string): ScenarioDefinition {
  const label = isPlainObject(raw) && typeof raw["name"] === "string" ? raw["name"] : undefined;
  if (!isPlainObject(raw)) {
    throw ScenarioError.invalid(label, [{ path: "", message: `expected an object like defineScenario({...}) takes, got ${show(raw)}` }], source);
  }
  const result = decode(dropUndefined(raw));
  if (Result.isFailure(result)) {
    const plugins = checkPlugins(raw as Decoded);
    throw ScenarioError.invalid(label, [...schemaIssues(result.failure.issue), ...plugins], source);
  }
  const d = result.success;
  const issues = checkPlugins(d);
  const { scenario, rules } = fill(d);
  issues.push(...rules);
  if (issues.length > 0) throw ScenarioError.invalid(label, issues, source);
  Object.defineProperty(scenario, definedMark, { value: { transportDefaulted: d.transport === undefined } satisfies ScenarioMark });
  return scenario as ScenarioDefinition;
}

/** Defaults and the rules that span fields; `d` has passed the schema and the plugin checks ran. */
function fill(d: Decoded): { scenario: Scenario; rules: ScenarioIssue[] } {
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

// ---------------------------------------------------------------------------------------------------------
// Public API

/** Defines a scenario: fills defaults and validates now, so a bad scenario fails where it is written. */
export function defineScenario(input: ScenarioInput): ScenarioDefinition {
  return resolve(input);
}

export function isScenarioDefinition(value: unknown): value is ScenarioDefinition {
  return typeof value === "object" && value !== null && definedMark in value;
}

/** The scenario as an input again: a transport that was only defaulted stays unset, so a new clock can pick it. */
function asInput(s: Scenario): Record<string, unknown> {
  const input: Record<string, unknown> = { ...s };
  if (isScenarioDefinition(s) && s[definedMark].transportDefaulted) delete input["transport"];
  return input;
}

/** Validates a scenario, or anything a scenario file exported, into a resolved `Scenario`. */
export function validateScenario(value: unknown, source?: string): ScenarioDefinition {
  return resolve(isScenarioDefinition(value) ? asInput(value) : value, source);
}

/** Applies CLI overrides and validates the result again (e.g. `--clock real` switches a defaulted transport). */
export function applyOverrides(s: Scenario, o: ScenarioOverrides): Scenario {
  const set = Object.entries({ peers: o.peers, rounds: o.rounds, seed: o.seed, clock: o.clock }).filter(([, v]) => v !== undefined);
  if (set.length === 0) return validateScenario(s);
  const source = `overrides ${set.map(([k, v]) => `${k}=${show(v)}`).join(" ")}`;
  return resolve({ ...asInput(s), ...Object.fromEntries(set) }, source);
}

const shippedDir = dirname(fileURLToPath(import.meta.url));
/** Files of the scenarios folder that are not scenarios. */
const notScenarios = new Set(["define.ts", "index.ts", "types.ts"]);

/** Names of the scenarios shipped in this folder, sorted. */
export function listScenarios(): string[] {
  return readdirSync(shippedDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts") && !notScenarios.has(f))
    .map((f) => f.slice(0, -3))
    .sort();
}

const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() === true;

/** An existing path as given (relative to cwd), else a shipped scenario by name ("mesh-100", "mesh-100.ts", "scenarios/mesh-100.ts"). */
function locate(ref: string, cwd: string): string {
  const direct = resolvePath(cwd, ref);
  if (isFile(direct)) return direct;
  if (!ref.endsWith(".ts") && isFile(`${direct}.ts`)) return `${direct}.ts`;
  const shipped = /^(?:\.\/)?(?:scenarios\/)?([^/\\]+?)(?:\.ts)?$/.exec(ref);
  if (shipped && !notScenarios.has(`${shipped[1]}.ts`)) {
    const file = join(shippedDir, `${shipped[1]}.ts`);
    if (isFile(file)) return file;
  }
  throw new ScenarioError(`scenario ${JSON.stringify(ref)} not found: no file ${direct} and no shipped scenario by that name (shipped: ${listScenarios().join(", ")})`);
}

/** The cause in one line; Bun reports syntax errors as an AggregateError of build messages with positions. */
function causeText(err: unknown): string {
  const one = (e: unknown): string => {
    if (typeof e !== "object" || e === null) return String(e);
    const { message, position } = e as { message?: unknown; position?: { line?: number; column?: number } | null };
    const at = position?.line === undefined ? "" : ` at line ${position.line}:${position.column ?? 0}`;
    return `${message === undefined ? String(e) : String(message)}${at}`;
  };
  const errors = typeof err === "object" && err !== null && Array.isArray((err as { errors?: unknown }).errors) ? (err as { errors: unknown[] }).errors : [];
  const kind = err instanceof Error ? `${err.name}: ` : "";
  return errors.length > 0 ? errors.map(one).join("; ") : `${kind}${one(err)}`;
}

/** Loads a scenario file by name or path and validates its default export. */
export async function loadScenario(ref: string, cwd: string = process.cwd()): Promise<Scenario> {
  const file = locate(ref, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ScenarioError && err.issues.length > 0) throw ScenarioError.invalid(err.scenario, err.issues, file);
    throw new ScenarioError(`scenario file ${file} failed to load: ${causeText(err)}`, { cause: err });
  }
  if (mod["default"] === undefined) throw new ScenarioError(`scenario file ${file} has no default export; export default defineScenario({...})`);
  const value = mod["default"];
  if (!isScenarioDefinition(value) && !isPlainObject(value)) {
    throw new ScenarioError(`scenario file ${file}: the default export is not a scenario (got ${describeValue(value)}); export default defineScenario({...})`);
  }
  return validateScenario(value, file);
}

/** One line for logs: `tiny: 4 peers × 2 rounds, seed 1, virtual clock over memory, …`. */
export function describeScenario(s: Scenario): string {
  const plugin = (f: unknown) => (isPlugin(f) ? describePlugin(f) : "custom");
  const model = s.model.kind === "mlp" ? `mlp[${s.model.hidden.join(",")}]` : "cnn";
  const split = s.data.split.kind === "iid" ? "iid" : `dirichlet(${s.data.split.alpha})`;
  return (
    `${s.name}: ${s.peers} peers × ${s.rounds} rounds, seed ${s.seed}, ${s.clock} clock over ${s.transport}, ` +
    `${model} on ${s.data.source} ${split}, topology ${plugin(s.topology)}, importance ${plugin(s.importance)}, ` +
    `devices ${plugin(s.devices)}, aggregation ${plugin(s.aggregation)}`
  );
}
