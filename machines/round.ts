import { assertEvent, assign, setup } from "xstate";
import {
  checkRoundInput,
  corruptPiecesCountMax,
  joinBackoffFactorMax,
  roundEffectNames,
  type RoundContext,
  type RoundEffect,
  type RoundEvent,
  type RoundInput,
  type RoundOutcome,
} from "./round-types.ts";

export * from "./round-types.ts";

/**
 * One peer's round lifecycle (DESIGN §4). Pure: no I/O, no actors. Effects are named actions (no-ops here)
 * that the peer supplies with `roundMachine.provide({ actions })`; their results come back as events. Time
 * only through named delays, so `createActor(roundMachine, { clock, input })` runs on the virtual clock.
 *
 * Every context number is bounded by the input or by event payloads (counters saturate), so xstate/graph
 * can walk the machine.
 */

const noop = (): void => {};
/** Every effect is a no-op here; the peer supplies them with `.provide({ actions })`. */
const effects = Object.fromEntries(roundEffectNames.map((name) => [name, noop])) as Record<RoundEffect, typeof noop>;

/** The round after the one just aggregated: the next, or the neighbours' round when catching up. */
const nextRound = (c: RoundContext): number => Math.max(c.round + 1, c.catchUpTo ?? 0);
const clampRound = (c: RoundContext, round: number): number => Math.min(Math.max(0, Math.floor(round)), c.rounds - 1);
/** Fields reset when a round starts (admission or advance). */
const freshRound = { coverage: 0, degraded: false, outcome: undefined, catchUpTo: undefined } as const;

/**
 * Neighbours are two or more rounds ahead: stop this round, aggregate what is here and start the next round
 * where they are ("a slow peer catches up by taking the latest aggregate it can get").
 */
const catchUp = {
  guard: "isBehind",
  target: "aggregate",
  actions: ["recordCatchUp", "markDegraded", { type: "recordOutcome", params: { outcome: "degraded" } }, "abandonRound", "flagDegraded"],
} as const;

