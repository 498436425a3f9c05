/**
 * Model-based tests of the round machine (DESIGN §4, §11): xstate/graph walks the machine on a small input with
 * every event type, the fault events and every timeout; the checks run on every reachable snapshot and every
 * edge, and every shortest path (and every complete simple run with one kind of extra event) is replayed on a
 * real actor whose timeouts come from the virtual clock. The helpers are in round-model.ts.
 */
import { describe, expect, test } from "bun:test";
import { createMachine } from "xstate";
import { roundEventTypes, roundMachine, roundStateNames, type RoundStateName } from "../../machines/round.ts";
import {
  coverageOf,
  deadEnds,
  edgeViolations,
  eventsFor,
  finalStates,
  isTimeout,
  minCompletionViolations,
  modelInput,
  pathsThenTimeout,
  replayMismatches,
  simpleRunInput,
  simpleRuns,
  stateName,
  timeoutEventsOf,
  timeoutExitViolations,
  walkInvariantViolations,
  walkRound,
  type RoundSnapshot,
} from "./round-model.ts";

const walk = walkRound();
const waiting = roundStateNames.filter((n) => !finalStates.includes(n));
const machineEvents: readonly string[] = roundMachine.root.events;

describe("round machine model: the walk", () => {
  test("sends every event type in every waiting state, and each state's own timeout as XState's delayed event", () => {
    const sent = new Map<string, Set<string>>();
    for (const e of walk.edges) {
      if (!sent.has(stateName(e.from))) sent.set(stateName(e.from), new Set());
      sent.get(stateName(e.from))!.add(e.event.type);
    }
    expect([...sent.keys()].sort()).toEqual([...waiting].sort());
    for (const name of waiting) {
      const timeouts = timeoutEventsOf(name);
      expect([name, timeouts.length]).toEqual([name, 1]);
      expect(machineEvents).toContain(timeouts[0]!.type);
      expect([name, [...sent.get(name)!].sort()]).toEqual([name, [...roundEventTypes, timeouts[0]!.type].sort()]);
    }
    expect(new Set(eventsFor(walk.paths[0]!.state).map((e) => e.type)).size).toBe(roundEventTypes.length + 1);
  });

  test("every waiting state has a timeout exit: in the config, and from every reachable snapshot", () => {
    expect(timeoutExitViolations(walk)).toEqual([]);
  });

  test("no dead ends: a final state is reachable from every state, by timeouts alone too, and done stays reachable", () => {
    expect(deadEnds(walk)).toEqual([]);
    // No state waits forever: with no event from outside, the timers alone end every run.
    expect(deadEnds(walk, (e) => isTimeout(e.event))).toEqual([]);
    // Nothing dooms a run early: from every waiting state some events still lead to done (aggregate, then the next round).
    const doomed = deadEnds(walk, () => true, (s) => stateName(s) === "done");
    expect(doomed.filter((k) => !finalStates.includes(k as RoundStateName))).toEqual([]);
  });

  test("minCompletion at the swarm deadline: aggregate partial exactly when coverage ≥ minCompletion, else grace", () => {
    expect(walk.paths.filter((p) => stateName(p.state) === "swarm").length).toBeGreaterThan(0);
    expect(minCompletionViolations(walk)).toEqual([]);
  });

  test("invariants hold on every reachable snapshot", () => {
    expect(walkInvariantViolations(walk)).toEqual([]);
    const finals = new Set(walk.edges.map((e) => e.to).filter((s: RoundSnapshot) => s.status === "done").map(stateName));
    expect([...finals].sort()).toEqual([...finalStates].sort());
  });

  test("on every edge: rounds never go back, normal skew and faults do not move the peer, late reports change nothing", () => {
    expect(edgeViolations(walk)).toEqual([]);
  });

  test("covers 100% of state nodes, transition definitions and (state, transition) pairs", () => {
    const c = coverageOf(walk);
    console.log(
      `round model: ${c.modelStates} model states, ${c.edges} edges, ${c.shortestPaths} shortest paths; ` +
        `state nodes ${c.stateNodes.visited}/${c.stateNodes.total}, transitions ${c.transitions.taken}/${c.transitions.total}, ` +
        `(state, transition) pairs ${c.stateTransitions.taken}/${c.stateTransitions.total}`,
    );
    expect(c.stateNodes.missed).toEqual([]);
    expect(c.transitions.missed).toEqual([]);
    expect(c.stateTransitions.missed).toEqual([]);
    expect(c.stateNodes.visited).toBe(roundStateNames.length);
  });
});

