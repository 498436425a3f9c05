/**
 * The run's side of telemetry: turns what peers and the round folding report into typed TelemetryEvents
 * (telemetry/events.ts) stamped with the run clock. Without a sink every call is a no-op, so a run that nobody
 * watches pays nothing.
 */
import type { PeerRoundRecord } from "../actors/peer-telemetry.ts";
import type { RoundStateName } from "../machines/round-types.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Scenario } from "../scenarios/types.ts";
import type { TelemetryEvent, TelemetrySink } from "../telemetry/events.ts";
import type { RoundRow } from "./report.ts";

export class RunEvents {
  constructor(
    private readonly clock: Clock,
    private readonly sink: TelemetrySink | undefined,
  ) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  started(s: Scenario, devices: ReadonlyMap<string, { name: string }>): void {
    if (!this.sink) return;
    const t = this.clock.now();
    this.sink.emit({ type: "run.started", t, scenario: s.name, clock: s.clock, peers: s.peers, rounds: s.rounds, seed: s.seed });
    for (const [peer, d] of devices) this.sink.emit({ type: "peer.device", t, peer, device: d.name });
  }

  state(peer: string, state: string, round: number): void {
    this.sink?.emit({ type: "peer.state", t: this.clock.now(), peer, state: state as RoundStateName, round });
  }

  peerRound(r: PeerRoundRecord): void {
    this.sink?.emit({ type: "peer.round", t: this.clock.now(), peer: r.peer, round: r.round, accuracy: r.accuracy, coverage: r.coverage, degraded: r.degraded });
  }

  round(row: RoundRow): void {
    this.sink?.emit({
      type: "round.metrics",
      t: this.clock.now(),
      round: row.round,
      accuracy: row.accuracy,
      loss: row.loss,
      coverage: row.coverage,
      degradedPeers: row.degradedPeers,
      payloadBytes: row.payloadBytes,
      swarmMs: row.swarmMs,
      roundMs: row.roundMs,
      peers: row.peers,
    });
  }

  fault(peer: string | undefined, what: string): void {
    this.sink?.emit(peer === undefined ? { type: "fault", t: this.clock.now(), what } : { type: "fault", t: this.clock.now(), peer, what });
  }

  timeout(peer: string, timer: string, state: string, round: number): void {
    this.sink?.emit({ type: "timeout", t: this.clock.now(), peer, round, timer, state: state as RoundStateName });
  }

  ban(peer: string, by: string, reason: string): void {
    this.sink?.emit({ type: "ban", t: this.clock.now(), peer, by, reason });
  }

  /** Events sampled where the peers run (this process or a worker), already stamped. */
  batch(events: readonly TelemetryEvent[]): void {
    if (!this.sink) return;
    for (const ev of events) this.sink.emit(ev);
  }

  finished(): void {
    this.sink?.emit({ type: "run.finished", t: this.clock.now() });
  }
}
