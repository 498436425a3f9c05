/**
 * Picks and loads the tfjs backend (DESIGN §8): tfjs-node-gpu, then tfjs-node (both optional: their install
 * downloads libtensorflow), then wasm, then cpu. tfjs backends are global to the process, so this module
 * holds the one active choice; every Trainer runs on it.
 *
 * The wasm backend lacks a kernel that CNN training needs (Conv2DBackpropFilter) and has slow ones on the training
 * path (Conv2DBackpropInput, transposed BatchMatMul); we register JS kernels for wasm that read and write its
 * heap directly and hand the arithmetic to its fast plain BatchMatMul (see wasm-kernels.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
// The core bundle registers no gradients; training needs them all.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { registeredWasmJsKernels, registerWasmJsKernels } from "./wasm-kernels.ts";

export { conv2DBackpropFilterJs } from "./wasm-kernels.ts";

export type BackendName = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export type Tf = typeof tf;

export interface LoadedBackend {
  name: BackendName;
  tf: Tf;
}

/** Preference order for "auto". */
const autoOrder: readonly BackendName[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];

/**
 * Optional packages imported by a name held in a variable, so neither tsc nor bun resolves them at build
 * time: a missing package is an ordinary runtime failure that "auto" skips.
 */
const nodePackages: Record<"tensorflow-gpu" | "tensorflow", string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
};

let active: LoadedBackend | undefined;
/** Serialises concurrent initBackend calls: loading is async and global. */
let pending: Promise<LoadedBackend> | undefined;
let wasmPathsSet = false;

/**
 * Loads a backend and makes it the process's tfjs backend; returns the tfjs namespace to use.
 *
 * - "auto": the backend already active if there is one, else the first of tfjs-node-gpu, tfjs-node, wasm,
 *   cpu that loads.
 * - a name: that backend, or an Error naming it and why it could not load. Asking for a different backend
 *   than the active one SWITCHES the whole process to it (tf.setBackend): Trainers created earlier keep
 *   working (tfjs moves their variables on first use), at the new backend's speed. Tests use this to compare
 *   backends; the product calls it once at startup.
 */
export async function initBackend(prefer: "auto" | BackendName = "auto"): Promise<LoadedBackend> {
  while (pending) await pending.catch(() => undefined);
  if (active && (prefer === "auto" || prefer === active.name)) return active;
  pending = prefer === "auto" ? loadFirst() : load(prefer);
  try {
    active = await pending;
    return active;
  } finally {
    pending = undefined;
  }
}

/** One line for the CLI, e.g. "wasm (tfjs 4.22.0, JS kernels: Conv2DBackpropFilter)". */
export function describeBackend(): string {
  if (!active) return `none yet (tfjs ${tf.version_core})`;
  const kernels = registeredWasmJsKernels();
  const extras = active.name === "wasm" && kernels.length > 0 ? `, JS kernels: ${kernels.join(", ")}` : "";
  return `${active.name} (tfjs ${tf.version_core}${extras})`;
}

async function loadFirst(): Promise<LoadedBackend> {
  const failures: string[] = [];
  for (const name of autoOrder) {
    try {
      return await load(name);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  throw new Error(`no tfjs backend could be loaded:\n  ${failures.join("\n  ")}`);
}

async function load(name: BackendName): Promise<LoadedBackend> {
  if (name === "tensorflow" || name === "tensorflow-gpu") {
    const other = name === "tensorflow" ? "tensorflow-gpu" : "tensorflow";
    if (active?.name === other) throw new Error(`backend "${name}": "${other}" is already loaded; both register as tfjs "tensorflow", so one process cannot hold both`);
    const pkg = nodePackages[name];
    try {
      await import(/* @vite-ignore */ pkg);
    } catch (err) {
      throw new Error(`backend "${name}" unavailable: ${pkg} could not be loaded (${firstLine(err)}); install it with \`npm i ${pkg}\` (it downloads libtensorflow)`);
    }
    await activate(name, "tensorflow");
  } else if (name === "wasm") {
    let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
    try {
      wasm = await import("@tensorflow/tfjs-backend-wasm");
    } catch (err) {
      throw new Error(`backend "wasm" unavailable: @tensorflow/tfjs-backend-wasm could not be loaded (${firstLine(err)})`);
    }
    if (!wasmPathsSet) {
      // Single-threaded binary: the threaded one needs workers and COOP/COEP, and would make runs depend on
      // thread scheduling. The binaries sit in the package's dist folder, found from here, not from cwd.
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      wasm.setWasmPaths(wasmDistDir());
      wasmPathsSet = true;
    }
    registerWasmJsKernels();
    await withoutNewProcessHandlers(() => activate(name, "wasm"));
  } else {
    try {
      await import("@tensorflow/tfjs-backend-cpu");
    } catch (err) {
      throw new Error(`backend "cpu" unavailable: @tensorflow/tfjs-backend-cpu could not be loaded (${firstLine(err)})`);
    }
    await activate(name, "cpu");
  }
  // tfjs warnings (the cpu backend's "install tfjs-node" banner, kernel notices) would write into the TUI.
  // Set only after a successful load so a failed one still shows tfjs's reason on the console.
  tf.env().set("PROD", true);
  return { name, tf };
}

async function activate(name: BackendName, tfName: string): Promise<void> {
  let ok: boolean;
  // tfjs reports why a backend failed only as a warning, which PROD (set after an earlier load) would hide.
  const prod = tf.env().getBool("PROD");
  tf.env().set("PROD", false);
  try {
    ok = await tf.setBackend(tfName);
    await tf.ready();
  } catch (err) {
    throw new Error(`backend "${name}" failed to initialise: ${firstLine(err)}`);
  } finally {
    tf.env().set("PROD", prod);
  }
  if (!ok || tf.getBackend() !== tfName) {
    throw new Error(`backend "${name}" failed to initialise (tf.setBackend("${tfName}") returned false; tfjs logged the reason above)`);
  }
}

/**
 * Runs `f`, then removes the process-wide error handlers it added. Emscripten's node glue (the wasm backend)
 * installs `uncaughtException` / `unhandledRejection` handlers that rethrow, which would override the
 * application's own handling of both.
 */
async function withoutNewProcessHandlers(f: () => Promise<void>): Promise<void> {
  const proc = globalThis.process;
  const events = ["uncaughtException", "unhandledRejection"] as const;
  const before = events.map((e) => new Set(proc?.listeners(e) ?? []));
  try {
    await f();
  } finally {
    for (const [i, e] of events.entries()) {
      for (const listener of proc?.listeners(e) ?? []) {
        if (!before[i]!.has(listener)) proc.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
  }
}

/** The package's dist folder, with a trailing slash (setWasmPaths concatenates file names to it). */
function wasmDistDir(): string {
  const entry = fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
  return `${dirname(entry)}/`;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0] ?? message;
}
