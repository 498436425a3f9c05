/**
 * Finding and loading scenario files: a path, or the name of a scenario shipped in this folder. Whatever a
 * file exports by default is validated again (validate.ts), so a hand-written object gets the same checks.
 */
import { readdirSync, statSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Scenario } from "./types.ts";
import { describeValue, isPlainObject, isScenarioDefinition, ScenarioError, validateScenario } from "./validate.ts";

const shippedDir = dirname(fileURLToPath(import.meta.url));
/** Files of the scenarios folder that are not scenarios. */
const notScenarios = new Set(["define.ts", "defaults.ts", "index.ts", "load.ts", "types.ts", "validate.ts"]);

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
