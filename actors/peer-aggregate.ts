import type { AggregationPlugin, Contribution } from "../plugins/aggregation/types.ts";
import type { LearningService } from "../learn/service.ts";
import { aggregateChunk, type Rejection } from "../learn/aggregate.ts";
import { pieceView } from "../learn/chunking.ts";
import { sha256 } from "../swarm/hash.ts";
import type { Manifest } from "../swarm/messages.ts";
import type { SwarmNode } from "../swarm/node.ts";
import type { PieceStore } from "../swarm/store-port.ts";

export interface SwarmAggregateInput {
  round: number;
  swarm: SwarmNode;
  store: PieceStore;
  learning: LearningService;
  plugin: AggregationPlugin;
  /** The peer's own values, kept for chunks no origin delivered. */
  own: Float32Array;
}

export interface SwarmAggregateResult {
  weights: Float32Array;
  rejected: Rejection[];
  /** Origins that contributed at least one chunk. */
  origins: number;
  /** Hex SHA-256 of the new model's bytes. */
  modelHash: string;
}

/**
 * Aggregates one round from what the swarm verified (DESIGN §7): per chunk, every origin whose manifest matches
 * our layout and whose piece we hold, in fixed origin order, weighted by the manifest's sample count. Pieces
 * are read from the store by the digest the manifest fixed, so only verified bytes reach the plugin.
 * Chunk results are memoised by their inputs' digests: peers of one process holding the same pieces share one
 * computation of the same pure function.
 */
export function aggregateFromSwarm(input: SwarmAggregateInput): SwarmAggregateResult {
  const { round, swarm, store, learning, plugin, own } = input;
  const { layout } = learning;
  const rejected: Rejection[] = [];
  const usable: Manifest[] = [];
  for (const m of swarm.manifests(round)) {
    const why = manifestMismatch(m, learning);
    if (why) rejected.push({ origin: m.origin, chunk: -1, reason: why });
    else usable.push(m);
  }
  usable.sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  const weights = new Float32Array(own);
  const contributors = new Set<string>();
  for (const chunk of layout.chunks) {
    const held = usable.filter((m) => swarm.holds(round, m.origin, chunk.index));
    if (held.length === 0) continue;
    const key = `${plugin.name}|${chunk.index}|${held.map((m) => `${m.origin}:${hex(m.chunks[chunk.index]!.sha256)}:${m.sampleCount}`).join(",")}`;
    const res = learning.memo(key, () => {
      const contributions: Contribution[] = [];
      const missing: Rejection[] = [];
      for (const m of held) {
        const bytes = store.get(m.chunks[chunk.index]!.sha256);
        if (!bytes) missing.push({ origin: m.origin, chunk: chunk.index, reason: "piece not in the store" });
        else contributions.push({ origin: m.origin, samples: m.sampleCount, data: pieceView(bytes, chunk) });
      }
      const out = aggregateChunk({ chunk, own, contributions, plugin });
      return { values: out.values, rejected: [...missing, ...out.rejected], used: out.used };
    });
    // A result with no usable contribution is the computing peer's own values (the memo key does not include
    // them): keep ours instead.
    if (res.used.length > 0) weights.set(res.values, chunk.start);
    rejected.push(...res.rejected);
    for (const o of res.used) contributors.add(o);
  }
  return { weights, rejected, origins: contributors.size, modelHash: hex(sha256(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength))) };
}

function manifestMismatch(m: Manifest, learning: LearningService): string | undefined {
  const { layout } = learning;
  if (hex(m.layoutHash) !== hex(layout.hash)) return "its layout hash differs from ours (another model or chunking)";
  if (m.chunks.length !== layout.chunks.length) return `${m.chunks.length} chunks, expected ${layout.chunks.length}`;
  if (!(m.sampleCount > 0 && Number.isFinite(m.sampleCount))) return `sample count ${m.sampleCount} is not positive`;
  for (const c of layout.chunks) if (m.chunks[c.index]!.bytes !== c.length * 4) return `chunk ${c.index} has ${m.chunks[c.index]!.bytes} bytes, expected ${c.length * 4}`;
  return undefined;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
