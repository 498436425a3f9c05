/**
 * The round machine's vocabulary (machines/round.ts, DESIGN §4): its input and context, the events it accepts,
 * its state and effect names, and the limits that keep its context finite.
 */

/** The join wait doubles per attempt up to this many joinMs, so a restarted tracker is noticed in bounded time. */
export const joinBackoffFactorMax = 8;
/** corruptPieces saturates here: the count is a report (the swarm bans the sender), and a cap keeps the state space finite. */
export const corruptPiecesCountMax = 1024;

/** Time limits for each state; every one is an exit, so no state waits forever. */
export interface RoundTimeouts {
  /** Admission wait for the first attempt; attempt n waits joinMs × min(2^n, joinBackoffFactorMax). */
  joinMs: number;
  /** Admission attempts before `failed` (≥ 1). */
  joinRetries: number;
  /** Wait for all assigned neighbours per attempt. */
  connectMs: number;
  /** Connect attempts before `failed`, counted only while no neighbour is connected (≥ 1). */
  connectRetries: number;
  /** Local training budget, already scaled by the device's compute speed. */
  trainMs: number;
  /** Hashing + importance + manifest publish. */
  scoreMs: number;
  /** Time in `swarm` before the hasEnoughChunks check. */
  swarmDeadlineMs: number;
  /** The one extra wait when coverage is below minCompletion at the deadline (0: no grace). */
  graceMs: number;
  aggregateMs: number;
}

export interface RoundInput {
  /** Total rounds, numbered 0..rounds-1. */
  rounds: number;
  /** Coverage in (0, 1] at which a round may aggregate before it is complete. @default 0.7 in scenarios */
  minCompletion: number;
  timeouts: RoundTimeouts;
}

/** How the round's gather ended: everything, enough (≥ minCompletion), or whatever arrived / cut short. */
export type RoundOutcome = "complete" | "partial" | "degraded";

export interface RoundContext {
  round: number;
  rounds: number;
  minCompletion: number;
  timeouts: RoundTimeouts;
  /** Latest reported share of expected pieces (0..1). Reset at round start, so progress reported before `swarm` counts. */
  coverage: number;
  /** This round is degraded: nothing published (train/score failed), or it was cut short. */
  degraded: boolean;
  outcome: RoundOutcome | undefined;
  joinAttempts: number;
  connectAttempts: number;
  expectedNeighbours: number;
  /** Live neighbour connections, within 0..expectedNeighbours. */
  connectedNeighbours: number;
  /** Round the neighbours are at when this peer fell behind; the next round starts there. ≤ rounds. */
  catchUpTo: number | undefined;
  trackerLost: boolean;
  corruptPieces: number;
  lastError: string | undefined;
}

export type RoundEvent =
  /**
   * `connected`: neighbour sessions already open when the admission arrives (later joiners may dial in first).
   * @default 0
   */
  | { type: "tracker.admitted"; neighbours: number; round: number; connected?: number }
  | { type: "tracker.rejected"; reason: string }
  | { type: "tracker.lost" }
  | { type: "peer.connected"; peer: string }
  | { type: "peer.crashed"; peer: string }
  | { type: "link.down"; peer: string }
  | { type: "train.done"; loss: number; samples: number }
  | { type: "train.failed"; error: string }
  | { type: "score.done" }
  | { type: "score.failed"; error: string }
  | { type: "swarm.progress"; coverage: number }
  | { type: "swarm.complete" }
  | { type: "round.behind"; round: number }
  | { type: "aggregate.done"; accuracy?: number }
  | { type: "aggregate.failed"; error: string }
  | { type: "piece.corrupt"; from: string }
  | { type: "peer.leave" };

export type RoundEventType = RoundEvent["type"];

// A record keyed by the union: adding an event without listing it here (or the reverse) fails to type-check.
const eventTypeSet: Record<RoundEventType, true> = {
  "tracker.admitted": true, "tracker.rejected": true, "tracker.lost": true,
  "peer.connected": true, "peer.crashed": true, "link.down": true,
  "train.done": true, "train.failed": true, "score.done": true, "score.failed": true,
  "swarm.progress": true, "swarm.complete": true, "round.behind": true,
  "aggregate.done": true, "aggregate.failed": true, "piece.corrupt": true, "peer.leave": true,
};
/** Every event type the machine accepts (for model-based tests). */
export const roundEventTypes = Object.keys(eventTypeSet) as readonly RoundEventType[];

export const roundStateNames = ["join", "connect", "train", "score", "swarm", "grace", "aggregate", "done", "failed", "left"] as const;
export type RoundStateName = (typeof roundStateNames)[number];

// The effect names (the keys are what matters); round.ts registers each as a no-op the peer replaces.
const effectSet = {
  requestAdmission: true,
  connectNeighbours: true,
  startTraining: true,
  abandonTraining: true,
  scoreAndPublish: true,
  beginSwarm: true,
  stopSwarm: true,
  aggregateModel: true,
  abandonRound: true,
  flagDegraded: true,
  noteTrackerLost: true,
  noteNeighbourLost: true,
  leaveSwarm: true,
  finish: true,
  reportFailure: true,
} as const;
/** Effects the peer implements; each receives `{ context, event }` with context already updated by the transition. */
export type RoundEffect = keyof typeof effectSet;
export const roundEffectNames = Object.keys(effectSet) as readonly RoundEffect[];

/** Validates input once, at the edge; a bad field is a programmer error and names its path. */
export function checkRoundInput(input: RoundInput): RoundInput {
  const fail = (path: string, want: string, got: unknown): never => {
    throw new Error(`roundMachine: input.${path} must be ${want}, got ${String(got)}`);
  };
  const { rounds, minCompletion, timeouts: t } = input;
  if (!Number.isInteger(rounds) || rounds < 1) fail("rounds", "an integer ≥ 1", rounds);
  if (!(minCompletion > 0 && minCompletion <= 1)) fail("minCompletion", "in (0, 1]", minCompletion);
  for (const k of ["joinRetries", "connectRetries"] as const) {
    if (!Number.isInteger(t[k]) || t[k] < 1) fail(`timeouts.${k}`, "an integer ≥ 1", t[k]);
  }
  for (const k of ["joinMs", "connectMs", "trainMs", "scoreMs", "swarmDeadlineMs", "aggregateMs"] as const) {
    if (!(Number.isFinite(t[k]) && t[k] > 0)) fail(`timeouts.${k}`, "a finite number > 0", t[k]);
  }
  if (!(Number.isFinite(t.graceMs) && t.graceMs >= 0)) fail("timeouts.graceMs", "a finite number ≥ 0", t.graceMs);
  return input;
}
