/**
 * Picks and loads the tfjs backend (DESIGN §8): tfjs-node-gpu, then tfjs-node (both optional: their install
 * downloads libtensorflow), then wasm, then cpu. tfjs backends are global to the process, so this module
 * holds the one active choice; every Trainer runs on it.
 *
 * The wasm backend lacks a kernel that CNN training needs (Conv2DBackpropFilter) and has slow ones on the training
 * path (Conv2DBackpropInput, transposed BatchMatMul); we register JS kernels for wasm that read and write its
 * heap directly and hand the arithmetic to its fast plain BatchMatMul (see `wasmJsKernels`).
 */
import * as tf from "@tensorflow/tfjs-core";
// The core bundle registers no gradients; training needs them all.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

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
/** Names of the JS kernels registered for wasm, for describeBackend. */
const registeredJsKernels: string[] = [];

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
  const extras = active.name === "wasm" && registeredJsKernels.length > 0 ? `, JS kernels: ${registeredJsKernels.join(", ")}` : "";
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

// ---------------------------------------------------------------------------------------------------------
// JS kernels for wasm
//
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, and its Conv2DBackpropInput is a plain C++ loop (6× slower
// than the version below for our stride-2 CNN; its MaxPoolGrad is slow too, but our models do not pool). Both
// gradients become one call of wasm's fast BatchMatMul with an im2col / col2im pass in JS around it. Each kernel
// reads its inputs straight from the wasm heap and writes its output there, like the package's own kernels.

type DataId = object;

/** The slice of BackendWasm these kernels use (tfjs-backend-wasm's own kernels use the same calls). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId): boolean;
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
type Rounding = "floor" | "round" | "ceil" | undefined;
type Format = "NHWC" | "NCHW";

/** A float32 view of a tensor on the wasm heap. Take views AFTER every makeOutput: growing memory detaches them. */
function heap(backend: WasmBackendLike, info: tf.TensorInfo, kernel: string): Float32Array {
  if (info.dtype !== "float32") throw new Error(`${kernel} (JS kernel for wasm): float32 only, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Calls another wasm kernel (or the original of one we replaced) from inside a kernel. */
function callKernel(config: tf.KernelConfig | undefined, name: string, args: KernelArgs): tf.TensorInfo {
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/**
 * Reference filter gradient in plain JS, for any layout:
 * dW[r, c, i, o] = Σ_{b, yr, yc} x[b, yr·sh + r − top, yc·sw + c − left, i] · dy[b, yr, yc, o].
 * Sums accumulate in float64 like the cpu kernel's. Used for NCHW (never by our models) and by tests.
 */
export function conv2DBackpropFilterJs(x: Float32Array, dy: Float32Array, conv: tf.backend_util.Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = conv;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = conv;
  const top = conv.padInfo.top;
  const left = conv.padInfo.left;
  const last = conv.dataFormat === "channelsLast";
  // Element strides of x and dy for (batch, row, col, channel), in either layout.
  const [xb, xr, xc, xch] = last
    ? [inHeight * inWidth * inChannels, inWidth * inChannels, inChannels, 1]
    : [inChannels * inHeight * inWidth, inWidth, 1, inHeight * inWidth];
  const [db, dr, dc, dch] = last
    ? [outHeight * outWidth * outChannels, outWidth * outChannels, outChannels, 1]
    : [outChannels * outHeight * outWidth, outWidth, 1, outHeight * outWidth];
  const acc = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) {
        const dyBase = b * db + yr * dr + yc * dc;
        for (let r = 0; r < filterHeight; r++) {
          const xRow = yr * strideHeight + r - top;
          if (xRow < 0 || xRow >= inHeight) continue;
          for (let c = 0; c < filterWidth; c++) {
            const xCol = yc * strideWidth + c - left;
            if (xCol < 0 || xCol >= inWidth) continue;
            const xBase = b * xb + xRow * xr + xCol * xc;
            let w = (r * filterWidth + c) * inChannels * outChannels;
            for (let i = 0; i < inChannels; i++, w += outChannels) {
              const xv = x[xBase + i * xch]!;
              for (let o = 0; o < outChannels; o++) acc[w + o]! += xv * dy[dyBase + o * dch]!;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

/**
 * Column p of `colsT` [fh·fw·inC, b·outH·outW] is the (zero-padded) input patch under output pixel p, NHWC:
 * the transposed im2col matrix, so the matmul below needs no transposeA (10× slower in wasm's BatchMatMul).
 */
function im2colT(x: Float32Array, colsT: Float32Array, conv: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = conv;
  const { filterHeight, filterWidth, dilationHeight, dilationWidth } = conv;
  const top = conv.padInfo.top;
  const left = conv.padInfo.left;
  const rows = batchSize * outHeight * outWidth;
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++, p++) {
        let k = p;
        for (let r = 0; r < filterHeight; r++) {
          const xr = yr * strideHeight + r * dilationHeight - top;
          for (let c = 0; c < filterWidth; c++) {
            const xc = yc * strideWidth + c * dilationWidth - left;
            if (xr < 0 || xr >= inHeight || xc < 0 || xc >= inWidth) {
              for (let i = 0; i < inChannels; i++, k += rows) colsT[k] = 0;
              continue;
            }
            const base = ((b * inHeight + xr) * inWidth + xc) * inChannels;
            for (let i = 0; i < inChannels; i++, k += rows) colsT[k] = x[base + i]!;
          }
        }
      }
    }
  }
}

/** Filter gradient as one matmul: dW [fh·fw·inC, outC] = im2col(x)ᵀ [fh·fw·inC, b·outH·outW] · dy [b·outH·outW, outC]. */
function conv2DBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat: Format; dimRoundingMode: Rounding; filterShape: [number, number, number, number] };
  const format = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const conv = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, format);
  if (conv.dataFormat !== "channelsLast") {
    const dw = conv2DBackpropFilterJs(heap(backend, x, tf.Conv2DBackpropFilter), heap(backend, dy, tf.Conv2DBackpropFilter), conv);
    const out = backend.makeOutput([...conv.filterShape], "float32");
    heap(backend, out, tf.Conv2DBackpropFilter).set(dw);
    return out;
  }
  const rows = conv.batchSize * conv.outHeight * conv.outWidth;
  const patch = conv.filterHeight * conv.filterWidth * conv.inChannels;
  const colsT = backend.makeOutput([patch, rows], "float32");
  im2colT(heap(backend, x, tf.Conv2DBackpropFilter), heap(backend, colsT, tf.Conv2DBackpropFilter), conv);
  const dy2: tf.TensorInfo = { dataId: dy.dataId, shape: [rows, conv.outChannels], dtype: "float32" };
  const product = callKernel(originals.get(tf.BatchMatMul), tf.BatchMatMul, {
    inputs: { a: colsT, b: dy2 },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  backend.disposeData(colsT.dataId);
  // The product is fresh (refcount 1) and already in filter order; only its shape changes.
  return { dataId: product.dataId, shape: [...conv.filterShape], dtype: "float32" };
}

/** Adds each column of `cols` [b·outH·outW, fh·fw·inC] back onto the input pixels it was read from (NHWC). */
function col2imAdd(cols: Float32Array, dx: Float32Array, conv: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = conv;
  const { filterHeight, filterWidth, dilationHeight, dilationWidth } = conv;
  const top = conv.padInfo.top;
  const left = conv.padInfo.left;
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) {
        for (let r = 0; r < filterHeight; r++) {
          const xr = yr * strideHeight + r * dilationHeight - top;
          for (let c = 0; c < filterWidth; c++, p += inChannels) {
            const xc = yc * strideWidth + c * dilationWidth - left;
            if (xr < 0 || xr >= inHeight || xc < 0 || xc >= inWidth) continue;
            const base = ((b * inHeight + xr) * inWidth + xc) * inChannels;
            for (let i = 0; i < inChannels; i++) dx[base + i]! += cols[p + i]!;
          }
        }
      }
    }
  }
}

/**
 * Input gradient as one matmul and a scatter: dPatches [b·outH·outW, fh·fw·inC] = dy · Wᵀ, then col2im.
 * Wᵀ is built here (tiny) because BatchMatMul with transposeB is 5× slower. NCHW goes to the original.
 */
function conv2DBackpropInputKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat: Format; dimRoundingMode: Rounding; inputShape: [number, number, number, number] };
  const format = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const conv = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, format);
  if (conv.dataFormat !== "channelsLast") return callKernel(originals.get(tf.Conv2DBackpropInput), tf.Conv2DBackpropInput, args);
  const rows = conv.batchSize * conv.outHeight * conv.outWidth;
  const patch = conv.filterHeight * conv.filterWidth * conv.inChannels;
  const cout = conv.outChannels;
  const wT = backend.makeOutput([cout, patch], "float32");
  const w = heap(backend, filter, tf.Conv2DBackpropInput);
  const t = heap(backend, wT, tf.Conv2DBackpropInput);
  for (let k = 0; k < patch; k++) for (let o = 0; o < cout; o++) t[o * patch + k] = w[k * cout + o]!;
  const dy2: tf.TensorInfo = { dataId: dy.dataId, shape: [rows, cout], dtype: "float32" };
  const cols = callKernel(originals.get(tf.BatchMatMul), tf.BatchMatMul, { inputs: { a: dy2, b: wT }, backend, attrs: { transposeA: false, transposeB: false } });
  backend.disposeData(wT.dataId);
  const out = backend.makeOutput([...attrs.inputShape], "float32");
  const dx = heap(backend, out, tf.Conv2DBackpropInput);
  dx.fill(0);
  col2imAdd(heap(backend, cols, tf.Conv2DBackpropInput), dx, conv);
  backend.disposeData(cols.dataId);
  return out;
}

/** Copies the last two axes of `src` [batch, rows, cols] transposed into `dst` [batch, cols, rows]. */
function transposeInner(src: Float32Array, dst: Float32Array, batch: number, rows: number, cols: number): void {
  for (let b = 0, base = 0; b < batch; b++, base += rows * cols) {
    for (let r = 0; r < rows; r++) {
      const from = base + r * cols;
      for (let c = 0; c < cols; c++) dst[base + c * rows + r] = src[from + c]!;
    }
  }
}

/**
 * BatchMatMul with transposeA / transposeB (every matmul gradient has one) takes a path 10× slower than the
 * plain one in wasm; transposing the operand first in JS and running the plain path is far cheaper.
 */
function batchMatMulKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const original = originals.get(tf.BatchMatMul);
  if ((!transposeA && !transposeB) || a.dtype !== "float32" || b.dtype !== "float32") return callKernel(original, tf.BatchMatMul, args);
  const temps: tf.TensorInfo[] = [];
  const plain = (t: tf.TensorInfo, transpose: boolean): tf.TensorInfo => {
    if (!transpose) return t;
    const rank = t.shape.length;
    const out = backend.makeOutput([...t.shape.slice(0, -2), t.shape[rank - 1]!, t.shape[rank - 2]!], "float32");
    temps.push(out);
    return out;
  };
  const a2 = plain(a, transposeA);
  const b2 = plain(b, transposeB);
  // Views only after both allocations (an allocation may grow the heap and detach earlier views).
  for (const [src, dst] of [[a, a2], [b, b2]] as const) {
    if (src === dst) continue;
    const rank = src.shape.length;
    const batch = src.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    transposeInner(heap(backend, src, tf.BatchMatMul), heap(backend, dst, tf.BatchMatMul), batch, src.shape[rank - 2]!, src.shape[rank - 1]!);
  }
  const out = callKernel(original, tf.BatchMatMul, { inputs: { a: a2, b: b2 }, backend, attrs: { transposeA: false, transposeB: false } });
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

/** Our kernels, by the name they serve. `replaces`: wasm has a (slow) kernel of that name that we override. */
const wasmJsKernels: ReadonlyArray<{ kernelName: string; kernelFunc: (args: KernelArgs) => tf.TensorInfo; replaces: boolean }> = [
  { kernelName: tf.Conv2DBackpropFilter, kernelFunc: conv2DBackpropFilterKernel, replaces: false },
  { kernelName: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInputKernel, replaces: true },
  { kernelName: tf.BatchMatMul, kernelFunc: batchMatMulKernel, replaces: true },
];

/** The wasm package's own kernels of the names we register or call, captured before we replace any. */
const originals = new Map<string, tf.KernelConfig>();

/** Registers our kernels for wasm. Must run before tf.setBackend("wasm"), which runs the kernels' setupFuncs. */
function registerWasmJsKernels(): void {
  if (registeredJsKernels.length > 0) return;
  for (const { kernelName, kernelFunc, replaces } of wasmJsKernels) {
    const existing = tf.getKernel(kernelName, "wasm");
    if (existing) originals.set(kernelName, existing);
    if (existing && !replaces) continue;
    if (existing) tf.unregisterKernel(kernelName, "wasm");
    const config: tf.KernelConfig = { kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc };
    // The original's setup (its cwrap of the C++ function) must still run: our kernel calls it.
    if (existing?.setupFunc) config.setupFunc = existing.setupFunc;
    tf.registerKernel(config);
    registeredJsKernels.push(kernelName);
  }
}