describe("round machine model: replays on a real actor with the virtual clock", () => {
  test("every shortest path, and each extended by its state's timeout, reaches the states the graph says", async () => {
    const extended = pathsThenTimeout(walk);
    const bad: string[] = [];
    for (const path of [...walk.paths, ...extended]) bad.push(...(await replayMismatches(path, modelInput)));
    expect(bad.slice(0, 5)).toEqual([]);
    expect(walk.paths.length).toBe(walk.states.size);
    // Every waiting model state's timer fired on the clock.
    expect(extended.length).toBe([...walk.states.values()].filter((s) => s.status === "active").length);
  });

  test("every complete run (simple path to a final state) with one kind of extra event replays the same", async () => {
    const counts: Record<string, number> = {};
    const bad: string[] = [];
    for (const extra of roundEventTypes) {
      const runs = simpleRuns(extra);
      counts[extra] = runs.length;
      for (const run of runs) {
        expect(finalStates).toContain(stateName(run.state));
        bad.push(...(await replayMismatches(run, simpleRunInput)));
      }
    }
    console.log(`round model: ${Object.values(counts).reduce((a, b) => a + b, 0)} simple runs`, JSON.stringify(counts));
    expect(bad.slice(0, 5)).toEqual([]);
    for (const t of roundEventTypes) expect([t, counts[t]! > 0]).toEqual([t, true]);
  });
});

describe("round machine model: a broken machine fails the checks", () => {
  test("hasEnoughChunks always false: the minCompletion check and transition coverage catch it", () => {
    const broken = walkRound(roundMachine.provide({ guards: { hasEnoughChunks: () => false } }));
    const found = minCompletionViolations(broken);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((v) => v.startsWith("coverage 0.7 at the deadline") && v.includes("grace,- (want aggregate,partial)"))).toBe(true);
    const missed = coverageOf(broken).transitions.missed;
    expect(missed).toContain("round.swarm|xstate.after.swarmDeadline.round.swarm|0");
    expect(missed).toContain("round.grace|always|1");
  });

  test("grace without its timer (a scratch copy of the config): the timeout-exit and liveness checks catch it", () => {
    const { after: _dropped, ...graceWithoutTimer } = roundMachine.config.states!.grace!;
    const scratch = createMachine(
      { ...roundMachine.config, states: { ...roundMachine.config.states, grace: graceWithoutTimer } },
      roundMachine.implementations,
    ) as unknown as typeof roundMachine;
    const broken = walkRound(scratch);
    expect(timeoutExitViolations(broken)).toContain("config: grace has no timeout");
    const stuck = deadEnds(broken, (e) => isTimeout(e.event));
    // Grace itself, and every waiting state whose timers lead there (coverage below minCompletion).
    const stuckIn = new Set(stuck.map((k) => stateName(broken.states.get(k)!)));
    expect([...stuckIn].sort()).toEqual(["connect", "grace", "score", "swarm", "train"]);
  });

  test("a retry counter that never saturates makes the model infinite, and the walk stops at its limit", () => {
    const endless = roundMachine.provide({ guards: { canRetryJoin: () => true } });
    expect(() => walkRound(endless, modelInput, 20_000)).toThrow("Traversal limit exceeded");
  });
});
