/**
 * The run report (`--report FILE`). Everything in it comes from the run's clock and counters, so a virtual
 * run of the same scenario and seed writes the same report byte for byte. Wall time is printed, not reported.
 */
export interface RoundRow {
  round: number;
  /** Mean over live peers of each peer's model on the held-out test set. */
  accuracy: number;
  loss: number;
  /** Verified pieces held / pieces expected, over the peers that aggregated this round. */
  coverage: { min: number; median: number; max: number };
  /** Peers that aggregated without reaching minCompletion (grace expired), or skipped training/publishing. */
  degradedPeers: number;
  /** Peers that aggregated this round. */
  peers: number;
  /** Piece bytes received that were new and verified. */
  payloadBytes: number;
  /** Piece bytes received for pieces already held. */
  duplicateBytes: number;
  /** Encoded frame bytes sent minus piece bytes sent (control traffic). */
  overheadBytes: number;
  /** First update published → last peer starting to aggregate (the round's all-gather). */
  swarmMs: number;
  /** Last peer done with the previous round (or the run's start) → last peer done with this one. */
  roundMs: number;
  /** DESIGN §10 all-gather bound for this model and these links. */
  lowerBoundMs: number;
}

export interface ScenarioReport {
  /** Present only when the run was stopped early (q in the TUI, Ctrl-C): why. Its rounds are those every peer finished. */
  stopped?: string;
  /** Present only when this process hosted part of the roster (`--part 2/3`): its rows cover its own peers. */
  part?: string;
  scenario: string;
  seed: number;
  clock: "virtual" | "real";
  peers: number;
  backend: string;
  rounds: RoundRow[];
  final: { accuracy: number; loss: number } | null;
  baseline: { kind: "fedavg" | "centralized"; accuracy: number; rounds?: number[] } | null;
}

/** Stable JSON (2-space indent, trailing newline). */
export function reportJson(r: ScenarioReport): string {
  return JSON.stringify(r, null, 2) + "\n";
}

/** One human line per round, for non-terminal output. */
export function roundLine(row: RoundRow, rounds: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `round ${String(row.round + 1).padStart(String(rounds).length)}/${rounds}`,
    `acc ${row.accuracy.toFixed(4)}`,
    `loss ${row.loss.toFixed(4)}`,
    `coverage min ${pct(row.coverage.min)} med ${pct(row.coverage.median)}`,
    `degraded ${row.degradedPeers}`,
    `swarm ${secs(row.swarmMs)} (bound ${secs(row.lowerBoundMs)})`,
    `round ${secs(row.roundMs)}`,
    `bytes ${formatBytes(row.payloadBytes)} dup ${formatBytes(row.duplicateBytes)} ctl ${formatBytes(row.overheadBytes)}`,
  ].join("  ");
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}
