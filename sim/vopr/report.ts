/**
 * What a VOPR batch says: per failing seed the violated properties and the exact command that replays it; per
 * batch seeds, simulated hours, faults injected by kind and wall time (text, or one JSON line).
 */
import { defaultPeerRange, type PeerRange } from "./draw.ts";
import { Tally } from "./phase.ts";
import type { VoprResult } from "./run.ts";
import { properties, type Property, type Violation } from "./violation.ts";

/** The command that replays `seed` exactly (the peer range is part of what a seed draws). */
export function replayCommand(seed: number, range: PeerRange = defaultPeerRange): string {
  const isDefault = range.min === defaultPeerRange.min && range.max === defaultPeerRange.max;
  return `bun run vopr --seed ${seed}${isDefault ? "" : ` --peers ${range.min}-${range.max}`}`;
}

/** A failing seed, for humans: what broke, what the seed drew, and how to replay it. */
export function formatFailure(r: VoprResult, range: PeerRange = defaultPeerRange): string {
  const lines = [`vopr: seed ${r.seed} FAILED (${Object.keys(r.violationCounts).join(", ")})`];
  for (const v of r.violations) lines.push(`  ${v.property} @ ${formatMs(v.atMs)}: ${properties[v.property]}`, ...indent(v.detail, "      "));
  const extra = Object.entries(r.violationCounts).filter(([p, n]) => n > r.violations.filter((v) => v.property === p).length);
  for (const [p, n] of extra) lines.push(`  (${n} ${p} violations in all)`);
  lines.push(`  scenario: ${r.scenario}`, `  healed at ${formatMs(r.healedAtMs)}; faults: ${formatCounts(r.faults)}`, "  schedule:");
  for (const s of r.schedule) lines.push(`    ${s}`);
  lines.push(`  replay: ${replayCommand(r.seed, range)}`);
  return lines.join("\n");
}

/** One line per seed for verbose output. */
export function formatSeed(r: VoprResult): string {
  const live = r.stats.liveness;
  return (
    `seed ${r.seed}: ${r.ok ? "ok" : "FAILED"} · ${r.peers} peers × ${r.rounds} rounds · ${(r.simulatedMs / 1000).toFixed(1)} s simulated · ` +
    `${Math.round(r.wallMs)} ms wall · faults ${formatCounts(r.faults)}` +
    (live ? ` · live ${live.live}, crashed ${live.crashed}, left ${live.left}, gave up ${live.gaveUp}, cut short ${live.cutShort}, stranded ${live.stranded}` : "")
  );
}

export interface BatchSummary {
  seeds: number;
  first: number;
  last: number;
  peers: PeerRange;
  passed: number;
  failed: Array<{ seed: number; replay: string; properties: Property[]; violations: Violation[] }>;
  simulatedHours: number;
  faultsTotal: number;
  faults: Record<string, number>;
  wallMs: number;
}

export function summarise(results: readonly VoprResult[], range: PeerRange, wallMs: number): BatchSummary {
  const faults = new Tally();
  for (const r of results) faults.merge(r.faults);
  const failed = results.filter((r) => !r.ok);
  return {
    seeds: results.length,
    first: results[0]?.seed ?? 0,
    last: results.at(-1)?.seed ?? 0,
    peers: range,
    passed: results.length - failed.length,
    failed: failed.map((r) => ({ seed: r.seed, replay: replayCommand(r.seed, range), properties: Object.keys(r.violationCounts) as Property[], violations: r.violations })),
    simulatedHours: results.reduce((s, r) => s + r.simulatedMs, 0) / 3_600_000,
    faultsTotal: faults.total,
    faults: faults.toJSON(),
    wallMs,
  };
}

export function formatSummary(b: BatchSummary): string {
  const seeds = b.seeds === 1 ? `seed ${b.first}` : `${b.seeds} seeds (${b.first}–${b.last})`;
  return [
    `vopr: ${seeds}, ${b.peers.min}–${b.peers.max} peers: ${b.passed} passed, ${b.failed.length} failed`,
    `  simulated ${b.simulatedHours.toFixed(3)} h in ${(b.wallMs / 1000).toFixed(1)} s wall`,
    `  faults injected: ${b.faultsTotal} (${formatCounts(b.faults)})`,
    ...b.failed.map((f) => `  FAILED seed ${f.seed} (${f.properties.join(", ")}): ${f.replay}`),
  ].join("\n");
}

function formatCounts(c: Readonly<Record<string, number>>): string {
  const e = Object.entries(c);
  return e.length === 0 ? "none" : e.map(([k, v]) => `${k} ${v}`).join(", ");
}

function formatMs(ms: number | undefined): string {
  return ms === undefined ? "end" : `${(ms / 1000).toFixed(3)} s`;
}

function indent(text: string, pad: string): string[] {
  return text.split("\n").map((l) => pad + l);
}
