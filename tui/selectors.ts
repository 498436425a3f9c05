/**
 * Selectors: a SwarmView in, the props of one component out. Pure and O(peers × origins) at worst, so the
 * TUI can run them on every (throttled) render.
 */
import type { RoundStateName } from "../machines/round-types.ts";
import { rateStaleMs, type LogKind, type PeerView, type RoundResult, type SwarmView } from "./view-model.ts";

const finishedStates: ReadonlySet<RoundStateName | undefined> = new Set(["done", "failed", "left"]);

export interface HeaderData {
  scenario: string;
  clock: "virtual" | "real" | undefined;
  seed: number | undefined;
  /** 0-based, like the machine: `current` is the furthest any peer has reached, `slowest` the least of the live peers. */
  round: { current: number; slowest: number; total: number };
  elapsedMs: number;
  /** Swarm-wide bytes/s (sum of the peers' measured rates). */
  upRate: number;
  downRate: number;
  peers: { expected: number; seen: number; live: number; done: number; failed: number; left: number };
  finished: boolean;
}

/** Bytes/s the peer is moving now: its last measured rate, or 0 once its reports have gone quiet. */
function liveRates(view: SwarmView, p: PeerView): { up: number; down: number } {
  if (p.rateFrom === undefined || view.t - p.bytesT > rateStaleMs) return { up: 0, down: 0 };
  return { up: p.upRate, down: p.downRate };
}

export function selectHeader(view: SwarmView): HeaderData {
  let current = 0;
  let slowest = Infinity;
  let upRate = 0;
  let downRate = 0;
  const peers = { expected: view.run?.peers ?? view.peers.length, seen: view.peers.length, live: 0, done: 0, failed: 0, left: 0 };
  for (const p of view.peers) {
    if (p.state !== undefined) current = Math.max(current, p.round);
    if (p.state === "done") peers.done++;
    else if (p.state === "failed") peers.failed++;
    else if (p.state === "left") peers.left++;
    else {
      peers.live++;
      slowest = Math.min(slowest, p.round);
    }
    const r = liveRates(view, p);
    upRate += r.up;
    downRate += r.down;
  }
  return {
    scenario: view.run?.scenario ?? "(waiting for run)",
    clock: view.run?.clock,
    seed: view.run?.seed,
    round: { current, slowest: slowest === Infinity ? current : slowest, total: view.run?.rounds ?? current + 1 },
    elapsedMs: view.run ? Math.max(0, view.t - view.run.t) : 0,
    upRate,
    downRate,
    peers,
    finished: view.finished,
  };
}

export interface PeerRow {
  id: string;
  state: RoundStateName | undefined;
  /** 0-based. */
  round: number;
  /** 0..1: live piece coverage while the peer swarms its current round, else what it reported at its last aggregation. */
  coverage: number;
  upRate: number;
  downRate: number;
  device: string | undefined;
  /** Its last finished round was degraded, or it is in grace now. */
  degraded: boolean;
  /** Accuracy after its last finished round. */
  accuracy: number | undefined;
  bannedBy: number;
}

/** Verified pieces held / pieces published in the peer's piece round; undefined without piece data. */
export function pieceCoverage(view: SwarmView, p: PeerView): number | undefined {
  const chunks = view.roundChunks.get(p.pieceRound);
  if (chunks === undefined) return undefined;
  let held = 0;
  let expected = 0;
  chunks.forEach((c, i) => {
    expected += c;
    held += Math.min(c, p.held[i] ?? 0);
  });
  return expected === 0 ? undefined : held / expected;
}

export function selectPeerRows(view: SwarmView): PeerRow[] {
  return view.peers.map((p) => {
    const swarming = p.pieceRound === p.round && !finishedStates.has(p.state);
    const coverage = (swarming ? pieceCoverage(view, p) : undefined) ?? p.last?.coverage ?? 0;
    const r = liveRates(view, p);
    return {
      id: p.id,
      state: p.state,
      round: p.round,
      coverage,
      upRate: r.up,
      downRate: r.down,
      device: p.device,
      degraded: p.state === "grace" || (p.last?.degraded ?? false),
      accuracy: p.last?.accuracy,
      bannedBy: p.bannedBy,
    };
  });
}

export interface HeatmapRow {
  origin: string;
  /** Pieces in the origin's update this round. */
  count: number;
  /** 0..1: share of (peer, piece) pairs missing among the peers swarming this round. 1 = nobody but the origin has any. */
  rarity: number;
  /** Peers holding the whole update. */
  holders: number;
  /**
   * Whether any peer in the round holds a piece of it. Piece counts are known before an origin publishes (every
   * update has the same layout), so an origin still training shows as nobody's: it is listed after the published
   * ones, not as the rarest.
   */
  published: boolean;
  /** Selected peer, per column: share of the column's pieces it holds (0..1). */
  peerCells: number[];
  /**
   * Swarm, per column: share of peers holding at least that many pieces of the origin (0..1). Telemetry
   * reports counts per origin, not which pieces, so column k reads "peers past piece k".
   */
  swarmCells: number[];
}

