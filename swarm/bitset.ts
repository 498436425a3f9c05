/** Bitsets on the wire: bit i is piece i, most significant bit of byte 0 first (BitTorrent order). */

export function bitsetBytes(count: number): number {
  return (count + 7) >> 3;
}

/** Packs `count` flags starting at `offset` of a 0/1 array into a wire bitset. */
export function packBits(flags: ArrayLike<number>, offset: number, count: number): Uint8Array {
  const out = new Uint8Array(bitsetBytes(count));
  for (let i = 0; i < count; i++) if (flags[offset + i]) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

export function testBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
}

/**
 * Checks a received bitset against the piece count it claims to describe: exact byte length and no spare
 * bits set. A wrong size is a protocol error, not something to guess about.
 */
export function bitsetFits(bits: Uint8Array, count: number): boolean {
  if (bits.byteLength !== bitsetBytes(count)) return false;
  const spare = bits.byteLength * 8 - count;
  if (spare === 0) return true;
  const mask = (1 << spare) - 1;
  return ((bits[bits.byteLength - 1] ?? 0) & mask) === 0;
}
