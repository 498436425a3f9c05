import type { PeerRoundRecord } from "../actors/peer-telemetry.ts";
import type { Peer } from "../actors/peer.ts";
import type { Tracker } from "../actors/tracker.ts";
import type { MemoryNetwork } from "../net/memory.ts";
import type { Clock } from "../runtime/clock.ts";
import type { LogLevel } from "../runtime/log.ts";
import type { PieceStore } from "../swarm/store-port.ts";
import type { TelemetrySink } from "../telemetry/events.ts";
import type { RoundRow } from "./report.ts";
import type { RunControl } from "./run-control.ts";
import type { ScenarioSource } from "./worker-host.ts";

/** What `runScenario` (run-scenario.ts) takes besides the scenario, and what its hooks see. */
export interface RunScenarioOptions {
  /** Called once per finished round, in order. */
  onRound?: (row: RoundRow) => void;
  /** Called every `statusEveryMs` of clock time with where the peers are. */
  onStatus?: (s: RunStatus) => void;
  /** @default 5000 */
  statusEveryMs?: number;
  /** Called with every peer's record (tests check bit-identical models with it). */
  onPeerRound?: (r: PeerRoundRecord) => void;
  /** Fault descriptions as they happen. */
  onFault?: (peer: string, what: string) => void;
  logLevel?: LogLevel;
  /** Log sink. @default stderr */
  logSink?: (line: string) => void;
  /**
   * Real clock only: split the peers over this many worker threads (each its own event loop, trainer and chunk
   * store; peers still talk over loopback WebSockets). @default 1
   */
  workers?: number;
  /** Where the scenario came from, so workers can load it themselves (plugins are functions). */
  source?: ScenarioSource;
  /** Hook for tests: runs after the world is built, before peers start. */
  setup?: (world: World) => void;
  /**
   * Hook for checkers (sim/vopr): wraps the chunk store the peers of this process use, so a checker sees every
   * put, get and release. One worker only. @default the store as is
   */
  wrapStore?: (store: PieceStore) => PieceStore;
  /**
   * Where the run's telemetry goes (the TUI's bus, the run DB, a monitor): states, sampled piece progress and
   * bytes, rounds, faults, bans. @default none (nothing sampled)
   */
  telemetry?: TelemetrySink;
  /** Pause (virtual clock) and stop from outside; a stopped run resolves with the rounds finished so far. */
  control?: RunControl;
  /**
   * Real clock only: host part `index` (0-based) of `of` near-equal parts of the roster here, the rest in other
   * processes. Part 0 runs the tracker (on `trackerPort`); the others join it at `trackerAddress`. Each process
   * reports its own peers' rounds. @default the whole roster
   */
  part?: { index: number; of: number; trackerAddress?: string };
  /**
   * Real clock: the address the tracker and this process's peers listen on and advertise. Loopback keeps a run
   * on one host; an address of this host that the others can reach lets parts run on several hosts.
   * @default "127.0.0.1"
   */
  listenHost?: string;
  /** Port the tracker listens on (real clock). @default 0, any free port */
  trackerPort?: number;
  /** Told where this run's tracker listens, once it does (for the processes hosting the other parts). */
  onTracker?: (address: string) => void;
}

export interface RunStatus {
  nowMs: number;
  /** Peers per machine state. */
  states: Record<string, number>;
  /** Lowest and highest round among live peers. */
  rounds: { min: number; max: number };
  finished: number;
  peers: number;
}

/** The built run, for tests and fault injection. */
export interface World {
  clock: Clock;
  net: MemoryNetwork | undefined;
  /** Undefined in a part that joins another process's tracker. */
  tracker: Tracker | undefined;
  peers: Peer[];
  ids: string[];
}
