import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { describeBackend, initBackend, type BackendName, type Tf } from "../../learn/backend.ts";
import { cnnSpec, initialWeights } from "../../learn/models.ts";
import { Trainer } from "../../learn/trainer.ts";
import type { Dataset } from "../../learn/types.ts";
import { SeededRng } from "../../runtime/rng.ts";

// tfjs backends are global to the process and bun runs every test file in one process: tests that switch
// backend switch back to the one "auto" picked (wasm here) before they finish.
let auto: BackendName;

beforeAll(async () => {
  auto = (await initBackend("auto")).name;
});

afterAll(async () => {
  await initBackend(auto);
});

/** Runs `f` with `name` as the process backend and restores the auto one; `f` returns plain arrays. */
async function on<T>(name: BackendName, f: (tf: Tf) => T): Promise<T> {
  const { tf } = await initBackend(name);
  try {
    return f(tf);
  } finally {
    await initBackend(auto);
  }
}

function random(n: number, seed: string): Float32Array {
  const rng = new SeededRng(seed);
  return Float32Array.from({ length: n }, () => rng.range(-1, 1));
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Largest |a − b| relative to max(1, |b|): float32 sums of hundreds of terms differ in the last bits. */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

/** Runs one kernel on `backend` with inputs built from plain arrays; returns its output as a plain array. */
function kernelOn(
  backend: BackendName,
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  return on(backend, (tf) =>
    tf.tidy(() => {
      const ts: Record<string, ReturnType<Tf["tensor"]>> = {};
      for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values.slice(), v.shape);
      const out = tf.engine().runKernel(kernel, ts, attrs as never) as ReturnType<Tf["tensor"]>;
      return { shape: [...out.shape], values: Float32Array.from(out.dataSync() as Float32Array) };
    }),
  );
}

