import { describe, expect, test } from "bun:test";
import { chunkLayout, chunkPieces, isFinitePiece, pieceFloats } from "../../learn/chunking.ts";
import type { ChunkLayout, ModelSpec } from "../../learn/types.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { bytesEqual, toHex } from "../../swarm/hash.ts";

const mlp: ModelSpec = {
  id: "mlp-784-128-10",
  tensors: [
    { name: "dense1/kernel", shape: [784, 128] },
    { name: "dense1/bias", shape: [128] },
    { name: "dense2/kernel", shape: [128, 10] },
    { name: "dense2/bias", shape: [10] },
  ],
  inputShape: [784],
  classes: 10,
};
const mlpFloats = 784 * 128 + 128 + 128 * 10 + 10;

function tensorRanges(spec: ModelSpec): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  let at = 0;
  for (const t of spec.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    out.set(t.name, [at, at + size]);
    at += size;
  }
  return out;
}

function expectWellFormed(spec: ModelSpec, layout: ChunkLayout, max: number): void {
  const ranges = tensorRanges(spec);
  let at = 0;
  layout.chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.start).toBe(at); // contiguous, in spec order
    expect(c.length).toBeGreaterThan(0);
    expect(c.length).toBeLessThanOrEqual(max);
    const [lo, hi] = ranges.get(c.tensor)!;
    expect(c.start).toBeGreaterThanOrEqual(lo); // never mixes tensors
    expect(c.start + c.length).toBeLessThanOrEqual(hi);
    at += c.length;
  });
  expect(at).toBe(layout.totalFloats);
  for (const t of spec.tensors) {
    const sizes = layout.chunks.filter((c) => c.tensor === t.name).map((c) => c.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  }
}

const randomWeights = (n: number, seed: number) => {
  const rng = new SeededRng(seed);
  return Float32Array.from({ length: n }, () => rng.range(-1, 1));
};

