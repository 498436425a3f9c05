import { describe, expect, test } from "bun:test";
import { createActor } from "xstate";
import {
  checkRoundInput,
  joinBackoffFactorMax,
  roundEffectNames,
  roundEventTypes,
  roundMachine,
  roundStateNames,
  type RoundContext,
  type RoundEffect,
  type RoundEvent,
  type RoundInput,
} from "../../machines/round.ts";
import { VirtualClock } from "../../runtime/clock.ts";

const timeouts = {
  joinMs: 1_000,
  joinRetries: 3,
  connectMs: 2_000,
  connectRetries: 2,
  trainMs: 10_000,
  scoreMs: 3_000,
  swarmDeadlineMs: 20_000,
  graceMs: 5_000,
  aggregateMs: 4_000,
};
const baseInput: RoundInput = { rounds: 3, minCompletion: 0.7, timeouts };

interface Call {
  effect: RoundEffect;
  round: number;
  atMs: number;
}

/** A round machine on a virtual clock whose every effect records (name, context.round, virtual time). */
function peer(over: { rounds?: number; minCompletion?: number; timeouts?: Partial<RoundInput["timeouts"]> } = {}) {
  const clock = new VirtualClock();
  const calls: Call[] = [];
  const record = (effect: RoundEffect) => ({ context }: { context: RoundContext }) => {
    calls.push({ effect, round: context.round, atMs: clock.now() });
  };
  const actions = Object.fromEntries(roundEffectNames.map((e) => [e, record(e)])) as Record<RoundEffect, ReturnType<typeof record>>;
  const input: RoundInput = { ...baseInput, ...over, timeouts: { ...timeouts, ...over.timeouts } };
  const actor = createActor(roundMachine.provide({ actions }), { clock, input }).start();
  const send = (...events: RoundEvent[]) => events.forEach((e) => actor.send(e));
  return {
    clock,
    calls,
    actor,
    send,
    state: () => actor.getSnapshot().value as string,
    ctx: () => actor.getSnapshot().context,
    effects: () => calls.map((c) => c.effect),
    callsOf: (effect: RoundEffect) => calls.filter((c) => c.effect === effect),
    /** Advances virtual time to `ms` (firing due timers). */
    at: (ms: number) => clock.run({ untilMs: ms }),
  };
}

/** Admits with `neighbours` and connects all of them: the peer is then in `train`. */
function toTrain(p: ReturnType<typeof peer>, neighbours = 1, round = 0) {
  p.send({ type: "tracker.admitted", neighbours, round });
  for (let i = 0; i < neighbours; i++) p.send({ type: "peer.connected", peer: `n${i}` });
  expect(p.state()).toBe("train");
}

const trainDone: RoundEvent = { type: "train.done", loss: 0.5, samples: 600 };

describe("round machine: sessions opened before admission", () => {
  test("admitted with every neighbour already connected goes straight to train; partly connected waits for the rest", () => {
    const all = peer();
    all.send({ type: "tracker.admitted", neighbours: 2, round: 0, connected: 2 });
    expect([all.state(), all.ctx().connectedNeighbours]).toEqual(["train", 2]);
    const some = peer();
    some.send({ type: "tracker.admitted", neighbours: 3, round: 0, connected: 5 }); // capped at the neighbours
    expect(some.ctx().connectedNeighbours).toBe(3);
    const half = peer();
    half.send({ type: "tracker.admitted", neighbours: 2, round: 0, connected: 1 });
    expect(half.state()).toBe("connect");
    half.send({ type: "peer.connected", peer: "b" });
    expect(half.state()).toBe("train");
  });
});

