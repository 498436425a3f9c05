/** The properties a VOPR run checks (DESIGN §11), one name each. */
export const properties = {
  "stored-unverified": "no piece that failed its hash is ever stored",
  "read-unverified": "the store only hands out bytes that hash to the digest asked for (aggregation reads only verified bytes)",
  "held-unstored": "every piece a peer holds (and aggregates) was verified and stored by that peer, under its manifest's digest",
  "holdings-shrank": "a peer's holdings for a round only grow while the round is in its window",
  "models-diverged": "honest peers that aggregated the same pieces hold bit-identical models",
  "limit-exceeded": "every queue and map stays within its named limit (swarm/limits.ts)",
  liveness: "after the heal, every live peer finishes the next round and the run ends",
  crash: "no programmer error (an exception or a failed assert) anywhere in the run",
} as const;

export type Property = keyof typeof properties;

export interface Violation {
  property: Property;
  /** Clock time it was seen (ms from the run's start); undefined for end-of-run checks. */
  atMs: number | undefined;
  detail: string;
}

/** Where checkers report. A run keeps the first few of each property (one bug tends to repeat). */
export type ReportViolation = (v: Violation) => void;
