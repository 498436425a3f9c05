/** A PeerRoundRecord for tests: fixed counters and outcome, the caller's times, anything else overridable. */
import type { PeerRoundRecord, RoundTimes } from "../../actors/peer-telemetry.ts";

export function roundRecord(peer: string, round: number, times: RoundTimes, over: Partial<PeerRoundRecord> = {}): PeerRoundRecord {
  return {
    peer,
    round,
    outcome: "complete",
    degraded: false,
    coverage: 1,
    weightedCoverage: 1,
    origins: 3,
    accuracy: 0.5,
    loss: 1,
    trainLoss: 1,
    samples: 10,
    modelHash: "h",
    times,
    usefulIn: 1000,
    duplicateIn: 10,
    payloadIn: 1010,
    payloadOut: 900,
    wireOut: 1000,
    wireIn: 1100,
    ...over,
  };
}