describe("round machine: happy path", () => {
  test("three rounds to done, effects in order with the right round numbers", async () => {
    const p = peer();
    expect(p.state()).toBe("join");
    p.send({ type: "tracker.admitted", neighbours: 2, round: 0 });
    expect(p.state()).toBe("connect");
    p.send({ type: "peer.connected", peer: "a" });
    expect(p.state()).toBe("connect");
    p.send({ type: "peer.connected", peer: "b" });
    for (let r = 0; r < 3; r++) {
      expect([p.state(), p.ctx().round]).toEqual(["train", r]);
      await p.at(p.clock.now() + 500);
      p.send(trainDone);
      expect(p.state()).toBe("score");
      p.send({ type: "score.done" });
      expect(p.state()).toBe("swarm");
      p.send({ type: "swarm.progress", coverage: 0.5 });
      expect([p.state(), p.ctx().coverage]).toEqual(["swarm", 0.5]);
      p.send({ type: "swarm.complete" });
      expect(p.state()).toBe("aggregate");
      expect([p.ctx().outcome, p.ctx().coverage, p.ctx().degraded]).toEqual(["complete", 1, false]);
      p.send({ type: "aggregate.done", accuracy: 0.9 });
    }
    expect(p.state()).toBe("done");
    expect(p.ctx().round).toBe(2);
    const perRound = ["startTraining", "scoreAndPublish", "beginSwarm", "stopSwarm", "aggregateModel"] as const;
    const expected: Array<{ effect: RoundEffect; round: number }> = [
      { effect: "requestAdmission", round: 0 },
      { effect: "connectNeighbours", round: 0 },
      ...[0, 1, 2].flatMap((round) => perRound.map((effect) => ({ effect, round }))),
      { effect: "finish", round: 2 },
    ];
    expect(p.calls.map(({ effect, round }) => ({ effect, round }))).toEqual(expected);
    expect(p.actor.getSnapshot().status).toBe("done");
    expect(p.clock.pendingTimers).toBe(0);
  });

  test("a late joiner starts at the admitted round", () => {
    const p = peer();
    toTrain(p, 1, 2);
    expect(p.callsOf("startTraining")).toEqual([{ effect: "startTraining", round: 2, atMs: 0 }]);
  });

  test("events that change nothing leave the running timer alone", async () => {
    const p = peer();
    toTrain(p);
    await p.at(4_000);
    p.send({ type: "piece.corrupt", from: "x" }, { type: "tracker.lost" }, { type: "swarm.progress", coverage: 0.1 });
    await p.at(9_999);
    expect(p.state()).toBe("train");
    await p.at(10_000);
    expect(p.state()).toBe("swarm");
  });
});

describe("round machine: join", () => {
  test("retries with backoff (joinMs × 2^attempt), then fails after joinRetries attempts", async () => {
    const p = peer();
    await p.at(6_999);
    expect(p.state()).toBe("join");
    expect(p.callsOf("requestAdmission").map((c) => c.atMs)).toEqual([0, 1_000, 3_000]);
    await p.at(7_000);
    expect(p.state()).toBe("failed");
    expect(p.ctx().lastError).toBe("join: not admitted after 3 attempts");
    expect(p.callsOf("reportFailure")).toEqual([{ effect: "reportFailure", round: 0, atMs: 7_000 }]);
  });

  test(`backoff is capped at ${joinBackoffFactorMax}× joinMs`, async () => {
    const p = peer({ timeouts: { joinRetries: 6 } });
    await p.clock.run();
    // waits: 1, 2, 4, 8, 8, 8 s
    expect(p.callsOf("requestAdmission").map((c) => c.atMs)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 23_000]);
    expect([p.state(), p.clock.now()]).toEqual(["failed", 31_000]);
  });

  test("admitted on a retry goes on to connect", async () => {
    const p = peer();
    await p.at(1_500);
    p.send({ type: "tracker.admitted", neighbours: 1, round: 0 });
    expect([p.state(), p.ctx().expectedNeighbours]).toEqual(["connect", 1]);
    expect(p.callsOf("connectNeighbours")).toEqual([{ effect: "connectNeighbours", round: 0, atMs: 1_500 }]);
  });

  test("tracker.lost in join counts as a failed attempt: retry at once, then fail", async () => {
    const p = peer({ timeouts: { joinRetries: 2 } });
    await p.at(500);
    p.send({ type: "tracker.lost" });
    expect([p.state(), p.ctx().joinAttempts, p.ctx().trackerLost]).toEqual(["join", 1, false]);
    expect(p.callsOf("requestAdmission").map((c) => c.atMs)).toEqual([0, 500]);
    p.send({ type: "tracker.lost" });
    expect(p.state()).toBe("failed");
    expect(p.ctx().lastError).toBe("join: tracker lost on the last attempt");
  });

  test("tracker.rejected fails with the reason", () => {
    const p = peer();
    p.send({ type: "tracker.rejected", reason: "full" });
    expect([p.state(), p.ctx().lastError]).toEqual(["failed", "join: tracker rejected (full)"]);
  });
});

