import type { TopLevelSpec } from "vega-lite";
import type { PeerRoundRecord } from "../actors/peer-telemetry.ts";
import { formatBytes, type RoundRow, type ScenarioReport } from "../sim/report.ts";
import { accuracySpec, completionSpec, coverageSpec, lossSpec, receivedSpec, sentSpec } from "./charts.ts";
import { completionTimes, peerBytes } from "./series.ts";
import { renderSvg } from "./svg.ts";

/** What the report JSON does not carry but the page can show. */
export interface HtmlReportOptions {
  /** The scenario's one-line description. @default none */
  description?: string;
}

interface Chart {
  /** Element id, and the prefix of the SVG's clip and gradient ids (unique per page). */
  key: string;
  title: string;
  note: string;
  /** null: nothing to draw (a baseline-only report has no rounds). */
  spec: TopLevelSpec | null;
}

/**
 * One self-contained HTML page for a run: header, charts as inline SVG (drawn by Vega-Lite, headless), and the
 * per-round table. No script, stylesheet or font is fetched, so the file reads offline. All text is escaped.
 * Deterministic: the same report and records give the same string.
 */
export async function renderHtmlReport(report: ScenarioReport, records: readonly PeerRoundRecord[], options: HtmlReportOptions = {}): Promise<string> {
  const { points, unfinished } = completionTimes(records);
  const bytes = peerBytes(records);
  const hasRounds = report.rounds.length > 0;
  const charts: Chart[] = [
    { key: "accuracy", title: "Accuracy per round", note: "Mean over live peers.", spec: hasRounds || report.baseline?.rounds?.length ? accuracySpec(report) : null },
    { key: "loss", title: "Loss per round", note: "Mean over live peers.", spec: hasRounds ? lossSpec(report) : null },
    {
      key: "completion",
      title: "Completion time per round",
      note: `Each dot is a peer: its round done, measured from the round's first training start; box and whiskers span the quartiles and min–max.${unfinished ? ` ${unfinished} peer-round(s) never finished and are not drawn.` : ""}`,
      spec: points.length ? completionSpec(points) : null,
    },
    { key: "received", title: "Bytes received per peer", note: "Piece bytes over the run, sorted by useful (new, verified) bytes.", spec: bytes.length ? receivedSpec(bytes) : null },
    { key: "sent", title: "Bytes sent per peer", note: "Encoded frame bytes over the run, sorted; control is frames minus piece payload.", spec: bytes.length ? sentSpec(bytes) : null },
    { key: "coverage", title: "Coverage per round", note: "Band: min to max over the peers that aggregated; line: median.", spec: hasRounds ? coverageSpec(report) : null },
  ];
  // One at a time: Vega's SVG renderer numbers defs from a process-wide counter (renamed per chart afterwards).
  const figures: string[] = [];
  for (const c of charts) figures.push(await figure(c));
  return page(report, options, figures.join("\n"));
}

async function figure(c: Chart): Promise<string> {
  const body = c.spec ? await renderSvg(`chart-${c.key}`, c.spec) : `<p class="empty">No data.</p>`;
  return `<figure id="chart-${c.key}">\n<h2>${esc(c.title)}</h2>\n<div class="svg">${body}</div>\n<figcaption>${esc(c.note)}</figcaption>\n</figure>`;
}

function page(report: ScenarioReport, options: HtmlReportOptions, figures: string): string {
  const title = `${report.scenario} — seed ${report.seed}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(report.scenario)}</h1>
${options.description ? `<p class="description">${esc(options.description)}</p>\n` : ""}${summary(report)}
</header>
<main>
${figures}
${roundTable(report.rounds)}
</main>
</body>
</html>
`;
}

function summary(r: ScenarioReport): string {
  const b = r.baseline;
  const rows: [string, string][] = [
    ["Seed", String(r.seed)],
    ["Clock", r.clock],
    ["Peers", String(r.peers)],
    ["Rounds", String(r.rounds.length)],
    ["Backend", r.backend],
    ["Final accuracy", r.final ? `${pct(r.final.accuracy)} (loss ${r.final.loss.toFixed(4)})` : "none"],
  ];
  if (b) rows.push(["Baseline", `${b.kind} ${pct(b.accuracy)}${r.final ? ` (swarm − baseline: ${((r.final.accuracy - b.accuracy) * 100).toFixed(2)} points)` : ""}`]);
  return `<dl class="summary">${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join("")}</dl>`;
}

function roundTable(rows: readonly RoundRow[]): string {
  if (!rows.length) return "";
  const head = ["Round", "Accuracy", "Loss", "Coverage min / med / max", "Peers", "Degraded", "Swarm (s)", "Bound (s)", "Round (s)", "Payload", "Duplicate", "Control"];
  const secs = (ms: number) => (ms / 1000).toFixed(2);
  const body = rows.map((r) =>
    [
      String(r.round + 1),
      r.accuracy.toFixed(4),
      r.loss.toFixed(4),
      `${pct(r.coverage.min)} / ${pct(r.coverage.median)} / ${pct(r.coverage.max)}`,
      String(r.peers),
      String(r.degradedPeers),
      secs(r.swarmMs),
      secs(r.lowerBoundMs),
      secs(r.roundMs),
      formatBytes(r.payloadBytes),
      formatBytes(r.duplicateBytes),
      formatBytes(r.overheadBytes),
    ],
  );
  const tr = (cells: string[], tag: "th" | "td") => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join("")}</tr>`;
  return `<section id="rounds">\n<h2>Rounds</h2>\n<table>\n<thead>${tr(head, "th")}</thead>\n<tbody>\n${body.map((c) => tr(c, "td")).join("\n")}\n</tbody>\n</table>\n</section>`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
.description { margin: 0 0 .75rem; color: #555; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: 0 0 1rem; }
.summary dt { font-size: .75rem; color: #666; text-transform: uppercase; }
.summary dd { margin: 0; font-weight: 600; }
figure { margin: 0 0 1.5rem; }
figure .svg { overflow-x: auto; }
figcaption, .empty { color: #666; font-size: .85rem; }
table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f4f4f4; }
`;
