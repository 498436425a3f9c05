/** A folded swarm view as plain lines, for a terminal-less `bun run tui` (a pipe, a test, CI logs). */
import { selectHeader } from "../tui/selectors.ts";
import type { SwarmView } from "../tui/view-model.ts";

/** Log entries a summary repeats: the latest few; the run DB has them all. */
export const summaryLogLines = 10;

/** `rounds: false` leaves out the per-round lines (a follower printed them as they came). */
export function summaryLines(view: SwarmView, title: string, opts: { rounds?: boolean } = {}): string[] {
  const h = selectHeader(view);
  const p = h.peers;
  const out = [
    `[tui] ${title}`,
    `${h.scenario}${h.clock ? ` · ${h.clock} clock` : ""}${h.seed === undefined ? "" : ` · seed ${h.seed}`} · ${view.rounds.length}/${h.round.total} rounds · ${h.finished ? "finished" : "not finished"}`,
    `peers: ${p.seen} seen of ${p.expected} · ${p.done} done · ${p.failed} failed · ${p.left} left · ${p.live} live`,
  ];
  for (const r of opts.rounds === false ? [] : view.rounds) {
    out.push(
      `round ${r.round + 1}: accuracy ${r.accuracy.toFixed(4)} · loss ${r.loss.toFixed(4)} · coverage min ${(r.coverage.min * 100).toFixed(1)}% · degraded ${r.degradedPeers}${r.peers === undefined ? "" : ` of ${r.peers}`}`,
    );
  }
  for (const b of view.baselines) out.push(`baseline ${b.kind}: accuracy ${b.accuracy.toFixed(4)}`);
  const log = view.log.filter((e) => e.kind !== "run");
  if (log.length > 0) {
    out.push(`events: ${log.length} fault/ban/timeout entries${view.logTotal > view.log.length ? ` (of ${view.logTotal} ever logged)` : ""}; latest:`);
    for (const e of log.slice(-summaryLogLines)) out.push(`  ${(e.t - (view.run?.t ?? 0)) / 1000} s ${e.kind}${e.peer ? ` ${e.peer}` : ""}: ${e.text}`);
  }
  return out;
}
