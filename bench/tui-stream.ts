/**
 * A telemetry stream shaped like a real all-gather's, at any size, for the TUI benchmark: every peer trains,
 * publishes and gathers every origin's pieces over four 500 ms samples a round (a quarter of each origin's
 * pieces a sample, the peer's origins rotated so arrival order differs), with byte reports, round results and
 * round metrics. Deterministic; no randomness.
 */
import type { RoundStateName } from "../machines/round-types.ts";
import type { TelemetryEvent } from "../telemetry/events.ts";

/** Pieces per origin, as in mesh-100 (a 407 KB MLP update in 5 pieces). */
const piecesPerOrigin = 5;
const samplesPerRound = 4;
const roundMs = 8_000;

export function allGatherStream(o: { peers: number; rounds: number }): TelemetryEvent[] {
  const ids = Array.from({ length: o.peers }, (_, i) => `p${String(i).padStart(4, "0")}`);
  const out: TelemetryEvent[] = [{ type: "run.started", t: 0, scenario: `bench-${o.peers}`, clock: "virtual", peers: o.peers, rounds: o.rounds, seed: 1 }];
  ids.forEach((peer, i) => out.push({ type: "peer.device", t: 0, peer, device: i % 2 ? "smartphone_high" : "edge_server" }));
  const state = (t: number, peer: string, s: RoundStateName, round: number) => out.push({ type: "peer.state", t, peer, state: s, round });
  for (let r = 0; r < o.rounds; r++) {
    const t0 = r * roundMs;
    for (const p of ids) state(t0, p, "train", r);
    for (const p of ids) state(t0 + 2000, p, "score", r);
    for (const p of ids) state(t0 + 2100, p, "swarm", r);
    for (let k = 1; k <= samplesPerRound; k++) {
      const t = t0 + 2100 + k * 500;
      ids.forEach((peer, i) => {
        // Each sample a peer gains pieces of the origins in its k-th quarter (rotated by i), all origins known.
        const origins = k === 1 ? ids : ids.filter((_, j) => (j + i) % samplesPerRound === k - 1);
        const held = origins.map((_, j) => (k === samplesPerRound ? piecesPerOrigin : Math.min(piecesPerOrigin, k + (j % 2))));
        out.push({ type: "piece.progress", t, peer, round: r, origins, held, count: origins.map(() => piecesPerOrigin) });
        const sent = (r * samplesPerRound + k) * 1_000_000;
        out.push({ type: "peer.bytes", t, peer, up: sent + i, down: sent });
      });
    }
    const tAgg = t0 + 2100 + samplesPerRound * 500 + 100;
    for (const p of ids) state(tAgg, p, "aggregate", r);
    ids.forEach((peer) => out.push({ type: "peer.round", t: tAgg + 200, peer, round: r, accuracy: 0.7 + r / 100, coverage: 1, degraded: false }));
    out.push({
      type: "round.metrics",
      t: tAgg + 300,
      round: r,
      accuracy: 0.7 + r / 100,
      loss: 1 / (r + 1),
      coverage: { min: 1, median: 1, max: 1 },
      degradedPeers: 0,
      payloadBytes: o.peers * o.peers * 400_000,
      swarmMs: 2000,
      roundMs,
      peers: o.peers,
    });
  }
  out.push({ type: "run.finished", t: o.rounds * roundMs });
  return out;
}
