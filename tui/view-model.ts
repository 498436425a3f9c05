/**
 * The swarm as the TUI sees it: a pure reducer over telemetry events (telemetry/events.ts).
 *
 * `reduce(view, event)` never mutates `view`; it copies only what the event touches (one peer, one array of
 * per-origin counts), so 100+ peers at 10k events/s cost a few hundred element copies per event. Same events
 * in the same order → the same view. Views read it through the selectors in selectors.ts.
 */
import type { RoundStateName } from "../machines/round-types.ts";
import type { RoundMetrics, RunStarted, TelemetryEvent } from "../telemetry/events.ts";

/** The events log keeps this many entries: a screenful or two; the full history belongs to the run DB. */
export const eventsLogMax = 200;
/** Peers (and origins) past this many are counted in `dropped`, not drawn: a terminal cannot show more, and the view stays bounded. */
export const viewPeersMax = 4096;
/** Piece tables are kept for this many recent rounds: peers that fall further behind catch up rather than swarm old rounds. */
export const pieceRoundsKept = 8;
/** Rates are measured over at least this much clock time, so one burst of pieces does not read as a spike. */
export const rateSampleMinMs = 500;
/** A peer with no byte report for this long is shown moving 0 B/s rather than its last rate forever. */
export const rateStaleMs = 3000;

export interface RunInfo extends Omit<RunStarted, "type"> {}

/** What one peer said about the last round it finished. */
export interface PeerRoundResult {
  round: number;
  accuracy: number;
  coverage: number;
  degraded: boolean;
}

export interface PeerView {
  readonly id: string;
  /** Undefined until its first `peer.state`. */
  readonly state: RoundStateName | undefined;
  readonly round: number;
  readonly device: string | undefined;
  /** Round of `held`; -1 before any piece progress. */
  readonly pieceRound: number;
  /** Verified pieces held in `pieceRound`, by origin index (missing → 0). */
  readonly held: readonly number[];
  /** Cumulative payload bytes, and the clock time they were reported. */
  readonly up: number;
  readonly down: number;
  readonly bytesT: number;
  /** Bytes/s over the last measured interval (≥ rateSampleMinMs), and where the next interval starts. */
  readonly upRate: number;
  readonly downRate: number;
  readonly rateFrom: { readonly t: number; readonly up: number; readonly down: number } | undefined;
  readonly last: PeerRoundResult | undefined;
  /** How many peers have banned this one. */
  readonly bannedBy: number;
}

export type LogKind = "run" | "fault" | "ban" | "timeout" | "failed" | "left";

export interface LogEntry {
  readonly t: number;
  readonly kind: LogKind;
  readonly peer: string | undefined;
  readonly text: string;
}

export type RoundResult = Omit<RoundMetrics, "type">;

export interface SwarmView {
  readonly run: RunInfo | undefined;
  readonly finished: boolean;
  /** Latest event time seen (ms). */
  readonly t: number;
  /** In order of first appearance, so an index (the TUI's selection) stays put as peers join. */
  readonly peers: readonly PeerView[];
  readonly peerIndex: ReadonlyMap<string, number>;
  readonly origins: readonly string[];
  readonly originIndex: ReadonlyMap<string, number>;
  /** Per round (the last `pieceRoundsKept`), each origin's piece count by origin index (0: not published that round). */
  readonly roundChunks: ReadonlyMap<number, readonly number[]>;
  /** Highest round with piece progress; -1 before any. */
  readonly pieceRound: number;
  /** Sorted by round. */
  readonly rounds: readonly RoundResult[];
  readonly baselines: readonly { readonly kind: string; readonly accuracy: number }[];
  /** The last `eventsLogMax` entries, oldest first. */
  readonly log: readonly LogEntry[];
  /** Entries ever logged (so a view can say how many scrolled away). */
  readonly logTotal: number;
  /** Events ignored because they named a peer or origin past `viewPeersMax`. */
  readonly dropped: number;
}

export const emptyView: SwarmView = {
  run: undefined,
  finished: false,
  t: 0,
  peers: [],
  peerIndex: new Map(),
  origins: [],
  originIndex: new Map(),
  roundChunks: new Map(),
  pieceRound: -1,
  rounds: [],
  baselines: [],
  log: [],
  logTotal: 0,
  dropped: 0,
};