export interface HeatmapData {
  /** The selected peer, if any. */
  peer: string | undefined;
  /** 0-based round shown; -1 when no pieces have moved yet. */
  round: number;
  /** Peers with piece progress in `round`. */
  peersInRound: number;
  /** Published origins rarest first, then the unpublished (ties by first appearance), at most `maxRows`. */
  rows: HeatmapRow[];
  /** Origins left out by `maxRows`. */
  hiddenRows: number;
}

/** Averages `cells` (one value per piece) into at most `cols` columns. */
function bucket(cells: readonly number[], cols: number): number[] {
  if (cells.length <= cols) return cells.slice();
  const out: number[] = [];
  for (let c = 0; c < cols; c++) {
    const from = Math.floor((c * cells.length) / cols);
    const to = Math.floor(((c + 1) * cells.length) / cols);
    let sum = 0;
    for (let i = from; i < to; i++) sum += cells[i]!;
    out.push(sum / (to - from));
  }
  return out;
}

/** Origins × pieces for the selected peer's round (or the swarm's latest when it has none). */
export function selectHeatmap(view: SwarmView, peerId: string | undefined, opts: { maxRows: number; maxCols: number }): HeatmapData {
  const selected = peerId === undefined ? undefined : view.peers[view.peerIndex.get(peerId) ?? -1];
  const round = selected !== undefined && selected.pieceRound >= 0 ? selected.pieceRound : view.pieceRound;
  const chunks = view.roundChunks.get(round) ?? [];
  const inRound = view.peers.filter((p) => p.pieceRound === round);
  const rows: HeatmapRow[] = [];
  chunks.forEach((count, oi) => {
    if (count === 0) return;
    // atLeast[k] = peers holding more than k pieces of this origin.
    const atLeast = new Array<number>(count).fill(0);
    let heldSum = 0;
    let holders = 0;
    for (const p of inRound) {
      const h = Math.min(count, p.held[oi] ?? 0);
      heldSum += h;
      if (h === count) holders++;
      if (h > 0) atLeast[h - 1]! += 1;
    }
    for (let k = count - 2; k >= 0; k--) atLeast[k]! += atLeast[k + 1]!;
    const n = Math.max(1, inRound.length);
    const mine = selected?.pieceRound === round ? Math.min(count, selected.held[oi] ?? 0) : 0;
    rows.push({
      origin: view.origins[oi]!,
      count,
      rarity: 1 - heldSum / (n * count),
      holders,
      published: heldSum > 0,
      peerCells: bucket(Array.from({ length: count }, (_, k) => (k < mine ? 1 : 0)), opts.maxCols),
      swarmCells: bucket(atLeast.map((a) => a / n), opts.maxCols),
    });
  });
  // Published first, rarest first; stable, so ties keep first-appearance order.
  rows.sort((a, b) => Number(b.published) - Number(a.published) || b.rarity - a.rarity);
  const shown = rows.slice(0, Math.max(0, opts.maxRows));
  return { peer: selected?.id, round, peersInRound: inRound.length, rows: shown, hiddenRows: rows.length - shown.length };
}

export interface LearningData {
  rounds: readonly RoundResult[];
  accuracy: number[];
  loss: number[];
  baselines: readonly { kind: string; accuracy: number }[];
}

export function selectLearning(view: SwarmView): LearningData {
  return {
    rounds: view.rounds,
    accuracy: view.rounds.map((r) => r.accuracy),
    loss: view.rounds.map((r) => r.loss),
    baselines: view.baselines,
  };
}

export interface EventLine {
  /** ms since the run started. */
  at: number;
  kind: LogKind;
  peer: string | undefined;
  text: string;
}

export interface EventsData {
  /** Oldest first, at most `limit`. */
  lines: EventLine[];
  /** Entries before the first line (kept or already dropped from the bounded log). */
  earlier: number;
}

export function selectEvents(view: SwarmView, limit: number): EventsData {
  const start = view.run?.t ?? 0;
  const kept = view.log.slice(Math.max(0, view.log.length - Math.max(0, limit)));
  return {
    lines: kept.map((e) => ({ at: e.t - start, kind: e.kind, peer: e.peer, text: e.text })),
    earlier: view.logTotal - kept.length,
  };
}
