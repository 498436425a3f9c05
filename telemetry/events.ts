/**
 * Telemetry: what a run tells its observers (the Ink TUI, a monitor WebSocket, the run DB's `events` table).
 *
 * Every event is plain data (strings, finite numbers, booleans, plain objects), so it survives JSON and
 * msgpack unchanged, and carries `t`: the run clock's time in milliseconds (virtual or real, as the run's
 * `run.started.clock` says). Rounds are numbered from 0, as in the round machine; views print them from 1.
 */
import { roundStateNames, type RoundStateName } from "../machines/round-types.ts";

interface At {
  /** Run clock time, ms. Non-decreasing within one source. */
  t: number;
}

/** A run began; a view starts over from here. */
export interface RunStarted extends At {
  type: "run.started";
  scenario: string;
  clock: "virtual" | "real";
  /** Peers the scenario launches. */
  peers: number;
  /** Rounds the scenario runs (numbered 0..rounds-1). */
  rounds: number;
  seed: number;
}

/** A peer's round machine entered `state` during `round`. */
export interface PeerState extends At {
  type: "peer.state";
  peer: string;
  state: RoundStateName;
  round: number;
}

/** The device profile a peer emulates (e.g. "phone-4g"). */
export interface PeerDevice extends At {
  type: "peer.device";
  peer: string;
  device: string;
}

/**
 * During `round`, `peer` holds `held[i]` verified pieces out of `count[i]` of `origins[i]`'s update. One event
 * carries the origins whose counts changed since the peer's previous report (all of them when its round
 * changed): parallel arrays, so 100 origins cost one event of a few hundred bytes, not 100 events.
 */
export interface PieceProgress extends At {
  type: "piece.progress";
  peer: string;
  round: number;
  origins: string[];
  held: number[];
  count: number[];
}

/** Origins one piece.progress may list: more than any roster we run, few enough that a bad event stays cheap. */
export const progressOriginsMax = 100_000;

/** Payload bytes a peer has sent (`up`) and received (`down`) since the run started: cumulative, never reset. */
export interface PeerBytes extends At {
  type: "peer.bytes";
  peer: string;
  up: number;
  down: number;
}

/** Coverage spread over a round's peers, each in 0..1. */
export interface CoverageSpread {
  min: number;
  median: number;
  max: number;
}

/** A round as a whole, once its peers have reported. */
export interface RoundMetrics extends At {
  type: "round.metrics";
  round: number;
  /** Mean test accuracy of the peers' aggregated models, 0..1. */
  accuracy: number;
  loss: number;
  coverage: CoverageSpread;
  degradedPeers: number;
  payloadBytes: number;
  /** Time spent swarming (slowest peer). */
  swarmMs: number;
  /** Time from the round's first training start to its last aggregation. */
  roundMs: number;
  /** Peers whose results these figures cover (a process hosting part of the swarm reports its own). Absent: unknown, count as 1. */
  peers?: number;
}

/** One peer finished a round. */
export interface PeerRound extends At {
  type: "peer.round";
  peer: string;
  round: number;
  accuracy: number;
  /** Verified pieces held / pieces expected at aggregation, 0..1. */
  coverage: number;
  degraded: boolean;
}

/** Something went wrong: an injected fault, a corrupt piece, a crash. `peer` is absent for run-wide faults. */
export interface Fault extends At {
  type: "fault";
  peer?: string;
  what: string;
}

/** One of a peer's round-machine timers expired (machines/round.ts delays: `trainTimeout`, `swarmDeadline`, ...). */
export interface PeerTimeout extends At {
  type: "timeout";
  peer: string;
  round: number;
  /** The delay's name in the machine. */
  timer: string;
  /** The state it expired in. */
  state: RoundStateName;
}

/** Peer `by` banned `peer` for the rest of the run. */
export interface Ban extends At {
  type: "ban";
  peer: string;
  by: string;
  reason: string;
}

/** A reference accuracy to compare the swarm with (e.g. kind "centralized" or "local-only"). */
export interface Baseline extends At {
  type: "baseline";
  kind: string;
  accuracy: number;
}

/** The run ended (every peer done, failed or left, or the run was stopped). */
export interface RunFinished extends At {
  type: "run.finished";
}

export type TelemetryEvent =
  | RunStarted
  | PeerState
  | PeerDevice
  | PieceProgress
  | PeerBytes
  | RoundMetrics
  | PeerRound
  | Fault
  | PeerTimeout
  | Ban
  | Baseline
  | RunFinished;

export type TelemetryEventType = TelemetryEvent["type"];

/** Where a run sends its events. */
export interface TelemetrySink {
  emit(event: TelemetryEvent): void;
}