describe("round machine: connect", () => {
  test("timeout with one of two neighbours connected goes on to train", async () => {
    const p = peer();
    p.send({ type: "tracker.admitted", neighbours: 2, round: 0 }, { type: "peer.connected", peer: "a" });
    await p.at(1_999);
    expect(p.state()).toBe("connect");
    await p.at(2_000);
    expect([p.state(), p.ctx().connectedNeighbours]).toEqual(["train", 1]);
    expect(p.callsOf("startTraining")).toEqual([{ effect: "startTraining", round: 0, atMs: 2_000 }]);
  });

  test("timeout with no neighbour retries, then fails after connectRetries", async () => {
    const p = peer();
    p.send({ type: "tracker.admitted", neighbours: 2, round: 0 });
    await p.at(3_999);
    expect([p.state(), p.ctx().connectAttempts]).toEqual(["connect", 1]);
    expect(p.callsOf("connectNeighbours").map((c) => c.atMs)).toEqual([0, 2_000]);
    await p.at(4_000);
    expect([p.state(), p.ctx().lastError]).toEqual(["failed", "connect: no neighbour after 2 attempts"]);
  });

  test("a lone peer (0 neighbours) goes straight to train", () => {
    const p = peer();
    p.send({ type: "tracker.admitted", neighbours: 0, round: 0 });
    expect(p.state()).toBe("train");
    expect(p.effects()).toEqual(["requestAdmission", "connectNeighbours", "startTraining"]);
  });
});

describe("round machine: train and score", () => {
  test("trainTimeout abandons training and gathers anyway, marked degraded", async () => {
    const p = peer();
    toTrain(p);
    await p.at(10_000);
    expect([p.state(), p.ctx().degraded]).toEqual(["swarm", true]);
    expect(p.effects().slice(-2)).toEqual(["abandonTraining", "beginSwarm"]);
    expect(p.callsOf("abandonTraining")).toEqual([{ effect: "abandonTraining", round: 0, atMs: 10_000 }]);
    expect(p.callsOf("scoreAndPublish")).toEqual([]);
  });

  test("train.failed fails the peer", () => {
    const p = peer();
    toTrain(p);
    p.send({ type: "train.failed", error: "NaN loss" });
    expect([p.state(), p.ctx().lastError]).toEqual(["failed", "train: NaN loss"]);
  });

  test("scoreTimeout and score.failed go on to swarm, degraded", async () => {
    const p = peer();
    toTrain(p);
    p.send(trainDone);
    await p.at(2_999);
    expect([p.state(), p.ctx().degraded]).toEqual(["score", false]);
    await p.at(3_000);
    expect([p.state(), p.ctx().degraded]).toEqual(["swarm", true]);

    const q = peer();
    toTrain(q);
    q.send(trainDone, { type: "score.failed", error: "publish refused" });
    expect([q.state(), q.ctx().degraded, q.ctx().lastError]).toEqual(["swarm", true, "score: publish refused"]);
  });
});