describe("initBackend", () => {
  test("auto picks wasm when tfjs-node is not installed, and caches the choice", async () => {
    const a = await initBackend("auto");
    const b = await initBackend("auto");
    expect(a.name).toBe("wasm");
    expect(b).toBe(a);
    expect(a.tf.getBackend()).toBe("wasm");
    expect(describeBackend()).toMatch(/^wasm \(tfjs \d+\.\d+\.\d+, JS kernels: .*Conv2DBackpropFilter/);
  });

  test("the wasm glue's rethrowing process handlers are removed", () => {
    for (const event of ["uncaughtException", "unhandledRejection"] as const) {
      for (const listener of process.listeners(event)) expect(String(listener)).not.toContain("ExitStatus");
    }
  });

  test("forcing cpu switches the process backend; forcing back restores it", async () => {
    const cpu = await initBackend("cpu");
    try {
      expect(cpu.name).toBe("cpu");
      expect(cpu.tf.getBackend()).toBe("cpu");
      expect(describeBackend()).toStartWith("cpu (tfjs");
      const sum = cpu.tf.tidy(() => cpu.tf.sum(cpu.tf.tensor1d([1, 2, 3])).dataSync()[0]);
      expect(sum).toBe(6);
    } finally {
      await initBackend(auto);
    }
    expect((await initBackend("auto")).tf.getBackend()).toBe("wasm");
  });

  test("forcing a backend that cannot load names it and why, and leaves the active one alone", async () => {
    await expect(initBackend("tensorflow")).rejects.toThrow(/backend "tensorflow" unavailable: @tensorflow\/tfjs-node could not be loaded/);
    await expect(initBackend("tensorflow-gpu")).rejects.toThrow(/backend "tensorflow-gpu" unavailable: @tensorflow\/tfjs-node-gpu/);
    expect((await initBackend("auto")).name).toBe(auto);
  });

  test("gradients are registered (the core bundle ships none)", async () => {
    const { tf } = await initBackend("auto");
    const g = tf.tidy(() => Array.from(tf.grad((x) => tf.div(tf.mul(x, x), 2))(tf.tensor1d([3, -1])).dataSync()));
    expect(g).toEqual([3, -1]);
  });
});

describe("JS kernels for wasm match the cpu backend", () => {
  const convCases = [
    { name: "3×3 stride 1 same", x: [2, 7, 7, 3], f: [3, 3, 3, 4], strides: 1, pad: "same" },
    { name: "5×5 stride 2 same (CNN conv1)", x: [2, 28, 28, 1], f: [5, 5, 1, 8], strides: 2, pad: "same" },
    { name: "3×3 stride 2 same (CNN conv2)", x: [3, 14, 14, 8], f: [3, 3, 8, 16], strides: 2, pad: "same" },
    { name: "3×3 stride 2 valid, odd size", x: [1, 9, 9, 2], f: [3, 3, 2, 2], strides: 2, pad: "valid" },
    { name: "2×3 strides [1,2] explicit pad", x: [2, 6, 7, 2], f: [2, 3, 2, 3], strides: [1, 2], pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
  ] as const;

  for (const c of convCases) {
    test(`Conv2DBackpropFilter, ${c.name}`, async () => {
      const { tf } = await initBackend("auto");
      const info = tf.backend_util.computeConv2DInfo([...c.x] as [number, number, number, number], [...c.f] as [number, number, number, number], c.strides as never, 1, c.pad as never);
      const inputs = {
        x: { shape: [...c.x], values: random(size(c.x), `${c.name} x`) },
        dy: { shape: info.outShape, values: random(size(info.outShape), `${c.name} dy`) },
      };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: "NHWC", filterShape: [...c.f] };
      const wasm = await kernelOn("wasm", "Conv2DBackpropFilter", inputs, attrs);
      const cpu = await kernelOn("cpu", "Conv2DBackpropFilter", inputs, attrs);
      expect(wasm.shape).toEqual([...c.f]);
      expect(maxRelDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
    });

    test(`Conv2DBackpropInput, ${c.name}`, async () => {
      const { tf } = await initBackend("auto");
      const info = tf.backend_util.computeConv2DInfo([...c.x] as [number, number, number, number], [...c.f] as [number, number, number, number], c.strides as never, 1, c.pad as never);
      const inputs = {
        dy: { shape: info.outShape, values: random(size(info.outShape), `${c.name} dy`) },
        filter: { shape: [...c.f], values: random(size(c.f), `${c.name} f`) },
      };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: "NHWC", inputShape: [...c.x] };
      const wasm = await kernelOn("wasm", "Conv2DBackpropInput", inputs, attrs);
      const cpu = await kernelOn("cpu", "Conv2DBackpropInput", inputs, attrs);
      expect(wasm.shape).toEqual([...c.x]);
      expect(maxRelDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
    });
  }

  test("Conv2DBackpropFilter, NCHW (the plain-JS path)", async () => {
    const x = [2, 3, 7, 7];
    const dyShape = [2, 4, 7, 7];
    const inputs = { x: { shape: x, values: random(size(x), "nchw x") }, dy: { shape: dyShape, values: random(size(dyShape), "nchw dy") } };
    const attrs = { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 3, 4] };
    const wasm = await kernelOn("wasm", "Conv2DBackpropFilter", inputs, attrs);
    const cpu = await kernelOn("cpu", "Conv2DBackpropFilter", inputs, attrs);
    expect(maxRelDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
  });

  const matmulCases = [
    { a: [5, 7], b: [5, 3], transposeA: true, transposeB: false },
    { a: [4, 6], b: [3, 6], transposeA: false, transposeB: true },
    { a: [2, 6, 4], b: [2, 5, 6], transposeA: true, transposeB: true },
    { a: [1, 5, 7], b: [3, 5, 2], transposeA: true, transposeB: false },
    { a: [3, 4], b: [4, 2], transposeA: false, transposeB: false },
  ];
  for (const c of matmulCases) {
    test(`BatchMatMul ${JSON.stringify(c)}`, async () => {
      const inputs = { a: { shape: c.a, values: random(size(c.a), "mm a") }, b: { shape: c.b, values: random(size(c.b), "mm b") } };
      const attrs = { transposeA: c.transposeA, transposeB: c.transposeB };
      const wasm = await kernelOn("wasm", "BatchMatMul", inputs, attrs);
      const cpu = await kernelOn("cpu", "BatchMatMul", inputs, attrs);
      expect(wasm.shape).toEqual(cpu.shape);
      expect(maxRelDiff(wasm.values, cpu.values)).toBeLessThan(1e-4);
    });
  }

  test("a whole CNN gradient agrees between wasm and cpu", async () => {
    const spec = cnnSpec();
    const weights = initialWeights(spec, new SeededRng("cnn grad"));
    const rng = new SeededRng("cnn grad data");
    const n = 6;
    const data: Dataset = { x: Float32Array.from({ length: n * 784 }, () => rng.next()), y: Uint8Array.from({ length: n }, (_, i) => i), n, features: 784, classes: 10 };
    const grad = async (backend: BackendName) => {
      const { tf } = await initBackend(backend);
      const trainer = new Trainer(spec, tf);
      try {
        return trainer.gradient(weights, data, [0, 1, 2, 3, 4, 5]);
      } finally {
        trainer.dispose();
        await initBackend(auto);
      }
    };
    const wasm = await grad("wasm");
    const cpu = await grad("cpu");
    expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-4);
    expect(wasm.some((g) => g !== 0)).toBe(true);
  });
});