/** Where a view gets them: `subscribe` returns the unsubscribe function. */
export interface TelemetrySource {
  subscribe(listener: (event: TelemetryEvent) => void): () => void;
}

/**
 * An in-process bus: the run emits, any number of views subscribe. Delivery is synchronous and in order;
 * a listener that throws does not stop the others (its error goes to `onListenerError`).
 */
export function createTelemetryBus(onListenerError: (error: unknown) => void = () => {}): TelemetrySink & TelemetrySource {
  const listeners = new Set<(event: TelemetryEvent) => void>();
  return {
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** An event that came from outside (a socket, the run DB) failed validation; `path` names the bad field. */
export class TelemetryError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "TelemetryError";
  }
}

type FieldKind = "string" | "number" | "boolean" | "state" | "clock" | "coverage" | "string?" | "number?" | "strings" | "numbers";

const fields: { [K in TelemetryEventType]: Record<string, FieldKind> } = {
  "run.started": { scenario: "string", clock: "clock", peers: "number", rounds: "number", seed: "number" },
  "peer.state": { peer: "string", state: "state", round: "number" },
  "peer.device": { peer: "string", device: "string" },
  "piece.progress": { peer: "string", round: "number", origins: "strings", held: "numbers", count: "numbers" },
  "peer.bytes": { peer: "string", up: "number", down: "number" },
  "round.metrics": {
    round: "number",
    accuracy: "number",
    loss: "number",
    coverage: "coverage",
    degradedPeers: "number",
    payloadBytes: "number",
    swarmMs: "number",
    roundMs: "number",
    peers: "number?",
  },
  "peer.round": { peer: "string", round: "number", accuracy: "number", coverage: "number", degraded: "boolean" },
  fault: { peer: "string?", what: "string" },
  timeout: { peer: "string", round: "number", timer: "string", state: "state" },
  ban: { peer: "string", by: "string", reason: "string" },
  baseline: { kind: "string", accuracy: "number" },
  "run.finished": {},
};

const stateNames: ReadonlySet<string> = new Set(roundStateNames);

function checkField(path: string, kind: FieldKind, v: unknown): void {
  const fail = (want: string) => {
    throw new TelemetryError(path, `expected ${want}, got ${v === null ? "null" : typeof v}`);
  };
  switch (kind) {
    case "string?":
      if (v !== undefined && typeof v !== "string") fail("a string or nothing");
      return;
    case "number?":
      if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v))) fail("a finite number or nothing");
      return;
    case "strings":
    case "numbers": {
      if (!Array.isArray(v)) return fail("an array");
      if (v.length > progressOriginsMax) throw new TelemetryError(path, `at most ${progressOriginsMax} entries, got ${v.length}`);
      const each = kind === "strings" ? "string" : "number";
      for (let i = 0; i < v.length; i++) checkField(`${path}[${i}]`, each, v[i]);
      return;
    }
    case "string":
      if (typeof v !== "string") fail("a string");
      return;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) fail("a finite number");
      return;
    case "boolean":
      if (typeof v !== "boolean") fail("a boolean");
      return;
    case "state":
      if (typeof v !== "string" || !stateNames.has(v)) fail(`one of ${roundStateNames.join("|")}`);
      return;
    case "clock":
      if (v !== "virtual" && v !== "real") fail(`"virtual" or "real"`);
      return;
    case "coverage":
      if (typeof v !== "object" || v === null) fail("{min, median, max}");
      for (const k of ["min", "median", "max"]) checkField(`${path}.${k}`, "number", (v as Record<string, unknown>)[k]);
      return;
  }
}

/**
 * Checks a decoded value (JSON or msgpack) and returns it as a typed event, or throws `TelemetryError` naming
 * the first bad field. Extra fields are kept, not checked.
 */
export function parseTelemetryEvent(value: unknown): TelemetryEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TelemetryError("event", "expected an object");
  const v = value as Record<string, unknown>;
  const type = v.type;
  if (typeof type !== "string" || !Object.hasOwn(fields, type)) throw new TelemetryError("type", `unknown event type ${JSON.stringify(type)}`);
  checkField("t", "number", v.t);
  for (const [name, kind] of Object.entries(fields[type as TelemetryEventType])) checkField(name, kind, v[name]);
  if (type === "piece.progress") {
    const n = (v.origins as unknown[]).length;
    for (const k of ["held", "count"]) {
      if ((v[k] as unknown[]).length !== n) throw new TelemetryError(k, `expected ${n} entries, one per origin, got ${(v[k] as unknown[]).length}`);
    }
  }
  return value as TelemetryEvent;
}
