import type { Config, TopLevelSpec } from "vega-lite";
import type { ScenarioReport } from "../sim/report.ts";
import { peersByDesc, type CompletionPoint, type PeerBytes } from "./series.ts";

/** Width of the per-round charts (px); per-peer bar charts grow with the peer count instead. */
const roundChartWidthPx = 520;
const roundChartHeightPx = 200;
/** One bar per peer: wide enough for a rotated 9 px label, narrow enough that 100 peers fit in ~1000 px. */
const peerBarStepPx = 10;
const peerBarHeightPx = 220;

/** ARIA off: it adds a label per drawn item, +50% on the SVG of a 2000-point strip plot. */
const config: Config = {
  aria: false,
  font: "sans-serif",
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { orient: "top", labelFontSize: 10, titleFontSize: 10 },
};

const swarmColor = "#4c78a8";
const baselineColor = "#e45756";
const secondaryColor = "#f2a541";

const roundAxis = { title: "Round", tickMinStep: 1, format: "d" } as const;
/** Rounds count from 1: no zero, no rounding the domain out to 0. */
const roundScale = { zero: false, nice: false } as const;

/** Mean accuracy per round; the baseline as a dashed rule (final accuracy) and, if it has them, its per-round curve. */
export function accuracySpec(report: ScenarioReport): TopLevelSpec {
  const b = report.baseline;
  const label = b ? `${b.kind} baseline` : "";
  const values = [
    ...report.rounds.map((r) => ({ round: r.round + 1, accuracy: r.accuracy, series: "swarm" })),
    ...(b?.rounds ?? []).map((accuracy, i) => ({ round: i + 1, accuracy, series: label })),
  ];
  const series = b?.rounds?.length ? ["swarm", label] : ["swarm"];
  const x = { field: "round", type: "quantitative", scale: roundScale, axis: roundAxis } as const;
  const y = { field: "accuracy", type: "quantitative", title: "Accuracy (held-out test set)", scale: { zero: false }, axis: { format: ".0%" } } as const;
  const legend = series.length > 1 ? {} : null;
  const color = { field: "series", type: "nominal", title: null, legend, scale: { domain: series, range: [swarmColor, baselineColor] } } as const;
  const curves = {
    data: { values },
    mark: { type: "line", point: { size: 20 } },
    encoding: { x, y, color, strokeDash: { field: "series", type: "nominal", title: null, legend, scale: { domain: series, range: [[1, 0], [4, 3]] } } },
  } as const;
  if (!b) return { config, width: roundChartWidthPx, height: roundChartHeightPx, ...curves };
  const rule = { data: { values: [{ accuracy: b.accuracy, text: `${label} ${(b.accuracy * 100).toFixed(2)}%` }] } } as const;
  return {
    config,
    width: roundChartWidthPx,
    height: roundChartHeightPx,
    layer: [
      curves,
      { ...rule, mark: { type: "rule", color: baselineColor, strokeDash: [6, 4] }, encoding: { y: { field: "accuracy", type: "quantitative" } } },
      {
        ...rule,
        mark: { type: "text", color: baselineColor, align: "right", baseline: "bottom", dy: -3, x: "width" },
        encoding: { y: { field: "accuracy", type: "quantitative" }, text: { field: "text" } },
      },
    ],
  };
}

/** Mean test loss per round. */
export function lossSpec(report: ScenarioReport): TopLevelSpec {
  return {
    config,
    width: roundChartWidthPx,
    height: roundChartHeightPx,
    data: { values: report.rounds.map((r) => ({ round: r.round + 1, loss: r.loss })) },
    mark: { type: "line", point: { size: 20 }, color: swarmColor },
    encoding: {
      x: { field: "round", type: "quantitative", scale: roundScale, axis: roundAxis },
      y: { field: "loss", type: "quantitative", title: "Loss (held-out test set)", scale: { zero: false } },
    },
  };
}

/** Coverage band (min..max over the peers that aggregated) with the median as a line. */
export function coverageSpec(report: ScenarioReport): TopLevelSpec {
  const values = report.rounds.map((r) => ({ round: r.round + 1, ...r.coverage }));
  const x = { field: "round", type: "quantitative", scale: roundScale, axis: roundAxis } as const;
  const title = "Coverage (pieces held / expected)";
  return {
    config,
    width: roundChartWidthPx,
    height: roundChartHeightPx,
    data: { values },
    layer: [
      {
        mark: { type: "area", color: swarmColor, opacity: 0.25 },
        encoding: { x, y: { field: "min", type: "quantitative", title, scale: { domain: [0, 1] }, axis: { format: ".0%" } }, y2: { field: "max" } },
      },
      { mark: { type: "line", point: { size: 20 }, color: swarmColor }, encoding: { x, y: { field: "median", type: "quantitative" } } },
    ],
  };
}

/** Per round: a min–max box plot of the peers' completion times, each peer a dot over it (a strip plot). */
export function completionSpec(points: readonly CompletionPoint[]): TopLevelSpec {
  const x = { field: "round", type: "ordinal", title: "Round", axis: { labelAngle: 0 } } as const;
  const y = { field: "seconds", type: "quantitative", title: "Done after round start (s)" } as const;
  return {
    config,
    width: roundChartWidthPx,
    height: roundChartHeightPx,
    data: { values: points.map((p) => ({ round: p.round, seconds: p.seconds })) },
    layer: [
      { mark: { type: "boxplot", extent: "min-max", size: 14, color: swarmColor, opacity: 0.5, median: { color: "#1d3557" } }, encoding: { x, y } },
      { mark: { type: "point", filled: true, size: 10, color: "#1d3557", opacity: 0.35 }, encoding: { x, y } },
    ],
  };
}

/** Received piece bytes per peer over the run, useful stacked under duplicate, bars sorted by useful bytes. */
export function receivedSpec(bytes: readonly PeerBytes[]): TopLevelSpec {
  return peerBarsSpec(
    peersByDesc(bytes, (b) => b.usefulIn),
    bytes.flatMap((b) => [
      { peer: b.peer, kind: "useful", bytes: b.usefulIn },
      { peer: b.peer, kind: "duplicate", bytes: b.duplicateIn },
    ]),
    "Piece bytes received",
    [swarmColor, secondaryColor],
  );
}

/** Encoded bytes sent per peer over the run (`wireOut`), split into piece payload and the rest (control). */
export function sentSpec(bytes: readonly PeerBytes[]): TopLevelSpec {
  return peerBarsSpec(
    peersByDesc(bytes, (b) => b.wireOut),
    bytes.flatMap((b) => [
      { peer: b.peer, kind: "payload", bytes: Math.min(b.payloadOut, b.wireOut) },
      { peer: b.peer, kind: "control", bytes: Math.max(0, b.wireOut - b.payloadOut) },
    ]),
    "Bytes sent (wire)",
    [swarmColor, "#9d9d9d"],
  );
}

function peerBarsSpec(order: string[], values: { peer: string; kind: string; bytes: number }[], title: string, range: string[]): TopLevelSpec {
  const kinds = [...new Set(values.map((v) => v.kind))];
  return {
    config,
    width: { step: peerBarStepPx },
    height: peerBarHeightPx,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "peer", type: "nominal", title: "Peer", sort: order, axis: { labelAngle: -90, labelFontSize: 9 } },
      y: { field: "bytes", type: "quantitative", title, stack: "zero", axis: { format: "~s" } },
      color: { field: "kind", type: "nominal", title: null, scale: { domain: kinds, range } },
      order: { field: "kind", sort: "descending" },
    },
  };
}
