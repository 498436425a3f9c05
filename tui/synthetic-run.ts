/**
 * A small recorded-looking run for tests and for looking at the TUI without a swarm (a `--demo` source).
 * Deterministic, no randomness. Its story, which tests check the view against:
 *
 * - `run.started` "synthetic-20", virtual clock, 20 peers p00..p19, 3 rounds, seed 7; baseline centralized 0.75.
 * - Devices: even peers "laptop-wifi", odd peers "phone-4g".
 * - Round r starts at r × roundSpanMs: train, score (+1 s), swarm (+2 s). Every origin has 4 pieces.
 * - Rounds 0 and 1: each peer ends holding everything; aggregate at +4 s; peer.round accuracy 0.5 + 0.1(r+1)
 *   + i/1000, coverage 1, except p03 in round 1: coverage 0.8, degraded. round.metrics at +5 s: accuracy
 *   0.6 / 0.7, loss 1.2 / 0.8.
 * - Round 1: fault "link down p03-p04" (p03, +2.2 s), p05 bans p09 "3 strikes: bad hash" (+2.3 s),
 *   p07 fails (+2.5 s) and sends nothing after.
 * - Round 2 (19 live peers, 19 origins), cut off mid-swarm: peer i holds 4 of its own pieces and
 *   (i + j) mod 5 of origin j's; p03's swarm deadline expires at +3.5 s and it enters grace, the last events.
 * - Bytes (cumulative), at +2 s and +3 s of each round while alive: k-th report up = k × 100 kB × (1 + i mod 2),
 *   down = k × 150 kB; so over the last second each live peer moved 100 or 200 kB/s up and 150 kB/s down.
 */
import type { RoundStateName } from "../machines/round-types.ts";
import type { TelemetryEvent } from "../telemetry/events.ts";

export const syntheticPeers = 20;
export const syntheticRounds = 3;
export const syntheticPieces = 4;
export const roundSpanMs = 10_000;
export const failedPeer = "p07";

export const peerName = (i: number) => `p${String(i).padStart(2, "0")}`;

/** Pieces peer i holds of origin j in round 2 (the round the stream cuts off). */
export function lastRoundHeld(i: number, j: number): number {
  return i === j ? syntheticPieces : (i + j) % 5;
}

export function syntheticRun(): TelemetryEvent[] {
  const evs: TelemetryEvent[] = [];
  const ids = Array.from({ length: syntheticPeers }, (_, i) => i);
  const alive = (i: number, r: number, t: number) => !(peerName(i) === failedPeer && (r > 1 || (r === 1 && t >= roundSpanMs + 2500)));
  const state = (t: number, i: number, s: RoundStateName, round: number) => evs.push({ type: "peer.state", t, peer: peerName(i), state: s, round });
  const reports = new Map<number, number>();
  const bytes = (t: number, i: number) => {
    const k = (reports.get(i) ?? 0) + 1;
    reports.set(i, k);
    evs.push({ type: "peer.bytes", t, peer: peerName(i), up: k * 100_000 * (1 + (i % 2)), down: k * 150_000 });
  };

  evs.push({ type: "run.started", t: 0, scenario: "synthetic-20", clock: "virtual", peers: syntheticPeers, rounds: syntheticRounds, seed: 7 });
  evs.push({ type: "baseline", t: 1, kind: "centralized", accuracy: 0.75 });
  for (const i of ids) {
    evs.push({ type: "peer.device", t: 2, peer: peerName(i), device: i % 2 === 0 ? "laptop-wifi" : "phone-4g" });
    state(3, i, "join", 0);
    state(4, i, "connect", 0);
  }
  for (let r = 0; r < syntheticRounds; r++) {
    const t0 = r * roundSpanMs;
    const live = ids.filter((i) => alive(i, r, t0));
    for (const i of live) {
      state(t0 + 10, i, "train", r);
      state(t0 + 1000, i, "score", r);
      state(t0 + 2000, i, "swarm", r);
      bytes(t0 + 2000, i);
    }
    if (r === 1) {
      evs.push({ type: "fault", t: t0 + 2200, peer: "p03", what: "link down p03-p04" });
      evs.push({ type: "ban", t: t0 + 2300, peer: "p09", by: "p05", reason: "3 strikes: bad hash" });
      state(t0 + 2500, 7, "failed", r);
    }
    for (const i of live) if (alive(i, r, t0 + 3000)) bytes(t0 + 3000, i);
    // Piece progress: one report per (peer, origin), at the end of what the stream shows of the swarm.
    for (const i of live) {
      if (!alive(i, r, t0 + 3000)) continue;
      // One report per peer listing every live origin, as the sampler sends when a peer's round changes.
      evs.push({
        type: "piece.progress",
        t: t0 + 3000 + i,
        peer: peerName(i),
        round: r,
        origins: live.map(peerName),
        held: live.map((j) => (r < 2 ? syntheticPieces : lastRoundHeld(i, j))),
        count: live.map(() => syntheticPieces),
      });
    }
    if (r === 2) {
      evs.push({ type: "timeout", t: t0 + 3500, peer: peerName(3), round: r, timer: "swarmDeadline", state: "swarm" });
      state(t0 + 3500, 3, "grace", r);
      break;
    }
    for (const i of live) {
      if (!alive(i, r, t0 + 4000)) continue;
      state(t0 + 4000, i, "aggregate", r);
      const degraded = r === 1 && i === 3;
      evs.push({ type: "peer.round", t: t0 + 4100, peer: peerName(i), round: r, accuracy: 0.5 + 0.1 * (r + 1) + i / 1000, coverage: degraded ? 0.8 : 1, degraded });
    }
    evs.push({
      type: "round.metrics",
      t: t0 + 5000,
      round: r,
      accuracy: r === 0 ? 0.6 : 0.7,
      loss: r === 0 ? 1.2 : 0.8,
      coverage: { min: r === 0 ? 1 : 0.8, median: 1, max: 1 },
      degradedPeers: r === 0 ? 0 : 1,
      payloadBytes: live.length * (live.length - 1) * syntheticPieces * 1000,
      swarmMs: 2000,
      roundMs: 4000,
    });
  }
  // Stable sort: events at one time keep the order they were written in.
  return evs.map((e, k) => [e, k] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e);
}
