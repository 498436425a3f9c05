/**
 * JS kernels for the wasm backend (registered by backend.ts before it activates wasm).
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, and its Conv2DBackpropInput is a plain C++ loop (6× slower
 * than the version below for our stride-2 CNN; its MaxPoolGrad is slow too, but our models do not pool). Both
 * gradients become one call of wasm's fast BatchMatMul with an im2col / col2im pass in JS around it. Each kernel
 * reads its inputs straight from the wasm heap and writes its output there, like the package's own kernels.
 */
import * as tf from "@tensorflow/tfjs-core";

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

/** Names of the JS kernels registered for wasm. */
const registered: string[] = [];

/** Names of the JS kernels registered for wasm, in registration order (for describeBackend); empty before. */
export function registeredWasmJsKernels(): readonly string[] {
  return registered;
}

/** Registers our kernels for wasm. Must run before tf.setBackend("wasm"), which runs the kernels' setupFuncs. */
export function registerWasmJsKernels(): void {
  if (registered.length > 0) return;
  for (const { kernelName, kernelFunc, replaces } of wasmJsKernels) {
    const existing = tf.getKernel(kernelName, "wasm");
    if (existing) originals.set(kernelName, existing);
    if (existing && !replaces) continue;
    if (existing) tf.unregisterKernel(kernelName, "wasm");
    const config: tf.KernelConfig = { kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc };
    // The original's setup (its cwrap of the C++ function) must still run: our kernel calls it.
    if (existing?.setupFunc) config.setupFunc = existing.setupFunc;
    tf.registerKernel(config);
    registered.push(kernelName);
  }
}