describe("round machine: swarm deadline and grace", () => {
  async function inSwarm(coverage: number) {
    const p = peer();
    toTrain(p);
    p.send(trainDone, { type: "score.done" });
    expect(p.state()).toBe("swarm");
    p.send({ type: "swarm.progress", coverage });
    return p;
  }

  test("coverage exactly at minCompletion at the deadline aggregates partial", async () => {
    const p = await inSwarm(0.7);
    await p.at(19_999);
    expect(p.state()).toBe("swarm");
    await p.at(20_000);
    expect([p.state(), p.ctx().outcome, p.ctx().degraded]).toEqual(["aggregate", "partial", false]);
    expect(p.callsOf("stopSwarm")).toEqual([{ effect: "stopSwarm", round: 0, atMs: 20_000 }]);
  });

  test("coverage just below minCompletion goes to grace; progress to the threshold aggregates partial, not degraded", async () => {
    const p = await inSwarm(0.69);
    await p.at(20_000);
    expect(p.state()).toBe("grace");
    p.send({ type: "swarm.progress", coverage: 0.69 });
    expect(p.state()).toBe("grace");
    p.send({ type: "swarm.progress", coverage: 0.7 });
    expect([p.state(), p.ctx().outcome, p.ctx().degraded]).toEqual(["aggregate", "partial", false]);
    expect(p.callsOf("flagDegraded")).toEqual([]);
  });

  test("swarm.complete during grace aggregates complete", async () => {
    const p = await inSwarm(0.2);
    await p.at(20_000);
    p.send({ type: "swarm.complete" });
    expect([p.state(), p.ctx().outcome, p.ctx().coverage]).toEqual(["aggregate", "complete", 1]);
  });

  test("grace timeout aggregates what arrived, flagged degraded", async () => {
    const p = await inSwarm(0.3);
    await p.at(24_999);
    expect(p.state()).toBe("grace");
    await p.at(25_000);
    expect([p.state(), p.ctx().outcome, p.ctx().degraded, p.ctx().coverage]).toEqual(["aggregate", "degraded", true, 0.3]);
    expect(p.effects().slice(-3)).toEqual(["flagDegraded", "stopSwarm", "aggregateModel"]);
    expect(p.callsOf("flagDegraded")[0]?.atMs).toBe(25_000);
  });

  test("progress reported before swarm (while training) is kept; completion before swarm aggregates on entry", async () => {
    const p = peer();
    toTrain(p);
    p.send({ type: "swarm.progress", coverage: 0.8 });
    p.send(trainDone, { type: "score.done" });
    expect([p.state(), p.ctx().coverage]).toEqual(["swarm", 0.8]);
    await p.at(20_000);
    expect([p.state(), p.ctx().outcome]).toEqual(["aggregate", "partial"]);
    p.send({ type: "aggregate.done" });
    expect([p.state(), p.ctx().round, p.ctx().coverage, p.ctx().outcome]).toEqual(["train", 1, 0, undefined]);
    p.send({ type: "swarm.complete" }, trainDone, { type: "score.done" });
    expect([p.state(), p.ctx().outcome]).toEqual(["aggregate", "complete"]);
    expect(p.effects().slice(-3)).toEqual(["beginSwarm", "stopSwarm", "aggregateModel"]);
  });

  test("progress after the gather ended does not change what was aggregated; coverage is clamped", async () => {
    const p = await inSwarm(1.5);
    expect([p.state(), p.ctx().coverage]).toEqual(["aggregate", 1]);
    p.send({ type: "swarm.progress", coverage: 0.1 });
    expect(p.ctx().coverage).toBe(1);
  });
});

describe("round machine: aggregate", () => {
  test("aggregateTimeout and aggregate.failed fail the peer", async () => {
    const p = peer();
    toTrain(p);
    p.send(trainDone, { type: "score.done" }, { type: "swarm.complete" });
    await p.at(3_999);
    expect(p.state()).toBe("aggregate");
    await p.at(4_000);
    expect([p.state(), p.ctx().lastError]).toEqual(["failed", "aggregate: timed out"]);

    const q = peer();
    toTrain(q);
    q.send(trainDone, { type: "score.done" }, { type: "swarm.complete" }, { type: "aggregate.failed", error: "disk full" });
    expect([q.state(), q.ctx().lastError]).toEqual(["failed", "aggregate: disk full"]);
  });
});

