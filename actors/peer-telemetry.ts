/** Clock times (ms) of one peer's round. */
export interface RoundTimes {
  trainStartMs: number;
  /** Own update published (undefined when training or scoring was abandoned). */
  publishedMs: number | undefined;
  swarmStartMs: number | undefined;
  aggregateStartMs: number | undefined;
  doneMs: number | undefined;
}

/** What one peer reports when it finishes a round (the run folds these into per-round rows). */
export interface PeerRoundRecord {
  peer: string;
  round: number;
  outcome: "complete" | "partial" | "degraded";
  degraded: boolean;
  /** Verified pieces held / pieces expected, at aggregation. */
  coverage: number;
  weightedCoverage: number;
  /** Origins that contributed at least one chunk. */
  origins: number;
  /** The new model on the held-out test set. */
  accuracy: number;
  loss: number;
  trainLoss: number | undefined;
  samples: number;
  /** SHA-256 (hex) of the aggregated model: equal pieces → equal hash. */
  modelHash: string;
  times: RoundTimes;
  /** Swarm counter deltas since this peer's previous round record. */
  usefulIn: number;
  duplicateIn: number;
  payloadIn: number;
  payloadOut: number;
  wireOut: number;
  wireIn: number;
}

/** Where a peer reports. All optional: a test can listen to what it needs. */
export interface PeerTelemetry {
  state?(peer: string, state: string, round: number): void;
  round?(record: PeerRoundRecord): void;
  fault?(peer: string, what: string): void;
  /** A round-machine timer (`timer`, a delay name) expired while the peer was in `state`. */
  timeout?(peer: string, timer: string, state: string, round: number): void;
  /** Peer `by` banned `peer` for the rest of the run. */
  ban?(peer: string, by: string, reason: string): void;
  finished?(peer: string, how: "done" | "failed" | "left"): void;
}
