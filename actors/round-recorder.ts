import type { Clock } from "../runtime/clock.ts";
import type { SwarmCounters } from "../swarm/node-options.ts";
import type { PeerRoundRecord, RoundTimes } from "./peer-telemetry.ts";

type Counted = "usefulIn" | "duplicateIn" | "payloadIn" | "payloadOut" | "wireOut" | "wireIn";
const counted: readonly Counted[] = ["usefulIn", "duplicateIn", "payloadIn", "payloadOut", "wireOut", "wireIn"];

/** What the peer knows of a round at aggregation; the recorder adds the clock times and the counter deltas. */
export type RoundOutcomeFields = Omit<PeerRoundRecord, "times" | Counted>;

/**
 * One peer's round as a PeerRoundRecord: clock times of each step and the swarm counters' change since the previous
 * record (a counter delta is attributed to the round the peer was in when it closed, not to the piece's round).
 */
export class RoundRecorder {
  private times: RoundTimes = emptyTimes(0);
  private mark: Record<Counted, number> = { usefulIn: 0, duplicateIn: 0, payloadIn: 0, payloadOut: 0, wireOut: 0, wireIn: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly counters: SwarmCounters,
  ) {}

  /** A round starts (training begins). */
  start(): void {
    this.times = emptyTimes(this.clock.now());
  }

  /** Stamps a step of the round with the clock's time. */
  stamp(step: "publishedMs" | "swarmStartMs" | "aggregateStartMs"): void {
    this.times[step] = this.clock.now();
  }

  /** Closes the round: stamps `doneMs` and returns the record with the counter deltas. */
  finish(fields: RoundOutcomeFields): PeerRoundRecord {
    this.times.doneMs = this.clock.now();
    const deltas = {} as Record<Counted, number>;
    for (const k of counted) {
      deltas[k] = this.counters[k] - this.mark[k];
      this.mark[k] = this.counters[k];
    }
    return { ...fields, times: { ...this.times }, ...deltas };
  }
}

function emptyTimes(trainStartMs: number): RoundTimes {
  return { trainStartMs, publishedMs: undefined, swarmStartMs: undefined, aggregateStartMs: undefined, doneMs: undefined };
}