function newPeer(id: string): PeerView {
  return {
    id,
    state: undefined,
    round: 0,
    device: undefined,
    pieceRound: -1,
    held: [],
    up: 0,
    down: 0,
    bytesT: 0,
    upRate: 0,
    downRate: 0,
    rateFrom: undefined,
    last: undefined,
    bannedBy: 0,
  };
}

function appendLog(view: SwarmView, entry: LogEntry): Pick<SwarmView, "log" | "logTotal"> {
  const log = view.log.length < eventsLogMax ? [...view.log, entry] : [...view.log.slice(1), entry];
  return { log, logTotal: view.logTotal + 1 };
}

/** Returns `view` with peer `id` replaced by `update(peer)`, adding the peer if new; `view` itself when over the cap. */
function withPeer(view: SwarmView, id: string, update: (p: PeerView) => PeerView): SwarmView {
  const i = view.peerIndex.get(id);
  if (i !== undefined) {
    const peers = view.peers.slice();
    peers[i] = update(view.peers[i]!);
    return { ...view, peers };
  }
  if (view.peers.length >= viewPeersMax) return { ...view, dropped: view.dropped + 1 };
  const peerIndex = new Map(view.peerIndex).set(id, view.peers.length);
  return { ...view, peers: [...view.peers, update(newPeer(id))], peerIndex };
}

/** What an expired machine timer means, for the events log (machines/round.ts delay names). */
const timerMeaning: Record<string, string> = {
  joinTimeout: "no admission from the tracker yet",
  connectTimeout: "no neighbour connected yet",
  trainTimeout: "training took too long: update abandoned, round degraded",
  scoreTimeout: "scoring took too long: round degraded",
  swarmDeadline: "swarm deadline reached",
  graceTimeout: "grace over: aggregating what it holds (degraded)",
  aggregateTimeout: "aggregation took too long",
};

function timeoutText(timer: string, state: string): string {
  return `${timerMeaning[timer] ?? timer} (${timer} in ${state})`;
}

/** Log lines for the state changes a watcher should notice. */
const stateLog: Partial<Record<RoundStateName, { kind: LogKind; text: string }>> = {
  grace: { kind: "timeout", text: "below minCompletion at the swarm deadline: grace" },
  failed: { kind: "failed", text: "failed" },
  left: { kind: "left", text: "left the swarm" },
};

function onPieceProgress(view: SwarmView, ev: Extract<TelemetryEvent, { type: "piece.progress" }>): SwarmView {
  if (ev.round <= view.pieceRound - pieceRoundsKept && !view.roundChunks.has(ev.round)) return view; // a round long gone
  let dropped = view.dropped;
  // Copied on first write only: most reports name origins already known and counts already set.
  let origins: string[] | undefined;
  let originIndex: Map<string, number> | undefined;
  const chunksBefore = view.roundChunks.get(ev.round);
  let chunks: number[] | undefined;
  /** Origin index and held count per listed origin (origins past the cap are dropped). */
  const updates: Array<[number, number]> = [];
  ev.origins.forEach((origin, k) => {
    let oi = (originIndex ?? view.originIndex).get(origin);
    if (oi === undefined) {
      if ((origins ?? view.origins).length >= viewPeersMax) return void dropped++;
      origins ??= view.origins.slice();
      originIndex ??= new Map(view.originIndex);
      oi = origins.length;
      origins.push(origin);
      originIndex.set(origin, oi);
    }
    const count = ev.count[k]!;
    if ((chunks ?? chunksBefore)?.[oi] !== count) {
      chunks ??= chunksBefore ? chunksBefore.slice() : [];
      while (chunks.length <= oi) chunks.push(0);
      chunks[oi] = count;
    }
    updates.push([oi, Math.max(0, Math.min(ev.held[k]!, count))]);
  });
  let roundChunks = view.roundChunks;
  if (chunks !== undefined) {
    const m = new Map(roundChunks).set(ev.round, chunks);
    for (const r of m.keys()) if (r <= Math.max(view.pieceRound, ev.round) - pieceRoundsKept) m.delete(r);
    roundChunks = m;
  }
  const next: SwarmView = {
    ...view,
    origins: origins ?? view.origins,
    originIndex: originIndex ?? view.originIndex,
    roundChunks,
    dropped,
    pieceRound: Math.max(view.pieceRound, ev.round),
  };
  return withPeer(next, ev.peer, (p) => {
    if (ev.round < p.pieceRound) return p; // late news from a round the peer has left
    const h = ev.round > p.pieceRound ? [] : p.held.slice();
    for (const [oi, held] of updates) {
      while (h.length <= oi) h.push(0);
      h[oi] = held;
    }
    return { ...p, pieceRound: ev.round, held: h };
  });
}

