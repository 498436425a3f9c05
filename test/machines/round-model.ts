/**
 * A finite model of the round machine (machines/round.ts) for xstate/graph, and the checks the model-based
 * tests and bench/machine-coverage.ts share.
 *
 * The model is the machine itself on a small input (2 rounds, 2 join and 2 connect attempts), driven by a
 * finite event alphabet: every type in `roundEventTypes` with a few payloads each, plus the timeout armed in
 * the current state as XState's internal delayed event (`xstate.after.<delay>.round.<state>`). Snapshots are
 * keyed by what later behaviour depends on, plus whether a fault was reported (see `modelKey`).
 */
import { createActor, type ActorLogic, type AnyStateNode, type AnyTransitionDefinition, type SnapshotFrom } from "xstate";
import { getPathsFromEvents, getShortestPaths, getSimplePaths, getStateNodes, type StatePath } from "xstate/graph";
import {
  joinBackoffFactorMax,
  roundEffectNames,
  roundEventTypes,
  roundMachine,
  type RoundContext,
  type RoundEffect,
  type RoundEvent,
  type RoundEventType,
  type RoundInput,
  type RoundStateName,
} from "../../machines/round.ts";
import { VirtualClock } from "../../runtime/clock.ts";

export type RoundSnapshot = SnapshotFrom<typeof roundMachine>;
/** XState's name for a delay firing in a state, e.g. `xstate.after.swarmDeadline.round.swarm`. */
export type TimeoutEvent = { type: `xstate.after.${string}` };
export type WalkEvent = RoundEvent | TimeoutEvent;
type RoundMachine = typeof roundMachine;

export const finalStates: readonly RoundStateName[] = ["done", "failed", "left"];
/** Payload choices: around minCompletion's boundary, complete, and two out of range (the machine clamps them). */
export const coverageValues = [-0.1, 0, 0.69, 0.7, 1, 1.5] as const;
export const neighbourCounts = [0, 1, 2] as const;

/** Small enough to walk exhaustively; large enough that every retry, backoff and round advance has a branch. */
export const modelInput: RoundInput = {
  rounds: 2,
  minCompletion: 0.7,
  timeouts: {
    joinMs: 1_000,
    joinRetries: 2,
    connectMs: 2_000,
    connectRetries: 2,
    trainMs: 10_000,
    scoreMs: 3_000,
    swarmDeadlineMs: 20_000,
    graceMs: 5_000,
    aggregateMs: 4_000,
  },
};

export const stateName = (s: RoundSnapshot): RoundStateName => s.value as RoundStateName;

/** The delayed events the config arms in `name` (one per named delay; guarded branches share it). */
export function timeoutEventsOf(name: RoundStateName, machine: RoundMachine = roundMachine): TimeoutEvent[] {
  const node: AnyStateNode = machine.root.states[name]!;
  const types = new Set(node.after.map((t) => t.eventType as TimeoutEvent["type"]));
  return [...types].map((type) => ({ type }));
}

/** The delay (ms) a state's timer waits, from the input: the oracle the virtual-clock replay checks against. */
export function expectedDelayMs(c: RoundContext, name: RoundStateName): number {
  const t = c.timeouts;
  const table: Partial<Record<RoundStateName, number>> = {
    join: t.joinMs * Math.min(2 ** c.joinAttempts, joinBackoffFactorMax),
    connect: t.connectMs,
    train: t.trainMs,
    score: t.scoreMs,
    swarm: t.swarmDeadlineMs,
    grace: t.graceMs,
    aggregate: t.aggregateMs,
  };
  const ms = table[name];
  if (ms === undefined) throw new Error(`no timer in ${name}`);
  return ms;
}