describe("round machine: catching up", () => {
  test("round.behind two rounds ahead aggregates now and starts the next round there", () => {
    const p = peer({ rounds: 5 });
    toTrain(p);
    p.send({ type: "round.behind", round: 3 });
    expect([p.state(), p.ctx().catchUpTo, p.ctx().outcome, p.ctx().degraded]).toEqual(["aggregate", 3, "degraded", true]);
    expect(p.effects().slice(-4)).toEqual(["abandonRound", "flagDegraded", "stopSwarm", "aggregateModel"]);
    p.send({ type: "aggregate.done" });
    expect([p.state(), p.ctx().round, p.ctx().catchUpTo, p.ctx().degraded]).toEqual(["train", 3, undefined, false]);
    expect(p.callsOf("startTraining").map((c) => c.round)).toEqual([0, 3]);
  });

  test("round.behind only one round ahead is normal skew and ignored", async () => {
    const p = peer();
    toTrain(p);
    p.send({ type: "round.behind", round: 1 });
    expect(p.state()).toBe("train");
    p.send(trainDone, { type: "round.behind", round: 1 });
    expect(p.state()).toBe("score");
    p.send({ type: "score.done" }, { type: "round.behind", round: 1 });
    expect(p.state()).toBe("swarm");
    await p.at(20_000);
    p.send({ type: "round.behind", round: 1 });
    expect([p.state(), p.ctx().catchUpTo]).toEqual(["grace", undefined]);
  });

  test("round.behind from score, swarm and grace also catches up", async () => {
    for (const where of ["score", "swarm", "grace"] as const) {
      const p = peer({ rounds: 10 });
      toTrain(p);
      p.send(trainDone);
      if (where !== "score") p.send({ type: "score.done" });
      if (where === "grace") await p.at(20_000);
      expect(p.state()).toBe(where);
      p.send({ type: "round.behind", round: 4 });
      expect([p.state(), p.ctx().catchUpTo]).toEqual(["aggregate", 4]);
    }
  });

  test("round.behind while aggregating sets where the next round starts", () => {
    const p = peer({ rounds: 5 });
    toTrain(p);
    p.send(trainDone, { type: "score.done" }, { type: "swarm.complete" }, { type: "round.behind", round: 2 });
    expect([p.state(), p.ctx().outcome]).toEqual(["aggregate", "complete"]);
    p.send({ type: "aggregate.done" });
    expect([p.state(), p.ctx().round]).toEqual(["train", 2]);
  });

  test("round.behind at or past the last round ends in done after this aggregate", () => {
    const p = peer();
    toTrain(p);
    p.send({ type: "round.behind", round: 7 });
    expect([p.state(), p.ctx().catchUpTo]).toEqual(["aggregate", 3]);
    p.send({ type: "aggregate.done" });
    expect(p.state()).toBe("done");
    expect(p.effects().at(-1)).toBe("finish");
  });
});

