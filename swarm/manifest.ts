import { sha256 } from "./hash.ts";
import { importanceMax } from "./limits.ts";
import type { Manifest, PeerId } from "./messages.ts";

export interface ManifestInput {
  round: number;
  origin: PeerId;
  /** SHA-256 of the chunk layout (tensor names, shapes, split points): peers with other layouts cannot mix. */
  layoutHash: Uint8Array;
  sampleCount: number;
  pieces: readonly Uint8Array[];
  /** One finite, non-negative score per piece. @default 1 for every piece */
  importance?: readonly number[];
}

/**
 * Builds the origin's manifest: per piece its byte length, SHA-256 and importance. `sig` is empty: manifests
 * are not yet signed (no peer identity keys exist yet), so a relayed manifest is trusted on first sight.
 */
export function buildManifest(input: ManifestInput): Manifest {
  if (input.pieces.length === 0) throw new Error("manifest: an update needs at least one piece");
  if (input.importance && input.importance.length !== input.pieces.length) {
    throw new Error(`manifest: ${input.importance.length} importance scores for ${input.pieces.length} pieces`);
  }
  return {
    t: "manifest",
    round: input.round,
    origin: input.origin,
    layoutHash: input.layoutHash,
    sampleCount: input.sampleCount,
    sig: new Uint8Array(0),
    chunks: input.pieces.map((data, index) => {
      const imp = input.importance?.[index] ?? 1;
      if (!Number.isFinite(imp) || imp < 0) throw new Error(`manifest: importance[${index}] = ${imp} is not a finite score ≥ 0`);
      return { index, bytes: data.byteLength, sha256: sha256(data), importance: Math.min(imp, importanceMax) };
    }),
  };
}

/** Splits bytes into pieces of at most `pieceBytes` (the last may be shorter). Views, not copies. */
export function splitPieces(data: Uint8Array, pieceBytes: number): Uint8Array[] {
  if (!(pieceBytes > 0)) throw new Error(`splitPieces: pieceBytes must be > 0, got ${pieceBytes}`);
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.byteLength; o += pieceBytes) out.push(data.subarray(o, Math.min(data.byteLength, o + pieceBytes)));
  return out;
}