/** Every event type with a finite set of payloads, then the timeout armed in the current state. */
export function eventsFor(s: RoundSnapshot, input: RoundInput = modelInput): WalkEvent[] {
  const r = s.context.round;
  const byType: { [K in RoundEventType]: Array<Extract<RoundEvent, { type: K }>> } = {
    // A round past the last is clamped by `admit`; `connected` counts sessions opened before admission (capped at
    // the neighbours: 3 exceeds every count here).
    "tracker.admitted": neighbourCounts.flatMap((neighbours) => [
      ...[0, input.rounds - 1, input.rounds].map((round) => ({ type: "tracker.admitted" as const, neighbours, round })),
      { type: "tracker.admitted" as const, neighbours, round: 0, connected: 1 },
      { type: "tracker.admitted" as const, neighbours, round: 0, connected: 3 },
    ]),
    "tracker.rejected": [{ type: "tracker.rejected", reason: "full" }],
    "tracker.lost": [{ type: "tracker.lost" }],
    "peer.connected": [{ type: "peer.connected", peer: "n" }],
    "peer.crashed": [{ type: "peer.crashed", peer: "n" }],
    "link.down": [{ type: "link.down", peer: "n" }],
    "train.done": [{ type: "train.done", loss: 0.5, samples: 10 }],
    "train.failed": [{ type: "train.failed", error: "NaN loss" }],
    "score.done": [{ type: "score.done" }],
    "score.failed": [{ type: "score.failed", error: "publish refused" }],
    "swarm.progress": coverageValues.map((coverage) => ({ type: "swarm.progress" as const, coverage })),
    "swarm.complete": [{ type: "swarm.complete" }],
    // One round ahead is normal skew; two is behind.
    "round.behind": [r + 1, r + 2].map((round) => ({ type: "round.behind" as const, round })),
    "aggregate.done": [{ type: "aggregate.done", accuracy: 0.9 }],
    "aggregate.failed": [{ type: "aggregate.failed", error: "disk full" }],
    "piece.corrupt": [{ type: "piece.corrupt", from: "m" }],
    "peer.leave": [{ type: "peer.leave" }],
  };
  const events: WalkEvent[] = roundEventTypes.flatMap((type): RoundEvent[] => byType[type]);
  return s.status === "active" ? [...events, ...timeoutEventsOf(stateName(s), s.machine)] : events;
}

/**
 * What later behaviour depends on. A final state is absorbing, so its name is its key. joinAttempts and
 * connectAttempts are read only in their own state, so they count there only. trackerLost and corruptPieces are
 * only reported, but kept (corruptPieces as "any") so that each fault leads to its own model states and
 * replays; lastError is left out.
 */
