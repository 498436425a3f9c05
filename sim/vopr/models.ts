/**
 * Honest peers that aggregated the same pieces hold bit-identical models (DESIGN §7). At each round record (emitted
 * synchronously inside the peer's aggregation, so the swarm still shows exactly what was aggregated) the checker
 * takes the set of held pieces — origin, chunk, digest, sample count — as the round's signature; records with equal
 * round and signature must carry equal model hashes. A round where some chunk had no piece at all keeps the peer's
 * own values there, so it is not comparable and is skipped.
 */
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import type { Peer } from "../../actors/peer.ts";
import { sha256 } from "../../swarm/hash.ts";
import { hex } from "./store-audit.ts";
import type { ReportViolation } from "./violation.ts";

interface Seen {
  peer: string;
  modelHash: string;
  origins: number;
}

export class ModelChecker {
  private readonly first = new Map<string, Seen>();
  /** Records compared (honest, every chunk covered), and those that met an earlier record with the same pieces. */
  compared = 0;
  matched = 0;

  constructor(private readonly report: ReportViolation) {}

  onRecord(r: PeerRoundRecord, peer: Peer, honest: boolean): void {
    if (!honest) return;
    const sig = signature(peer, r.round);
    if (sig === undefined) return;
    this.compared++;
    const key = `${r.round}|${sig}`;
    const seen = this.first.get(key);
    if (!seen) return void this.first.set(key, { peer: r.peer, modelHash: r.modelHash, origins: r.origins });
    this.matched++;
    if (seen.modelHash === r.modelHash) return;
    this.report({
      property: "models-diverged",
      atMs: undefined,
      detail: `round ${r.round}: ${seen.peer} and ${r.peer} aggregated the same pieces (${seen.origins} and ${r.origins} contributing origins) but hold different models (${seen.modelHash.slice(0, 12)}… vs ${r.modelHash.slice(0, 12)}…)`,
    });
  }
}

/** The pieces `peer` holds for `round`, in fixed origin order; undefined when some chunk index has none. */
function signature(peer: Peer, round: number): string | undefined {
  const manifests = [...peer.swarm.manifests(round)].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  if (manifests.length === 0) return undefined;
  const chunks = Math.max(...manifests.map((m) => m.chunks.length));
  const covered = new Uint8Array(chunks);
  const parts: string[] = [];
  for (const m of manifests) {
    m.chunks.forEach((c, i) => {
      if (!peer.swarm.holds(round, m.origin, i)) return;
      covered[i] = 1;
      parts.push(`${m.origin}:${i}:${hex(c.sha256)}:${m.sampleCount}`);
    });
  }
  return covered.every((x) => x === 1) ? hex(sha256(new TextEncoder().encode(parts.join(",")))) : undefined;
}