function onBytes(p: PeerView, ev: Extract<TelemetryEvent, { type: "peer.bytes" }>): PeerView {
  const base = { ...p, up: ev.up, down: ev.down, bytesT: ev.t };
  const from = p.rateFrom;
  if (from === undefined) return { ...base, rateFrom: { t: ev.t, up: ev.up, down: ev.down } };
  const dt = ev.t - from.t;
  if (dt < rateSampleMinMs) return base;
  return {
    ...base,
    upRate: Math.max(0, ((ev.up - from.up) * 1000) / dt),
    downRate: Math.max(0, ((ev.down - from.down) * 1000) / dt),
    rateFrom: { t: ev.t, up: ev.up, down: ev.down },
  };
}

/** The view after `ev`. Pure: `view` is left as it was. A `run.started` starts a fresh view. */
export function reduce(view: SwarmView, ev: TelemetryEvent): SwarmView {
  if (ev.type === "run.started") {
    const { type: _type, ...run } = ev;
    const fresh: SwarmView = { ...emptyView, run, t: ev.t };
    return { ...fresh, ...appendLog(fresh, { t: ev.t, kind: "run", peer: undefined, text: `run started: ${ev.scenario}, ${ev.peers} peers, ${ev.rounds} rounds, seed ${ev.seed}` }) };
  }
  const v: SwarmView = ev.t > view.t ? { ...view, t: ev.t } : view;
  switch (ev.type) {
    case "peer.state": {
      const before = v.peers[v.peerIndex.get(ev.peer) ?? -1]?.state;
      const next = withPeer(v, ev.peer, (p) => ({ ...p, state: ev.state, round: ev.round }));
      const line = stateLog[ev.state];
      if (line === undefined || before === ev.state || !next.peerIndex.has(ev.peer)) return next;
      return { ...next, ...appendLog(next, { t: ev.t, kind: line.kind, peer: ev.peer, text: `round ${ev.round + 1}: ${line.text}` }) };
    }
    case "peer.device":
      return withPeer(v, ev.peer, (p) => ({ ...p, device: ev.device }));
    case "piece.progress":
      return onPieceProgress(v, ev);
    case "peer.bytes":
      return withPeer(v, ev.peer, (p) => onBytes(p, ev));
    case "peer.round":
      return withPeer(v, ev.peer, (p) => ({ ...p, last: { round: ev.round, accuracy: ev.accuracy, coverage: ev.coverage, degraded: ev.degraded } }));
    case "round.metrics": {
      const { type: _type, ...result } = ev;
      const rounds = v.rounds.filter((r) => r.round !== ev.round);
      rounds.push(result);
      rounds.sort((a, b) => a.round - b.round);
      return { ...v, rounds };
    }
    case "fault":
      return { ...v, ...appendLog(v, { t: ev.t, kind: "fault", peer: ev.peer, text: ev.what }) };
    case "timeout":
      return { ...v, ...appendLog(v, { t: ev.t, kind: "timeout", peer: ev.peer, text: `round ${ev.round + 1}: ${timeoutText(ev.timer, ev.state)}` }) };
    case "ban": {
      const next = withPeer(v, ev.peer, (p) => ({ ...p, bannedBy: p.bannedBy + 1 }));
      return { ...next, ...appendLog(next, { t: ev.t, kind: "ban", peer: ev.by, text: `banned ${ev.peer}: ${ev.reason}` }) };
    }
    case "baseline":
      return { ...v, baselines: [...v.baselines.filter((b) => b.kind !== ev.kind), { kind: ev.kind, accuracy: ev.accuracy }] };
    case "run.finished":
      return { ...v, finished: true, ...appendLog(v, { t: ev.t, kind: "run", peer: undefined, text: "run finished" }) };
  }
}

/** Folds a recorded stream (a replay from the run DB, a test fixture). */
export function reduceAll(events: Iterable<TelemetryEvent>, view: SwarmView = emptyView): SwarmView {
  let v = view;
  for (const ev of events) v = reduce(v, ev);
  return v;
}