export function modelKey(s: RoundSnapshot): string {
  const name = stateName(s);
  if (s.status !== "active") return name;
  const c = s.context;
  return JSON.stringify([
    name, c.round, c.catchUpTo ?? null, c.coverage, c.degraded, c.outcome ?? null,
    c.expectedNeighbours, c.connectedNeighbours,
    name === "join" ? c.joinAttempts : null, name === "connect" ? c.connectAttempts : null,
    c.trackerLost, Math.min(c.corruptPieces, 1),
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// Transitions the config defines, and which of them a step took

/** `source|event|branch`: one transition definition of the config (a guarded branch is one each). */
export type TransitionId = string;

interface ConfigTransitions {
  ids: Map<AnyTransitionDefinition, TransitionId>;
  /** Per non-final state: the (state, transition) pairs that can fire there, own or inherited from the root. */
  byState: Map<RoundStateName, TransitionId[]>;
}

/** Enumerates the config's transitions (root handlers, each state's `on`, `after` and `always`). */
export function configTransitions(machine: RoundMachine = roundMachine): ConfigTransitions {
  const ids = new Map<AnyTransitionDefinition, TransitionId>();
  const nodes = [machine.root, ...getStateNodes(machine.root)];
  for (const node of nodes) {
    for (const [eventType, defs] of node.transitions) defs.forEach((d, i) => ids.set(d, `${node.id}|${eventType}|${i}`));
    node.always?.forEach((d, i) => ids.set(d, `${node.id}|always|${i}`));
  }
  const byState = new Map<RoundStateName, TransitionId[]>();
  for (const node of getStateNodes(machine.root)) {
    if (node.type === "final") continue;
    const pairs: TransitionId[] = [];
    const eventTypes = new Set([...node.transitions.keys(), ...machine.root.transitions.keys()]);
    for (const eventType of eventTypes) {
      // XState tries the state's own candidates, then its parent's while no candidate is unguarded.
      for (const n of [node, machine.root]) {
        const defs = n.transitions.get(eventType) ?? [];
        for (const d of defs) pairs.push(`${node.key}@${ids.get(d)!}`);
        if (defs.some((d) => d.guard === undefined)) break;
      }
    }
    node.always?.forEach((d) => pairs.push(`${node.key}@${ids.get(d)!}`));
    byState.set(node.key as RoundStateName, pairs);
  }
  return { ids, byState };
}

export interface WalkEdge {
  from: RoundSnapshot;
  event: WalkEvent;
  to: RoundSnapshot;
  /** Transition definitions taken, in microstep order (the event's, then any eventless ones). */
  taken: AnyTransitionDefinition[];
}

/**
 * The machine as actor logic whose every `transition` is recorded with the transitions XState took (from its
 * own `@xstate.microstep` inspection events on the walk's actor system).
 */
function recordingLogic(machine: RoundMachine, edges?: WalkEdge[]): ActorLogic<RoundSnapshot, WalkEvent, RoundInput> {
  const transition = (from: RoundSnapshot, event: WalkEvent, scope: Parameters<RoundMachine["transition"]>[2]) => {
    const taken: AnyTransitionDefinition[] = [];
    const sub = scope.system.inspect((e) => {
      if (e.type === "@xstate.microstep") taken.push(...e._transitions);
    });
    try {
      const to = machine.transition(from, event as RoundEvent, scope);
      edges?.push({ from, event, to, taken });
      return to;
    } finally {
      sub.unsubscribe();
    }
  };
  return Object.create(machine, { transition: { value: transition } });
}

export interface RoundWalk {
  machine: RoundMachine;
  input: RoundInput;
  /** One shortest path (xstate/graph) to every model state. */
  paths: Array<StatePath<RoundSnapshot, WalkEvent>>;
  /** Every (state, event) pair the walk tried, from every model state. */
  edges: WalkEdge[];
  /** Model states by key, each with a snapshot the walk found for it. */
  states: Map<string, RoundSnapshot>;
}

/** Transitions the walk may try before it gives up: the model has ~60k edges; a counter that never saturates has no end. */
export const walkTransitionsMax = 200_000;

/** Walks the whole model with getShortestPaths; final states are not expanded (an actor there has stopped). */
export function walkRound(machine: RoundMachine = roundMachine, input: RoundInput = modelInput, limit = walkTransitionsMax): RoundWalk {
  const edges: WalkEdge[] = [];
  const paths = getShortestPaths(recordingLogic(machine, edges), {
    input,
    events: (s) => eventsFor(s, input),
    serializeState: (s) => modelKey(s),
    stopWhen: (s) => s.status !== "active",
    limit,
  });
  const states = new Map(paths.map((p) => [modelKey(p.state), p.state]));
  return { machine, input, paths, edges, states };
}

/**
 * Each shortest path to a waiting state, extended by that state's timeout: replayed, they fire every timer of
 * every reachable model state on the clock (shortest paths alone reach some states faster by other events).
 */
export function pathsThenTimeout(walk: RoundWalk): Array<StatePath<RoundSnapshot, WalkEvent>> {
  const timeoutEdges = new Map(walk.edges.filter((e) => isTimeout(e.event)).map((e) => [modelKey(e.from), e]));
  return walk.paths.flatMap((p) => {
    const e = timeoutEdges.get(modelKey(p.state));
    if (e === undefined) return [];
    return [{ state: e.to, steps: [...p.steps, { event: e.event, state: e.to }], weight: p.weight + 1 }];
  });
}

/** The small progress alphabet the simple runs start from: one neighbour, one round, everything succeeds. */
const happyEvents: readonly WalkEvent[] = [
  { type: "tracker.admitted", neighbours: 1, round: 0 },
  { type: "peer.connected", peer: "n" },
  { type: "train.done", loss: 0.5, samples: 10 },
  { type: "score.done" },
  { type: "aggregate.done", accuracy: 0.9 },
];
/** One round: simple paths multiply with every event and round, so they get the smallest input that still runs. */
export const simpleRunInput: RoundInput = { ...modelInput, rounds: 1 };

/**
 * Every complete run (a simple path, xstate/graph, from the initial state to a final one) over the happy
 * alphabet plus one payload of `extra` (the last listed; swarm.progress at minCompletion) and the timeouts.
 */
export function simpleRuns(extra: RoundEventType, machine: RoundMachine = roundMachine): Array<StatePath<RoundSnapshot, WalkEvent>> {
  const input = simpleRunInput;
  const pick = (s: RoundSnapshot): WalkEvent => {
    if (extra === "swarm.progress") return { type: "swarm.progress", coverage: input.minCompletion };
    return eventsFor(s, input).filter((e) => e.type === extra).at(-1)!;
  };
  return getSimplePaths(recordingLogic(machine), {
    input,
    events: (s) => (s.status === "active" ? [...happyEvents, pick(s), ...timeoutEventsOf(stateName(s), machine)] : []),
    serializeState: (s) => modelKey(s),
    toState: (s) => s.status !== "active",
  });
}

// ---------------------------------------------------------------------------------------------------------
// Checks: each returns what it found wrong (empty when sound), so a test can also show that a broken machine fails

export const isTimeout = (e: WalkEvent): e is TimeoutEvent => e.type.startsWith("xstate.after.");
const isWaiting = (s: RoundSnapshot): boolean => s.status === "active";

/** Invariant violations of one snapshot. */
export function invariantViolations(s: RoundSnapshot): string[] {
  const c = s.context;
  const name = stateName(s);
  const bad: string[] = [];
  const final = finalStates.includes(name);
  if (s.status === "error") bad.push(`status error: ${String(s.error)}`);
  if (final !== (s.status === "done")) bad.push(`state ${name} with status ${s.status}`);
  if (!(c.connectedNeighbours >= 0 && c.connectedNeighbours <= c.expectedNeighbours)) {
    bad.push(`connectedNeighbours ${c.connectedNeighbours} outside [0, ${c.expectedNeighbours}]`);
  }
  if (!(Number.isInteger(c.round) && c.round >= 0 && c.round < c.rounds)) bad.push(`round ${c.round} outside [0, ${c.rounds})`);
  if (c.catchUpTo !== undefined && !(c.catchUpTo > c.round && c.catchUpTo <= c.rounds)) {
    bad.push(`catchUpTo ${c.catchUpTo} outside (${c.round}, ${c.rounds}]`);
  }
  if (!(c.coverage >= 0 && c.coverage <= 1)) bad.push(`coverage ${c.coverage} outside [0, 1]`);
  if (c.outcome === "degraded" && !c.degraded) bad.push("outcome degraded but degraded is false");
  // The outcome is what the gather ended with: set on the way into aggregate, cleared when a round starts.
  if (name === "aggregate" && c.outcome === undefined) bad.push("aggregate without an outcome");
  if (!final && name !== "aggregate" && c.outcome !== undefined) bad.push(`outcome ${c.outcome} in ${name}`);
  return bad;
}

/** Invariant violations on every snapshot the walk produced (sources and targets of every edge). */
export function walkInvariantViolations(walk: RoundWalk): string[] {
  const bad = new Set<string>();
  for (const e of walk.edges) {
    for (const v of invariantViolations(e.to)) bad.add(`${v} (after ${e.event.type} in ${modelKey(e.from)})`);
  }
  for (const s of walk.states.values()) for (const v of invariantViolations(s)) bad.add(`${v} (at ${modelKey(s)})`);
  return [...bad];
}

/**
 * Properties of every edge (DESIGN §4): rounds never go back; one round ahead is normal skew and changes
 * nothing; neighbour faults and corrupt pieces never move the peer to another state, nor does losing the tracker
 * once admitted; late reports in aggregate do not change what the round aggregated.
 */
export function edgeViolations(walk: RoundWalk): string[] {
  const bad = new Set<string>();
  for (const { from, event, to } of walk.edges) {
    if (!isWaiting(from)) continue;
    const where = `${event.type} in ${modelKey(from)}`;
    const name = stateName(from);
    if (to.context.round < from.context.round) bad.add(`round went back after ${where}`);
    if (event.type === "round.behind" && event.round <= from.context.round + 1 && modelKey(to) !== modelKey(from)) {
      bad.add(`normal skew changed the state: ${where} → ${modelKey(to)}`);
    }
    const absorbed = ["peer.crashed", "link.down", "piece.corrupt"].includes(event.type) || (event.type === "tracker.lost" && name !== "join");
    if (absorbed && stateName(to) !== name) bad.add(`${where} moved the peer to ${stateName(to)}`);
    if (name === "aggregate" && event.type.startsWith("swarm.")) {
      const kept = (s: RoundSnapshot) => JSON.stringify([s.context.coverage, s.context.outcome, s.context.degraded]);
      if (kept(to) !== kept(from)) bad.add(`${where} changed what the round aggregated`);
    }
  }
  return [...bad];
}

/**
 * Every non-final state has a timeout: in the config (an `after` on the node), and in the walk (from every
 * reachable snapshot there, its timeout event takes a transition to a different model state).
 */
export function timeoutExitViolations(walk: RoundWalk): string[] {
  const bad: string[] = [];
  for (const node of getStateNodes(walk.machine.root)) {
    if (node.type !== "final" && node.after.length === 0) bad.push(`config: ${node.key} has no timeout`);
  }
  const timeoutEdges = new Map<string, WalkEdge>();
  for (const e of walk.edges) if (isTimeout(e.event)) timeoutEdges.set(modelKey(e.from), e);
  for (const [key, s] of walk.states) {
    if (!isWaiting(s)) continue;
    const e = timeoutEdges.get(key);
    if (e === undefined) bad.push(`walk: no timeout from ${key}`);
    else if (e.taken.length === 0 || modelKey(e.to) === key) bad.push(`walk: ${e.event.type} does not leave ${key}`);
  }
  return bad;
}

/** Model states (keys) from which no path of `along` edges reaches a state `goal` accepts (default: any final). */
export function deadEnds(
  walk: RoundWalk,
  along: (e: WalkEdge) => boolean = () => true,
  goal: (s: RoundSnapshot) => boolean = (s) => !isWaiting(s),
): string[] {
  const preds = new Map<string, Set<string>>();
  for (const e of walk.edges) {
    if (!along(e)) continue;
    const to = modelKey(e.to);
    if (!preds.has(to)) preds.set(to, new Set());
    preds.get(to)!.add(modelKey(e.from));
  }
  const live = new Set([...walk.states].filter(([, s]) => goal(s)).map(([k]) => k));
  const queue = [...live];
  while (queue.length > 0) {
    for (const p of preds.get(queue.pop()!) ?? []) {
      if (!live.has(p)) (live.add(p), queue.push(p));
    }
  }
  return [...walk.states.keys()].filter((k) => !live.has(k));
}

/**
 * The minCompletion guard, on every reachable `swarm` snapshot: with each coverage value reported and then the
 * deadline, the peer aggregates (complete at 1, else partial) exactly when coverage ≥ minCompletion, and
 * otherwise waits in `grace`. Also checks every deadline edge the walk took. Runs the events with
 * getPathsFromEvents (xstate/graph) from each snapshot.
 */
export function minCompletionViolations(walk: RoundWalk): string[] {
  const bad: string[] = [];
  const min = walk.input.minCompletion;
  const swarmStates = [...walk.states.values()].filter((s) => stateName(s) === "swarm");
  if (swarmStates.length === 0) bad.push("no reachable swarm state");
  const deadline = timeoutEventsOf("swarm", walk.machine)[0]!;
  const logic = recordingLogic(walk.machine);
  for (const from of swarmStates) {
    for (const coverage of coverageValues) {
      const events: WalkEvent[] = [{ type: "swarm.progress", coverage }, deadline];
      const [path] = getPathsFromEvents(logic, events, {
        fromState: from,
        serializeState: (s) => modelKey(s),
      });
      const got = path ? [stateName(path.state), path.state.context.outcome ?? "-"] : ["no path"];
      const want = coverage >= 1 ? ["aggregate", "complete"] : coverage >= min ? ["aggregate", "partial"] : ["grace", "-"];
      if (got.join() !== want.join()) bad.push(`coverage ${coverage} at the deadline from ${modelKey(from)}: ${got} (want ${want})`);
    }
  }
  for (const e of walk.edges) {
    if (e.event.type !== deadline.type) continue;
    const enough = e.from.context.coverage >= min;
    const got = [stateName(e.to), e.to.context.outcome ?? "-"].join();
    if (got !== (enough ? "aggregate,partial" : "grace,-")) bad.push(`walk: deadline from ${modelKey(e.from)} went to ${got}`);
  }
  return bad;
}

export interface Coverage {
  stateNodes: { total: number; visited: number; missed: string[] };
  /** Transition definitions of the config (a guarded branch counts as one). */
  transitions: { total: number; taken: number; missed: TransitionId[] };
  /** (state, transition) pairs: each non-final state × each own or inherited branch that can fire there. */
  stateTransitions: { total: number; taken: number; missed: string[] };
  modelStates: number;
  edges: number;
  shortestPaths: number;
}

export function coverageOf(walk: RoundWalk): Coverage {
  const config = configTransitions(walk.machine);
  const nodeIds = getStateNodes(walk.machine.root).map((n) => n.id);
  const visitedNodes = new Set(walk.edges.flatMap((e) => [e.from, e.to]).map((s) => `round.${stateName(s)}`));
  const taken = new Set<TransitionId>();
  const takenPairs = new Set<string>();
  for (const e of walk.edges) {
    // The first transition fires in the source state; eventless ones fire in the state the previous one entered.
    let where: string = stateName(e.from);
    for (const t of e.taken) {
      const id = config.ids.get(t);
      if (id === undefined) throw new Error(`a taken transition is not in the config: ${JSON.stringify(t.toJSON())}`);
      taken.add(id);
      takenPairs.add(`${where}@${id}`);
      where = t.target?.[0]?.key ?? where;
    }
  }
  const allIds = [...new Set(config.ids.values())];
  const allPairs = [...config.byState.values()].flat();
  const part = <T>(all: T[], has: (x: T) => boolean) => ({ total: all.length, hit: all.filter(has).length, missed: all.filter((x) => !has(x)) });
  const nodes = part(nodeIds, (id) => visitedNodes.has(id));
  const defs = part(allIds, (id) => taken.has(id));
  const pairs = part(allPairs, (p) => takenPairs.has(p));
  return {
    stateNodes: { total: nodes.total, visited: nodes.hit, missed: nodes.missed },
    transitions: { total: defs.total, taken: defs.hit, missed: defs.missed },
    stateTransitions: { total: pairs.total, taken: pairs.hit, missed: pairs.missed },
    modelStates: walk.states.size,
    edges: walk.edges.length,
    shortestPaths: walk.paths.length,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Replay on a real actor with the virtual clock

/** The effect a run ends with, by final state. */
const lastEffect: Partial<Record<RoundStateName, RoundEffect>> = { done: "finish", failed: "reportFailure", left: "leaveSwarm" };

/**
 * Replays a path on `createActor(machine.provide({ actions }), { clock, input })`: ordinary events are sent; a
 * timeout is reached by advancing the virtual clock to 1 ms before the state's delay (nothing may happen), then
 * to the delay. After every step the actor must be in the model state the graph gives (same key; the graph's
 * snapshot is any one with that key), with one timer armed while waiting and none once final; a run that ends
 * ends with its final state's effect. Returns the mismatches.
 */
export async function replayMismatches(
  path: StatePath<RoundSnapshot, WalkEvent>,
  input: RoundInput,
  machine: RoundMachine = roundMachine,
): Promise<string[]> {
  const clock = new VirtualClock();
  const effects: RoundEffect[] = [];
  const record = (effect: RoundEffect) => () => void effects.push(effect);
  const actions = Object.fromEntries(roundEffectNames.map((e) => [e, record(e)])) as Record<RoundEffect, () => void>;
  const actor = createActor(machine.provide({ actions }), { clock, input }).start();
  const bad: string[] = [];
  const trail: string[] = [];
  // steps[0] is xstate.init with the initial state; each later step is (event, the state it led to).
  for (const { event, state: want } of path.steps.slice(1)) {
    const before = actor.getSnapshot();
    trail.push(event.type);
    if (isTimeout(event)) {
      const due = clock.now() + expectedDelayMs(before.context, stateName(before));
      await clock.run({ untilMs: due - 1 });
      if (actor.getSnapshot() !== before) bad.push(`${trail.join(" → ")}: fired before its delay`);
      await clock.run({ untilMs: due, stopWhen: () => actor.getSnapshot() !== before });
    } else {
      actor.send(event);
    }
    const got = actor.getSnapshot();
    if (modelKey(got) !== modelKey(want)) bad.push(`${trail.join(" → ")}: actor at ${modelKey(got)}, graph at ${modelKey(want)}`);
    const timers = clock.pendingTimers;
    if (timers !== (isWaiting(got) ? 1 : 0)) bad.push(`${trail.join(" → ")}: ${timers} timers armed in ${stateName(got)}`);
    if (bad.length > 0) break;
  }
  const end = actor.getSnapshot();
  const wantLast = lastEffect[stateName(end)];
  if (wantLast !== undefined && effects.at(-1) !== wantLast) bad.push(`${trail.join(" → ")}: ended with ${effects.at(-1)}, not ${wantLast}`);
  actor.stop();
  return bad;
}
