/**
 * Per-chunk aggregation (DESIGN §7). Every peer that received the same pieces must hold a bit-identical
 * model, so contributions are screened, put in one fixed order (origin id) and only then reduced by the
 * plugin. A chunk nobody contributed to keeps the peer's own values, and so does a chunk the plugin botched.
 */
import type { AggregationPlugin, Contribution } from "../plugins/aggregation/types.ts";
import { isFinitePiece } from "./chunking.ts";
import type { ChunkLayout, ChunkSpec } from "./types.ts";

export interface AggregateInput {
  layout: ChunkLayout;
  /** This peer's weights: the fallback for chunks without (usable) contributions. Never mutated. */
  own: Float32Array;
  /** Verified contributions for one chunk, in any order. */
  gather: (chunk: ChunkSpec) => Contribution[];
  plugin: AggregationPlugin;
}

export interface Rejection {
  origin: string;
  chunk: number;
  reason: string;
}

export interface AggregateResult {
  weights: Float32Array;
  /** Origins whose values went into each chunk (0: the chunk kept `own`'s values). */
  originsPerChunk: Uint32Array;
  rejected: Rejection[];
}

export function aggregateModel(input: AggregateInput): AggregateResult {
  const { layout, own, gather, plugin } = input;
  if (own.length !== layout.totalFloats) {
    throw new RangeError(`aggregateModel: own.length must equal layout.totalFloats (${layout.totalFloats}), got ${own.length}`);
  }
  const weights = own.slice();
  const originsPerChunk = new Uint32Array(layout.chunks.length);
  const rejected: Rejection[] = [];
  for (const chunk of layout.chunks) {
    const out = aggregateChunk({ chunk, own, contributions: gather(chunk), plugin });
    rejected.push(...out.rejected);
    if (out.used.length === 0) continue;
    weights.set(out.values, chunk.start);
    originsPerChunk[chunk.index] = out.used.length;
  }
  return { weights, originsPerChunk, rejected };
}

export interface ChunkAggregateResult {
  /** The chunk's new values (`own`'s slice when nothing usable arrived or the plugin failed). */
  values: Float32Array;
  /** Origins whose values went into the chunk, in the fixed order (empty: the chunk kept `own`'s values). */
  used: string[];
  rejected: Rejection[];
}

/** One chunk of `aggregateModel`: screen, fix the order, reduce, check the plugin's output. */
export function aggregateChunk(input: { chunk: ChunkSpec; own: Float32Array; contributions: readonly Contribution[]; plugin: AggregationPlugin }): ChunkAggregateResult {
  const { chunk, own, plugin } = input;
  const rejected: Rejection[] = [];
  const reject = (origin: string, reason: string) => rejected.push({ origin, chunk: chunk.index, reason });
  const keep = (): ChunkAggregateResult => ({ values: own.slice(chunk.start, chunk.start + chunk.length), used: [], rejected });
  const accepted = screen(chunk, input.contributions, reject);
  if (accepted.length === 0) return keep();
  const out = plugin.aggregate(chunk, accepted);
  const fault =
    out.length !== chunk.length
      ? `plugin ${plugin.name} returned ${out.length} values, expected ${chunk.length}`
      : !isFinitePiece(out)
        ? `plugin ${plugin.name} returned non-finite values`
        : undefined;
  if (fault) {
    for (const c of accepted) reject(c.origin, fault);
    return keep();
  }
  return { values: out, used: accepted.map((c) => c.origin), rejected };
}

/**
 * Drops contributions of the wrong length, with non-finite values or without a positive finite sample count,
 * and every copy of an origin that appears twice (which copy is right cannot be decided, and keeping either
 * would make the result depend on arrival order). Works in origin order, so both the kept contributions and
 * the rejections come out sorted by origin id whatever order `gather` used.
 */
function screen(
  chunk: ChunkSpec,
  contributions: readonly Contribution[],
  reject: (origin: string, reason: string) => void,
): Contribution[] {
  const seen = new Map<string, number>();
  for (const c of contributions) seen.set(c.origin, (seen.get(c.origin) ?? 0) + 1);
  const ok: Contribution[] = [];
  for (const c of [...contributions].sort(byOrigin)) {
    if (seen.get(c.origin)! > 1) reject(c.origin, "duplicate origin for this chunk");
    else if (c.data.length !== chunk.length) reject(c.origin, `wrong length: ${c.data.length} values, expected ${chunk.length}`);
    else if (!(c.samples > 0 && Number.isFinite(c.samples))) reject(c.origin, `samples must be a positive finite number, got ${c.samples}`);
    else if (!isFinitePiece(c.data)) reject(c.origin, "non-finite values");
    else ok.push(c);
  }
  return ok;
}

/** The fixed order: plain string comparison of origin ids (UTF-16 code units, locale-free). */
function byOrigin(a: Contribution, b: Contribution): number {
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}