export const roundMachine = setup({
  types: {
    context: {} as RoundContext,
    events: {} as RoundEvent,
    input: {} as RoundInput,
  },
  actions: {
    ...effects,
    admit: assign(({ context, event }) => {
      assertEvent(event, "tracker.admitted");
      const expectedNeighbours = Math.max(0, Math.floor(event.neighbours));
      // Before admission no neighbour is known, so sessions that opened early are counted here, not on arrival.
      const connectedNeighbours = Math.min(expectedNeighbours, Math.max(0, Math.floor(event.connected ?? 0)));
      return { ...freshRound, expectedNeighbours, connectedNeighbours, round: clampRound(context, event.round) };
    }),
    countJoinAttempt: assign({ joinAttempts: ({ context }) => context.joinAttempts + 1 }),
    countConnectAttempt: assign({ connectAttempts: ({ context }) => context.connectAttempts + 1 }),
    countNeighbourUp: assign({
      connectedNeighbours: ({ context }) => Math.min(context.expectedNeighbours, context.connectedNeighbours + 1),
    }),
    countNeighbourDown: assign({ connectedNeighbours: ({ context }) => Math.max(0, context.connectedNeighbours - 1) }),
    recordCoverage: assign(({ event }) => {
      assertEvent(event, "swarm.progress");
      return { coverage: Math.min(1, Math.max(0, event.coverage)) };
    }),
    recordComplete: assign({ coverage: 1 }),
    recordOutcome: assign((_, params: { outcome: RoundOutcome }) => ({ outcome: params.outcome })),
    markDegraded: assign({ degraded: true }),
    recordCatchUp: assign(({ context, event }) => {
      assertEvent(event, "round.behind");
      // Anything at or past `rounds` ends the run the same way; the cap keeps the context finite.
      return { catchUpTo: Math.min(context.rounds, Math.max(event.round, context.catchUpTo ?? 0)) };
    }),
    advanceRound: assign(({ context }) => ({ ...freshRound, round: nextRound(context) })),
    markTrackerLost: assign({ trackerLost: true }),
    recordCorruptPiece: assign({ corruptPieces: ({ context }) => Math.min(corruptPiecesCountMax, context.corruptPieces + 1) }),
    recordError: assign((_, params: { error: string }) => ({ lastError: params.error })),
  },
  guards: {
    canRetryJoin: ({ context }) => context.joinAttempts + 1 < context.timeouts.joinRetries,
    canRetryConnect: ({ context }) => context.connectAttempts + 1 < context.timeouts.connectRetries,
    allNeighboursConnected: ({ context }) => context.connectedNeighbours >= context.expectedNeighbours,
    hasANeighbour: ({ context }) => context.connectedNeighbours > 0,
    hasEnoughChunks: ({ context }) => context.coverage >= context.minCompletion,
    hasAllChunks: ({ context }) => context.coverage >= 1,
    isBehind: ({ context, event }) => event.type === "round.behind" && event.round > context.round + 1,
    isLastRound: ({ context }) => nextRound(context) >= context.rounds,
  },
  delays: {
    joinTimeout: ({ context }) => context.timeouts.joinMs * Math.min(2 ** context.joinAttempts, joinBackoffFactorMax),
    connectTimeout: ({ context }) => context.timeouts.connectMs,
    trainTimeout: ({ context }) => context.timeouts.trainMs,
    scoreTimeout: ({ context }) => context.timeouts.scoreMs,
    swarmDeadline: ({ context }) => context.timeouts.swarmDeadlineMs,
    graceTimeout: ({ context }) => context.timeouts.graceMs,
    aggregateTimeout: ({ context }) => context.timeouts.aggregateMs,
  },
}).createMachine({
  id: "round",
  initial: "join",
  context: ({ input }) => {
    const { rounds, minCompletion, timeouts } = checkRoundInput(input);
    return {
      round: 0, rounds, minCompletion, timeouts: { ...timeouts },
      ...freshRound,
      joinAttempts: 0, connectAttempts: 0, expectedNeighbours: 0, connectedNeighbours: 0,
      trackerLost: false, corruptPieces: 0, lastError: undefined,
    };
  },
  // Faults and progress are accepted in every non-final state (a final state stops the actor).
  on: {
    "peer.connected": { actions: "countNeighbourUp" },
    "peer.crashed": { actions: ["countNeighbourDown", "noteNeighbourLost"] },
    "link.down": { actions: ["countNeighbourDown", "noteNeighbourLost"] },
    // After admission the tracker is not needed: peers keep going without it.
    "tracker.lost": { actions: ["markTrackerLost", "noteTrackerLost"] },
    "piece.corrupt": { actions: "recordCorruptPiece" },
    // Pieces may arrive while this peer still trains; `swarm` and `grace` act on the recorded coverage.
    "swarm.progress": { actions: "recordCoverage" },
    "swarm.complete": { actions: "recordComplete" },
    "peer.leave": { target: ".left", actions: "leaveSwarm" },
  },
  states: {
    join: {
      entry: "requestAdmission",
      on: {
        "tracker.admitted": { target: "connect", actions: "admit" },
        "tracker.rejected": {
          target: "failed",
          actions: { type: "recordError", params: ({ event }) => ({ error: `join: tracker rejected (${event.reason})` }) },
        },
        // Losing the tracker before admission is a failed attempt: retry now, or give up.
        "tracker.lost": [
          { guard: "canRetryJoin", target: "join", reenter: true, actions: "countJoinAttempt" },
          { target: "failed", actions: { type: "recordError", params: { error: "join: tracker lost on the last attempt" } } },
        ],
      },
      after: {
        joinTimeout: [
          { guard: "canRetryJoin", target: "join", reenter: true, actions: "countJoinAttempt" },
          {
            target: "failed",
            actions: {
              type: "recordError",
              params: ({ context }) => ({ error: `join: not admitted after ${context.timeouts.joinRetries} attempts` }),
            },
          },
        ],
      },
    },
    connect: {
      entry: "connectNeighbours",
      // Also true at once for a lone peer (0 neighbours expected).
      always: { guard: "allNeighboursConnected", target: "train" },
      after: {
        connectTimeout: [
          { guard: "hasANeighbour", target: "train" },
          { guard: "canRetryConnect", target: "connect", reenter: true, actions: "countConnectAttempt" },
          {
            target: "failed",
            actions: {
              type: "recordError",
              params: ({ context }) => ({ error: `connect: no neighbour after ${context.timeouts.connectRetries} attempts` }),
            },
          },
        ],
      },
    },
    train: {
      entry: "startTraining",
      on: {
        "train.done": "score",
        "train.failed": { target: "failed", actions: { type: "recordError", params: ({ event }) => ({ error: `train: ${event.error}` }) } },
        "round.behind": catchUp,
      },
      // Publish nothing this round but still gather and aggregate the others' updates.
      after: { trainTimeout: { target: "swarm", actions: ["markDegraded", "abandonTraining"] } },
    },
    score: {
      entry: "scoreAndPublish",
      on: {
        "score.done": "swarm",
        "score.failed": {
          target: "swarm",
          actions: ["markDegraded", { type: "recordError", params: ({ event }) => ({ error: `score: ${event.error}` }) }],
        },
        "round.behind": catchUp,
      },
      after: { scoreTimeout: { target: "swarm", actions: "markDegraded" } },
    },
    swarm: {
      entry: "beginSwarm",
      // Completion may have been reported before this state (see the root `swarm.complete`).
      always: { guard: "hasAllChunks", target: "aggregate", actions: { type: "recordOutcome", params: { outcome: "complete" } } },
      on: {
        "swarm.complete": { target: "aggregate", actions: ["recordComplete", { type: "recordOutcome", params: { outcome: "complete" } }] },
        "round.behind": catchUp,
      },
      after: {
        swarmDeadline: [
          { guard: "hasEnoughChunks", target: "aggregate", actions: { type: "recordOutcome", params: { outcome: "partial" } } },
          { target: "grace" },
        ],
      },
    },
    grace: {
      always: [
        { guard: "hasAllChunks", target: "aggregate", actions: { type: "recordOutcome", params: { outcome: "complete" } } },
        { guard: "hasEnoughChunks", target: "aggregate", actions: { type: "recordOutcome", params: { outcome: "partial" } } },
      ],
      on: {
        "swarm.complete": { target: "aggregate", actions: ["recordComplete", { type: "recordOutcome", params: { outcome: "complete" } }] },
        "round.behind": catchUp,
      },
      // Aggregate what arrived and flag the round.
      after: {
        graceTimeout: {
          target: "aggregate",
          actions: ["markDegraded", { type: "recordOutcome", params: { outcome: "degraded" } }, "flagDegraded"],
        },
      },
    },
    aggregate: {
      entry: ["stopSwarm", "aggregateModel"],
      on: {
        "aggregate.done": [{ guard: "isLastRound", target: "done" }, { target: "train", actions: "advanceRound" }],
        "aggregate.failed": {
          target: "failed",
          actions: { type: "recordError", params: ({ event }) => ({ error: `aggregate: ${event.error}` }) },
        },
        // Already aggregating: just start the next round where the neighbours are.
        "round.behind": { guard: "isBehind", actions: "recordCatchUp" },
        // The gather is over; late reports must not change what this round aggregated.
        "swarm.progress": {},
        "swarm.complete": {},
      },
      after: {
        aggregateTimeout: { target: "failed", actions: { type: "recordError", params: { error: "aggregate: timed out" } } },
      },
    },
    done: { type: "final", entry: "finish" },
    failed: { type: "final", entry: "reportFailure" },
    left: { type: "final" },
  },
});
