import type { Clock, TimerId } from "../runtime/clock.ts";
import type { Rng } from "../runtime/rng.ts";
import { roundsAheadMax } from "./limits.ts";
import type { PeerId } from "./messages.ts";
import { RoundState } from "./round-state.ts";

/** What completes a round for this peer, and how it ended. */
export interface RoundGoal {
  expected: readonly PeerId[];
  chunksPerOrigin: number;
  completeAt: number | undefined;
  /** Set when the round's deadline passed before completion: no more requests for it. */
  stoppedAt: number | undefined;
  deadlineTimer: TimerId | undefined;
}

/**
 * The window of rounds a peer keeps: the current one, the previous one (to serve laggards) and up to
 * roundsAheadMax ahead (early manifests and haves). Owns each round's goal, deadline timer and completion.
 */
export class RoundBook {
  current = 0;
  private readonly rounds = new Map<number, RoundState>();
  private readonly goals = new Map<number, RoundGoal>();

  constructor(
    private readonly rng: Rng,
    private readonly clock: Clock,
  ) {}

  /** The round's state if it lies inside the window, created on first use; undefined outside it. */
  state(round: number): RoundState | undefined {
    if (round < this.current - 1 || round > this.current + roundsAheadMax) return undefined;
    let rs = this.rounds.get(round);
    if (!rs) this.rounds.set(round, (rs = new RoundState(round, this.rng.split(`round:${round}`))));
    return rs;
  }

  /** The round's state if it exists (never creates). */
  get(round: number): RoundState | undefined {
    return this.rounds.get(round);
  }

  goal(round: number): RoundGoal | undefined {
    return this.goals.get(round);
  }

  all(): IterableIterator<RoundState> {
    return this.rounds.values();
  }

  /** Rounds in order, oldest first. */
  live(): RoundState[] {
    return [...this.rounds.values()].sort((a, b) => a.round - b.round);
  }

  /**
   * Moves to `round` with its goal (and a deadline, if given, that calls `onDeadline`). Returns the rounds
   * that fell out of the window, so their pieces can be released.
   */
  begin(round: number, expected: readonly PeerId[], chunksPerOrigin: number, deadlineMs: number | undefined, onDeadline: () => void): number[] {
    if (round < this.current) throw new Error(`swarm: round ${round} is before current round ${this.current}`);
    this.current = round;
    const goal: RoundGoal = { expected, chunksPerOrigin, completeAt: undefined, stoppedAt: undefined, deadlineTimer: undefined };
    this.goals.set(round, goal);
    if (deadlineMs !== undefined) {
      if (!(deadlineMs >= 0)) throw new Error(`swarm: deadlineMs must be ≥ 0, got ${deadlineMs}`);
      goal.deadlineTimer = this.clock.setTimeout(onDeadline, deadlineMs);
    }
    const released: number[] = [];
    for (const r of [...this.rounds.keys()]) {
      if (r >= round - 1) continue;
      const g = this.goals.get(r);
      if (g?.deadlineTimer !== undefined) this.clock.clearTimeout(g.deadlineTimer);
      this.rounds.delete(r);
      this.goals.delete(r);
      released.push(r);
    }
    this.state(round);
    return released;
  }

  /** Whether requesting for `round` has ended (complete, or stopped by its deadline). */
  stopped(round: number): boolean {
    return this.goals.get(round)?.stoppedAt !== undefined;
  }

  /** Deadline passed: stops the round unless it already completed. Returns true if it stopped now. */
  stop(round: number): boolean {
    const goal = this.goals.get(round);
    if (!goal || goal.completeAt !== undefined) return false;
    goal.stoppedAt = this.clock.now();
    goal.deadlineTimer = undefined;
    return true;
  }

  /**
   * Stops expecting `origin` in `round` (it is gone: its update will not come). Pieces of it already held stay
   * and still count for aggregation; the round may now be complete. Returns whether the goal changed.
   */
  unexpect(round: number, origin: PeerId): boolean {
    const goal = this.goals.get(round);
    if (!goal || goal.completeAt !== undefined || !goal.expected.includes(origin)) return false;
    goal.expected = goal.expected.filter((o) => o !== origin);
    return true;
  }

  /** Marks the round complete once every expected origin's every piece is held; returns true if it just did. */
  checkComplete(round: number): boolean {
    const goal = this.goals.get(round);
    const rs = this.rounds.get(round);
    if (!goal || !rs || goal.completeAt !== undefined) return false;
    for (const id of goal.expected) {
      const o = rs.origins.get(id);
      if (!o || o.haveCount < o.count) return false;
    }
    goal.completeAt = this.clock.now();
    if (goal.deadlineTimer !== undefined) this.clock.clearTimeout(goal.deadlineTimer);
    goal.deadlineTimer = undefined;
    return true;
  }

  /** Pieces share of `coverage` only: O(origins), cheap enough to ask on every piece. */
  piecesCoverage(round: number): number {
    const goal = this.goals.get(round);
    const rs = this.rounds.get(round);
    if (!goal || !rs) return 0;
    let held = 0;
    let total = 0;
    for (const id of goal.expected) {
      const o = rs.origins.get(id);
      held += o?.haveCount ?? 0;
      total += o?.count ?? goal.chunksPerOrigin;
    }
    return total ? held / total : 1;
  }

  coverage(round: number): { pieces: number; weighted: number } {
    const goal = this.goals.get(round);
    const rs = this.rounds.get(round);
    if (!goal || !rs) return { pieces: 0, weighted: 0 };
    return rs.coverage(goal.expected, goal.chunksPerOrigin);
  }

  /** Per expected origin: pieces held of pieces in its manifest (0 of chunksPerOrigin before the manifest). */
  progress(round: number): Array<{ origin: PeerId; held: number; count: number }> {
    const goal = this.goals.get(round);
    const rs = this.rounds.get(round);
    if (!goal) return [];
    return goal.expected.map((origin) => {
      const o = rs?.origins.get(origin);
      return { origin, held: o?.haveCount ?? 0, count: o?.count ?? goal.chunksPerOrigin };
    });
  }
}
