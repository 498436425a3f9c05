/**
 * Layer-aware chunking (DESIGN §8): the flat weight vector is cut into pieces that never mix tensors; a
 * tensor larger than the cap is split into near-equal contiguous parts. The layout's hash travels in the
 * manifest (layoutHash) so peers only exchange pieces cut the same way.
 */
import { sha256 } from "../swarm/hash.ts";
import type { ChunkLayout, ChunkSpec, ModelSpec } from "./types.ts";

/** Pieces are raw float32 bytes in little-endian order; we view the Float32Array's memory directly. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const bytesPerFloat = 4;

/** Version of the canonical text the layout hash is taken over; bump if the format changes. */
const layoutFormat = "fltorrent-layout-v1";

/**
 * Cuts `spec` into chunks of at most `maxChunkFloats` floats, tensors in spec order. A tensor that fits is one
 * chunk; a larger one becomes ceil(size / max) contiguous parts whose sizes differ by at most 1.
 */
export function chunkLayout(spec: ModelSpec, maxChunkFloats: number): ChunkLayout {
  if (!Number.isSafeInteger(maxChunkFloats) || maxChunkFloats < 1) {
    throw new RangeError(`chunkLayout: maxChunkFloats must be a positive integer, got ${maxChunkFloats}`);
  }
  if (spec.tensors.length === 0) throw new RangeError(`chunkLayout: spec "${spec.id}" has no tensors`);
  const names = new Set<string>();
  const chunks: ChunkSpec[] = [];
  let start = 0;
  for (const [t, tensor] of spec.tensors.entries()) {
    if (typeof tensor.name !== "string" || tensor.name === "") {
      throw new RangeError(`chunkLayout: tensors[${t}].name must be a non-empty string, got ${JSON.stringify(tensor.name)}`);
    }
    if (names.has(tensor.name)) throw new RangeError(`chunkLayout: tensors[${t}].name "${tensor.name}" is a duplicate`);
    names.add(tensor.name);
    let size = 1;
    for (const [i, dim] of tensor.shape.entries()) {
      if (!Number.isSafeInteger(dim) || dim < 1) {
        throw new RangeError(`chunkLayout: tensors[${t}] "${tensor.name}" shape[${i}] must be a positive integer, got ${dim}`);
      }
      size *= dim;
    }
    if (!Number.isSafeInteger(start + size)) throw new RangeError(`chunkLayout: spec "${spec.id}" is too large`);
    const parts = Math.ceil(size / maxChunkFloats);
    const base = Math.floor(size / parts);
    const longer = size % parts; // the first `longer` parts get one extra float
    for (let k = 0; k < parts; k++) {
      const length = base + (k < longer ? 1 : 0);
      chunks.push({ index: chunks.length, tensor: tensor.name, start, length });
      start += length;
    }
  }
  const canonical = JSON.stringify([
    layoutFormat,
    spec.id,
    spec.tensors.map((t) => [t.name, [...t.shape]]),
    maxChunkFloats,
    chunks.map((c) => [c.tensor, c.start, c.length]),
  ]);
  return { chunks, totalFloats: start, hash: sha256(new TextEncoder().encode(canonical)) };
}

/** One byte view per chunk, aliasing `weights` (little-endian float32). Copy before mutating `weights`. */
export function chunkPieces(weights: Float32Array, layout: ChunkLayout): Uint8Array[] {
  if (!littleEndian) throw new Error("chunkPieces: pieces are little-endian float32; this platform is big-endian");
  if (weights.length !== layout.totalFloats) {
    throw new RangeError(`chunkPieces: weights.length must equal layout.totalFloats (${layout.totalFloats}), got ${weights.length}`);
  }
  return layout.chunks.map(
    (c) => new Uint8Array(weights.buffer, weights.byteOffset + c.start * bytesPerFloat, c.length * bytesPerFloat),
  );
}

/** Decodes a piece into a NEW aligned Float32Array (a decoded msgpack bin may be an unaligned view). */
export function pieceFloats(bytes: Uint8Array, chunk: ChunkSpec): Float32Array {
  if (!littleEndian) throw new Error("pieceFloats: pieces are little-endian float32; this platform is big-endian");
  if (bytes.byteLength !== chunk.length * bytesPerFloat) {
    throw new RangeError(
      `pieceFloats: chunk ${chunk.index} needs ${chunk.length * bytesPerFloat} bytes, got ${bytes.byteLength}`,
    );
  }
  const out = new Float32Array(chunk.length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * Reads a piece as floats without copying when its bytes are 4-byte aligned (bytes the chunk store keeps are),
 * else copies like `pieceFloats`. The result may alias `bytes`: read it, never write it.
 */
export function pieceView(bytes: Uint8Array, chunk: ChunkSpec): Float32Array {
  if (!littleEndian || bytes.byteOffset % bytesPerFloat !== 0 || bytes.byteLength !== chunk.length * bytesPerFloat) return pieceFloats(bytes, chunk);
  return new Float32Array(bytes.buffer, bytes.byteOffset, chunk.length);
}

/** True when every value is finite (no NaN, no ±Infinity). */
export function isFinitePiece(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