describe("round machine: leaving and faults", () => {
  test("peer.leave from every non-final state ends in left with leaveSwarm and no timer armed", async () => {
    const reach: Record<string, (p: ReturnType<typeof peer>) => Promise<unknown> | void> = {
      join: () => {},
      connect: (p) => p.send({ type: "tracker.admitted", neighbours: 1, round: 0 }),
      train: (p) => toTrain(p),
      score: (p) => (toTrain(p), p.send(trainDone)),
      swarm: (p) => (toTrain(p), p.send(trainDone, { type: "score.done" })),
      grace: (p) => (toTrain(p), p.send(trainDone, { type: "score.done" }), p.at(20_000)),
      aggregate: (p) => (toTrain(p), p.send(trainDone, { type: "score.done" }, { type: "swarm.complete" })),
    };
    for (const [state, go] of Object.entries(reach)) {
      const p = peer();
      await go(p);
      expect(p.state()).toBe(state);
      p.send({ type: "peer.leave" });
      expect([state, p.state(), p.effects().at(-1)]).toEqual([state, "left", "leaveSwarm"]);
      expect(p.clock.pendingTimers).toBe(0);
    }
  });

  test("tracker.lost after join is noted and the peer carries on to done", () => {
    const p = peer({ rounds: 1 });
    toTrain(p);
    p.send({ type: "tracker.lost" });
    expect([p.state(), p.ctx().trackerLost]).toEqual(["train", true]);
    expect(p.callsOf("noteTrackerLost")).toHaveLength(1);
    p.send(trainDone, { type: "score.done" }, { type: "swarm.complete" }, { type: "aggregate.done" });
    expect(p.state()).toBe("done");
  });

  test("piece.corrupt is counted without a transition", () => {
    const p = peer();
    toTrain(p);
    p.send(trainDone);
    for (let i = 0; i < 3; i++) p.send({ type: "piece.corrupt", from: "mallory" });
    expect([p.state(), p.ctx().corruptPieces]).toEqual(["score", 3]);
  });

  test("the connected count stays within 0..expected, and every loss is noted", () => {
    const p = peer();
    p.send({ type: "tracker.admitted", neighbours: 3, round: 0 });
    p.send({ type: "peer.crashed", peer: "a" }, { type: "link.down", peer: "b" });
    expect([p.state(), p.ctx().connectedNeighbours]).toEqual(["connect", 0]);
    expect(p.callsOf("noteNeighbourLost")).toHaveLength(2);
    p.send({ type: "peer.connected", peer: "a" }, { type: "peer.connected", peer: "b" }, { type: "link.down", peer: "b" });
    expect([p.state(), p.ctx().connectedNeighbours]).toEqual(["connect", 1]);
    p.send({ type: "peer.connected", peer: "b" }, { type: "peer.connected", peer: "c" });
    expect(p.state()).toBe("train");
    p.send({ type: "peer.connected", peer: "d" });
    expect(p.ctx().connectedNeighbours).toBe(3);
    for (let i = 0; i < 5; i++) p.send({ type: "peer.crashed", peer: `x${i}` });
    expect([p.state(), p.ctx().connectedNeighbours]).toEqual(["train", 0]);
  });
});

describe("round machine: structure", () => {
  test("every non-final state has a timeout exit; exactly done, failed and left are final", () => {
    const states = roundMachine.root.states;
    expect(Object.keys(states)).toEqual([...roundStateNames]);
    const finals: string[] = [];
    for (const name of roundStateNames) {
      const node = states[name]!;
      if (node.type === "final") {
        finals.push(name);
        expect(node.after).toEqual([]);
      } else {
        expect([name, node.after.length > 0]).toEqual([name, true]);
      }
    }
    expect(finals).toEqual(["done", "failed", "left"]);
  });

  test("roundEventTypes lists exactly the events the machine handles", () => {
    const handled = new Set(roundMachine.root.events.filter((e) => !e.startsWith("xstate.")));
    expect([...handled].sort()).toEqual([...roundEventTypes].sort());
    expect(new Set(roundEventTypes).size).toBe(roundEventTypes.length);
  });

  test("default effects are no-ops: the bare machine runs on the virtual clock", async () => {
    const clock = new VirtualClock();
    const actor = createActor(roundMachine, { clock, input: baseInput }).start();
    await clock.run();
    expect([actor.getSnapshot().value, clock.now()]).toEqual(["failed", 7_000]);
  });

  test("input is validated at the edge with the field's path", () => {
    expect(() => checkRoundInput({ ...baseInput, rounds: 0 })).toThrow("input.rounds must be an integer ≥ 1, got 0");
    expect(() => checkRoundInput({ ...baseInput, minCompletion: 0 })).toThrow("input.minCompletion");
    expect(() => checkRoundInput({ ...baseInput, timeouts: { ...timeouts, trainMs: Number.NaN } })).toThrow("input.timeouts.trainMs");
    expect(() => checkRoundInput({ ...baseInput, timeouts: { ...timeouts, joinRetries: 0 } })).toThrow("input.timeouts.joinRetries");
    // Through the machine the same check puts the actor in error before anything runs.
    const bad = createActor(roundMachine, { input: { ...baseInput, timeouts: { ...timeouts, graceMs: -1 } } }).getSnapshot();
    expect([bad.status, String(bad.error)]).toEqual(["error", "Error: roundMachine: input.timeouts.graceMs must be a finite number ≥ 0, got -1"]);
    expect(checkRoundInput({ ...baseInput, timeouts: { ...timeouts, graceMs: 0 } }).timeouts.graceMs).toBe(0);
  });
});