describe("chunkLayout", () => {
  test("splits a 784×128 kernel into 7 near-equal parts at 16384 floats and keeps small tensors whole", () => {
    const layout = chunkLayout(mlp, 16_384);
    expect(layout.totalFloats).toBe(mlpFloats);
    expectWellFormed(mlp, layout, 16_384);
    const kernel = layout.chunks.filter((c) => c.tensor === "dense1/kernel");
    expect(kernel).toHaveLength(7);
    expect(kernel.reduce((s, c) => s + c.length, 0)).toBe(784 * 128);
    expect(layout.chunks.map((c) => c.tensor).slice(7)).toEqual(["dense1/bias", "dense2/kernel", "dense2/bias"]);
    expect(layout.hash).toHaveLength(32);
  });

  test("is well formed for many caps, including a cap of one float", () => {
    for (const max of [1, 7, 10, 127, 128, 129, 1000, 100_352, 1 << 20]) {
      const small: ModelSpec = { ...mlp, tensors: max < 100 ? mlp.tensors.slice(1) : mlp.tensors };
      expectWellFormed(small, chunkLayout(small, max), max);
    }
  });

  test("same layout → same hash; any change to spec id, names, shapes or cap → a different hash", () => {
    const base = toHex(chunkLayout(mlp, 16_384).hash);
    expect(toHex(chunkLayout({ ...mlp, tensors: [...mlp.tensors] }, 16_384).hash)).toBe(base);
    const variants: Array<[ModelSpec, number]> = [
      [mlp, 16_383],
      [mlp, 20_000],
      [{ ...mlp, id: "mlp-other" }, 16_384],
      [{ ...mlp, tensors: mlp.tensors.map((t, i) => (i === 1 ? { ...t, name: "dense1/b" } : t)) }, 16_384],
      // Same float count, different shape.
      [{ ...mlp, tensors: mlp.tensors.map((t, i) => (i === 0 ? { ...t, shape: [128, 784] } : t)) }, 16_384],
    ];
    const hashes = new Set([base, ...variants.map(([s, m]) => toHex(chunkLayout(s, m).hash))]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  test("rejects a bad cap or shape, naming it", () => {
    for (const bad of [0, -5, 1.5, NaN, Infinity]) expect(() => chunkLayout(mlp, bad)).toThrow(/maxChunkFloats/);
    const withShape = (shape: number[]): ModelSpec => ({ ...mlp, tensors: [{ name: "w", shape }] });
    expect(() => chunkLayout(withShape([3, 0]), 10)).toThrow(/"w" shape\[1\] must be a positive integer, got 0/);
    expect(() => chunkLayout(withShape([2.5]), 10)).toThrow(/shape\[0\]/);
    expect(() => chunkLayout({ ...mlp, tensors: [mlp.tensors[1]!, mlp.tensors[1]!] }, 10)).toThrow(/duplicate/);
    expect(() => chunkLayout({ ...mlp, tensors: [] }, 10)).toThrow(/no tensors/);
  });
});

describe("pieces", () => {
  const layout = chunkLayout(mlp, 16_384);

  test("round-trip bit-exactly, including NaN payloads, -0 and denormals", () => {
    const w = randomWeights(mlpFloats, 1);
    const bits = new Uint32Array(w.buffer);
    bits[0] = 0x7fc01234; // a NaN with a payload
    bits[1] = 0x80000000; // -0
    bits[2] = 0x00000001; // smallest denormal
    const pieces = chunkPieces(w, layout);
    expect(pieces).toHaveLength(layout.chunks.length);
    const back = new Float32Array(mlpFloats);
    layout.chunks.forEach((c, i) => {
      expect(pieces[i]!.byteLength).toBe(c.length * 4);
      back.set(pieceFloats(pieces[i]!, c), c.start);
    });
    expect(bytesEqual(new Uint8Array(back.buffer), new Uint8Array(w.buffer))).toBe(true);
  });

  test("pieceFloats copies from an unaligned view into a fresh aligned array", () => {
    const w = randomWeights(mlpFloats, 2);
    const c = layout.chunks[7]!; // dense1/bias
    const piece = chunkPieces(w, layout)[7]!;
    const buffer = new Uint8Array(piece.byteLength + 1);
    buffer.set(piece, 1);
    const unaligned = buffer.subarray(1);
    expect(unaligned.byteOffset % 4).toBe(1);
    const values = pieceFloats(unaligned, c);
    expect(values.byteOffset).toBe(0);
    expect(bytesEqual(new Uint8Array(values.buffer), piece)).toBe(true);
    expect(values).toEqual(w.subarray(c.start, c.start + c.length));
    buffer[1] = (buffer[1]! + 1) & 0xff; // a copy, not a view
    expect(bytesEqual(new Uint8Array(values.buffer), piece)).toBe(true);
  });

  test("pieces work on a weights view that does not start at byte 0", () => {
    const small: ModelSpec = { ...mlp, tensors: [{ name: "w", shape: [10] }] };
    const l = chunkLayout(small, 4);
    const backing = randomWeights(13, 3);
    const w = backing.subarray(3);
    const back = new Float32Array(10);
    chunkPieces(w, l).forEach((p, i) => back.set(pieceFloats(p, l.chunks[i]!), l.chunks[i]!.start));
    expect(back).toEqual(w);
  });

  test("length mismatches throw", () => {
    expect(() => chunkPieces(new Float32Array(mlpFloats - 1), layout)).toThrow(/weights.length/);
    expect(() => pieceFloats(new Uint8Array(7), layout.chunks[9]!)).toThrow(/chunk 9 needs 40 bytes, got 7/);
  });

  test("isFinitePiece spots NaN and infinities", () => {
    expect(isFinitePiece(Float32Array.of(0, -1, 3.4e38))).toBe(true);
    expect(isFinitePiece(new Float32Array(0))).toBe(true);
    expect(isFinitePiece(Float32Array.of(1, NaN))).toBe(false);
    expect(isFinitePiece(Float32Array.of(Infinity))).toBe(false);
    expect(isFinitePiece(Float32Array.of(-Infinity, 0))).toBe(false);
  });
});
