/**
 * Validation of scenarios (STYLE 11): the data parts against effect's Schema (ranges, unknown keys), the plugin
 * slots by their brand, then the defaults and the rules that span fields (defaults.ts). A bad scenario throws
 * one `ScenarioError` naming every bad field.
 */
import { Formatter, Result, Schema, SchemaIssue } from "effect";
import { isPlugin, type PluginKind } from "../plugins/plugin.ts";
import { pieceBytesMax } from "../swarm/limits.ts";
import { fillDefaults } from "./defaults.ts";
import type { Scenario } from "./types.ts";

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
  scope: opt(Schema.Literals(["all", "neighbours"])),
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
  faults: opt(Schema.Unknown),
});

export type Decoded = typeof ScenarioSchema.Type;

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

export const show = (v: unknown) => Formatter.format(v);
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
  faults: "crash({ fraction: 0.3, atRound: 2 })",
};

export function describeValue(v: unknown): string {
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
  const faults = d.faults;
  if (faults !== undefined) {
    if (!Array.isArray(faults)) issues.push({ path: "faults", message: `expected an array of fault plugins such as [${pluginExamples.faults}], got ${describeValue(faults)}` });
    else
      faults.forEach((f: unknown, i: number) => {
        if (!isPlugin(f, "faults")) issues.push({ path: `faults[${i}]`, message: `expected a fault plugin such as ${pluginExamples.faults}, got ${describeValue(f)}` });
      });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Resolution: decode → plugins → defaults → rules across fields

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** `{ seed: undefined }` means "not set", as it would in TypeScript; only plain objects are walked. */
function dropUndefined(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = dropUndefined(x);
  return out;
}

const decode = Schema.decodeUnknownResult(ScenarioSchema, { errors: "all", onExcessProperty: "error", reportInput: true });

/** Decodes, checks the plugins, fills the defaults and brands the result; `source` labels the messages. */
export function resolveScenario(raw: unknown, source?: string): ScenarioDefinition {
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
  const { scenario, rules } = fillDefaults(d);
  issues.push(...rules);
  if (issues.length > 0) throw ScenarioError.invalid(label, issues, source);
  Object.defineProperty(scenario, definedMark, { value: { transportDefaulted: d.transport === undefined } satisfies ScenarioMark });
  return scenario as ScenarioDefinition;
}

export function isScenarioDefinition(value: unknown): value is ScenarioDefinition {
  return typeof value === "object" && value !== null && definedMark in value;
}

/** The scenario as an input again: a transport that was only defaulted stays unset, so a new clock can pick it. */
export function asInput(s: Scenario): Record<string, unknown> {
  const input: Record<string, unknown> = { ...s };
  if (isScenarioDefinition(s) && s[definedMark].transportDefaulted) delete input["transport"];
  return input;
}

/** Validates a scenario, or anything a scenario file exported, into a resolved `Scenario`. */
export function validateScenario(value: unknown, source?: string): ScenarioDefinition {
  return resolveScenario(isScenarioDefinition(value) ? asInput(value) : value, source);
}
