/**
 * A realistic telemetry stream from one process hosting part of a swarm, drawn from a seed: states per round,
 * byte reports faster than the view's rate interval, piece progress for every origin (origins in a shuffled
 * order), peers that enter grace in several rounds, fault storms that scroll the log, bans, a peer that fails
 * and one that leaves, a late joiner, a device reported late, baselines that are updated, per-round metrics and run.finished.
 */
import { SeededRng } from "../../runtime/rng.ts";
import type { RoundStateName } from "../../machines/round-types.ts";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { eventsLogMax, type SwarmView } from "../../tui/view-model.ts";

export interface StreamOptions {
  scenario?: string;
  seed?: number;
  /** Peers this process hosts. */
  peers: readonly string[];
  /** Every origin of the swarm (all processes' peers). @default peers */
  origins?: readonly string[];
  rounds: number;
  /** Draws faults, grace, lag; the run's `seed` stays the same across processes. @default seed */
  drawSeed?: number;
  /** End with run.finished. @default true */
  finish?: boolean;
}

export const roundSpanMs = 10_000;

export function telemetryStream(opts: StreamOptions): TelemetryEvent[] {
  const seed = opts.seed ?? 11;
  const rng = new SeededRng(opts.drawSeed ?? seed);
  const peers = opts.peers;
  const origins = opts.origins ?? peers;
  const evs: TelemetryEvent[] = [];
  const state = (t: number, peer: string, s: RoundStateName, round: number) => evs.push({ type: "peer.state", t, peer, state: s, round });
  const failed = peers[1];
  const failRound = Math.floor(opts.rounds / 2);
  const left = peers[2];
  const late = peers[peers.length - 1]!;
  const lateRound = 2;
  const live = (p: string, r: number) => !(p === failed && r > failRound) && !(p === left && r > failRound + 1) && !(p === late && r < lateRound);
  const sent = new Map<string, { up: number; down: number }>();

  evs.push({ type: "run.started", t: 0, scenario: opts.scenario ?? "stream", clock: "virtual", peers: origins.length, rounds: opts.rounds, seed });
  evs.push({ type: "baseline", t: 1, kind: "centralized", accuracy: 0.7 });
  evs.push({ type: "baseline", t: 1, kind: "local-only", accuracy: 0.4 });
  // The first peer reports its device late, so a peer's first appearance is not its latest device report.
  for (const p of peers) if (p !== late) evs.push({ type: "peer.device", t: p === peers[0] ? roundSpanMs : 2, peer: p, device: rng.pick(["laptop-wifi", "phone-4g"]) });
  for (let r = 0; r < opts.rounds; r++) {
    const t0 = r * roundSpanMs + 10;
    const hosted = peers.filter((p) => live(p, r));
    const order = rng.shuffle([...origins]);
    for (const p of hosted) {
      if (p !== late || r > lateRound) {
        state(t0, p, "train", r);
        state(t0 + 1000, p, "score", r);
        state(t0 + 2000, p, "swarm", r);
      }
      // Byte reports every 150 ms while swarming: faster than the view's 500 ms rate interval.
      for (let k = 0; k < 12; k++) {
        const s = sent.get(p) ?? { up: 0, down: 0 };
        s.up += rng.int(50_000);
        s.down += rng.int(60_000);
        sent.set(p, s);
        evs.push({ type: "peer.bytes", t: t0 + 2000 + k * 150 + rng.int(20), peer: p, up: s.up, down: s.down });
      }
      const lag = rng.bool(0.2);
      for (let step = 1; step <= 3; step++) {
        for (const o of order) {
          const count = 4 + (origins.indexOf(o) % 3);
          const held = lag && step === 3 ? count - 1 : Math.ceil((count * step) / 3);
          evs.push({ type: "piece.progress", t: t0 + 2000 + step * 500, peer: p, round: r, origins: [o], held: [held], count: [count] });
        }
      }
      if (lag) state(t0 + 3800, p, "grace", r);
      if (p === failed && r === failRound) {
        state(t0 + 3900, p, "failed", r);
        continue;
      }
      state(t0 + 4200, p, "aggregate", r);
      evs.push({ type: "peer.round", t: t0 + 4300, peer: p, round: r, accuracy: 0.3 + r / (opts.rounds * 2) + rng.next() / 10, coverage: lag ? 0.8 : 1, degraded: lag });
      if (p === left && r === failRound + 1) state(t0 + 4400, p, "left", r);
    }
    // Fault storms: on average well over eventsLogMax across a run, so the log scrolls.
    const faults = rng.int(Math.ceil((3 * eventsLogMax) / opts.rounds));
    for (let f = 0; f < faults; f++) {
      const peer = rng.bool(0.8) ? rng.pick(hosted) : undefined;
      evs.push({ type: "fault", t: t0 + 2000 + rng.int(2000), ...(peer === undefined ? {} : { peer }), what: `link flap ${f} in round ${r}` });
    }
    if (r % 5 === 3 && hosted.length > 1) {
      const by = hosted[r % hosted.length]!;
      const peer = origins.find((o) => o !== by && !evs.some((e) => e.type === "ban" && e.by === by && e.peer === o));
      if (peer !== undefined) evs.push({ type: "ban", t: t0 + 3000, peer, by, reason: "3 strikes: bad hash" });
    }
    const accuracy = 0.3 + r / (opts.rounds * 2);
    evs.push({
      type: "round.metrics",
      t: t0 + 5000,
      round: r,
      accuracy,
      loss: 2 - accuracy,
      coverage: { min: 0.8, median: 0.9 + rng.next() / 10, max: 1 },
      degradedPeers: rng.int(2),
      payloadBytes: 1000 * hosted.length,
      swarmMs: 2000 + rng.int(500),
      roundMs: 4000 + rng.int(500),
      peers: hosted.length,
    });
    if (r === 4) evs.push({ type: "baseline", t: t0 + 6000, kind: "centralized", accuracy: 0.72 });
  }
  if (opts.finish ?? true) {
    for (const p of peers) if (live(p, opts.rounds - 1)) state(opts.rounds * roundSpanMs, p, "done", opts.rounds - 1);
    evs.push({ type: "run.finished", t: opts.rounds * roundSpanMs + 1 });
  }
  // Stable by time: events at one time keep the order they were written in, as one process emits them.
  return evs.map((e, k) => [e, k] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e);
}

/** What the TUI draws from a view (everything but counters of what scrolled or was dropped). */
export function rendered(v: SwarmView) {
  return {
    run: v.run,
    finished: v.finished,
    peers: v.peers,
    origins: v.origins,
    pieceRound: v.pieceRound,
    currentChunks: v.roundChunks.get(v.pieceRound),
    rounds: v.rounds,
    baselines: v.baselines,
    log: v.log,
  };
}
