import { describe, expect, test } from "bun:test";
import type { TopLevelSpec } from "vega-lite";
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import { renderHtmlReport } from "../../report/html.ts";
import { completionTimes, peerBytes, peersByDesc } from "../../report/series.ts";
import { renameDefIds, renderSvg } from "../../report/svg.ts";
import type { ScenarioReport } from "../../sim/report.ts";
import { fold } from "../../sim/round-rows.ts";
import { roundRecord } from "./round-record.ts";

const CHARTS = ["accuracy", "loss", "completion", "received", "sent", "coverage"] as const;

function rec(peer: string, round: number, over: Partial<PeerRoundRecord> & { trainStartMs?: number; doneMs?: number | undefined } = {}): PeerRoundRecord {
  const { trainStartMs = 1000 * round, doneMs: done, ...rest } = over;
  const doneMs = "doneMs" in over ? done : 1000 * round + 600; // an explicit undefined: never finished
  const times = { trainStartMs, publishedMs: trainStartMs + 100, swarmStartMs: trainStartMs + 100, aggregateStartMs: trainStartMs + 500, doneMs };
  return roundRecord(peer, round, times, { accuracy: 0.5 + 0.1 * round, loss: 1 - 0.2 * round, ...rest });
}

/** A report whose rows are folded from the records the way a run folds them. */
function reportOf(records: readonly PeerRoundRecord[], over: Partial<ScenarioReport> = {}): ScenarioReport {
  const rounds = [...new Set(records.map((r) => r.round))].sort((a, b) => a - b);
  const peers = new Set(records.map((r) => r.peer)).size;
  const rows = rounds.map((round) => fold(round, records.filter((r) => r.round === round), 1000 * round, 250));
  const last = rows[rows.length - 1];
  return { scenario: "tiny", seed: 42, clock: "virtual", peers, backend: "tfjs-cpu", rounds: rows, final: last ? { accuracy: last.accuracy, loss: last.loss } : null, baseline: null, ...over };
}

/** 3 peers × 2 rounds; peer c is slow in round 1 and sends most. */
const small = [
  rec("a", 0, { usefulIn: 3000 }),
  rec("b", 0, { trainStartMs: 50, coverage: 0.8 }),
  rec("c", 0, { wireOut: 5000 }),
  rec("a", 1),
  rec("b", 1, { usefulIn: 2500 }),
  rec("c", 1, { doneMs: 1900, coverage: 0.9 }),
];
const baseline = { kind: "fedavg" as const, accuracy: 0.65, rounds: [0.55, 0.65] };

function chartSvgs(html: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of CHARTS) {
    const fig = html.match(new RegExp(`<figure id="chart-${key}">([\\s\\S]*?)</figure>`))?.[1] ?? "";
    out.set(key, fig.match(/<svg[\s\S]*?<\/svg>/g) ?? []);
  }
  return out;
}

function svgOf(html: string, key: (typeof CHARTS)[number]): string {
  return chartSvgs(html).get(key)?.[0] ?? "";
}

describe("html report", () => {
  test("header names the run; one inline SVG per chart, with axis titles", async () => {
    const html = await renderHtmlReport(reportOf(small, { baseline }), small);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("<h1>tiny</h1>");
    for (const s of ["<dd>42</dd>", "<dd>virtual</dd>", "<dd>3</dd>", "<dd>tfjs-cpu</dd>", "<dd>60.00% (loss 0.8000)</dd>", "<dd>fedavg 65.00%"]) expect(html).toContain(s);
    const svgs = chartSvgs(html);
    for (const key of CHARTS) expect(svgs.get(key)?.length).toBe(1);
    expect(html.match(/<svg\b/g)?.length).toBe(CHARTS.length);
    const titles: Record<(typeof CHARTS)[number], string[]> = {
      accuracy: ["Round", "Accuracy (held-out test set)"],
      loss: ["Round", "Loss (held-out test set)"],
      completion: ["Round", "Done after round start (s)"],
      received: ["Peer", "Piece bytes received"],
      sent: ["Peer", "Bytes sent (wire)"],
      coverage: ["Round", "Coverage (pieces held / expected)"],
    };
    for (const key of CHARTS) for (const t of titles[key]) expect(svgOf(html, key)).toContain(`>${t}</text>`);
    // The round table: one row per round.
    expect(html.match(/<tr><td>/g)?.length).toBe(2);
  });

  test("the baseline is drawn as a reference line when the report has one, and not otherwise", async () => {
    const rule = /class="mark-rule role-mark/g;
    const withB = svgOf(await renderHtmlReport(reportOf(small, { baseline }), small), "accuracy");
    expect(withB.match(rule)?.length).toBe(1);
    expect(withB).toContain(">fedavg baseline 65.00%</text>");
    expect(withB).toContain(">fedavg baseline</text>"); // the per-round curve's legend entry
    const without = await renderHtmlReport(reportOf(small), small);
    expect(svgOf(without, "accuracy").match(rule)).toBeNull();
    expect(without).not.toContain("baseline");
  });

  test("text is escaped: scenario, description and peer ids", async () => {
    const evil = `<script>alert("x")</script>`;
    const records = small.map((r) => (r.peer === "a" ? { ...r, peer: "<b>&a" } : r));
    const html = await renderHtmlReport(reportOf(records, { scenario: evil, backend: "cpu & <wasm>" }), records, { description: `desc ${evil}` });
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<b>");
    expect(html).toContain("<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h1>");
    expect(html).toContain(`<p class="description">desc &lt;script&gt;`);
    expect(html).toContain("<dd>cpu &amp; &lt;wasm&gt;</dd>");
    expect(svgOf(html, "received")).toContain("&lt;b&gt;&amp;a");
  });

  test("self-contained: no scripts, no fetched resources, unique element ids", async () => {
    const html = await renderHtmlReport(reportOf(small, { baseline }), small);
    expect(html).not.toMatch(/<script|<link|<img|@import|\b(src|href)=|url\((?!#)/i);
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(CHARTS.length);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  test("deterministic: same input, same string, also after other renders and when rendered concurrently", async () => {
    const report = reportOf(small, { baseline });
    const first = await renderHtmlReport(report, small);
    await renderHtmlReport(reportOf(small), small);
    expect(await renderHtmlReport(report, small)).toBe(first);
    const [x, y] = await Promise.all([renderHtmlReport(report, small), renderHtmlReport(report, small)]);
    expect(x).toBe(first);
    expect(y).toBe(first);
  });

  test("a baseline-only report (no rounds, no records) draws the baseline curve and says the rest has no data", async () => {
    const report: ScenarioReport = { scenario: "tiny", seed: 1, clock: "virtual", peers: 3, backend: "cpu", rounds: [], final: null, baseline };
    const html = await renderHtmlReport(report, []);
    expect(chartSvgs(html).get("accuracy")?.length).toBe(1);
    expect(html.match(/<svg\b/g)?.length).toBe(1);
    expect(html.match(/No data\./g)?.length).toBe(CHARTS.length - 1);
    expect(html).toContain("<dd>none</dd>");
  });

  test("100 peers × 20 rounds renders to a few MB at most (time printed)", async () => {
    const records: PeerRoundRecord[] = [];
    for (let round = 0; round < 20; round++)
      for (let p = 0; p < 100; p++) {
        const peer = `p${String(p).padStart(3, "0")}`;
        const jitter = (p * 7919 + round * 104729) % 1000;
        records.push(rec(peer, round, { trainStartMs: 10_000 * round + (jitter % 50), doneMs: 10_000 * round + 4000 + 3 * jitter, coverage: 0.7 + jitter / 3330, usefulIn: 1e6 + 1000 * jitter, wireOut: 2e6 + 977 * jitter }));
      }
    const t0 = performance.now();
    const html = await renderHtmlReport(reportOf(records, { baseline: { kind: "centralized", accuracy: 0.97 } }), records);
    const ms = performance.now() - t0;
    console.log(`[bench] html report 100 peers × 20 rounds: ${ms.toFixed(0)} ms, ${(html.length / 1e3).toFixed(0)} kB`);
    for (const key of CHARTS) expect(chartSvgs(html).get(key)?.length).toBe(1);
    expect(html.length).toBeLessThan(3_000_000);
  });
});

describe("report series", () => {
  test("completion times count from the round's earliest training start; unfinished rounds are counted, not drawn", () => {
    const { points, unfinished } = completionTimes([rec("b", 1, { trainStartMs: 1200, doneMs: 1900 }), rec("a", 1, { trainStartMs: 1100, doneMs: 1600 }), rec("c", 1, { doneMs: undefined }), rec("a", 0)]);
    expect(points).toEqual([
      { round: 1, peer: "a", seconds: 0.6 },
      { round: 2, peer: "a", seconds: 0.6 },
      { round: 2, peer: "b", seconds: 0.9 },
    ]);
    expect(unfinished).toBe(1);
  });

  test("bytes are summed per peer over rounds; bar order is by value, ties by id", () => {
    const bytes = peerBytes(small);
    expect(bytes.map((b) => [b.peer, b.usefulIn, b.duplicateIn, b.payloadOut, b.wireOut])).toEqual([
      ["a", 4000, 20, 1800, 2000],
      ["b", 3500, 20, 1800, 2000],
      ["c", 2000, 20, 1800, 6000],
    ]);
    expect(peersByDesc(bytes, (b) => b.usefulIn)).toEqual(["a", "b", "c"]);
    expect(peersByDesc(bytes, (b) => b.wireOut)).toEqual(["c", "a", "b"]);
    expect(peersByDesc(bytes, (b) => b.duplicateIn)).toEqual(["a", "b", "c"]);
  });

  test("clip ids are renamed per chart in order of first use, so a chart drawn twice reads the same", async () => {
    const clipped: TopLevelSpec = {
      data: { values: [{ x: 1, y: 2 }, { x: 2, y: 5 }] },
      mark: { type: "line", clip: true },
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative", scale: { domain: [0, 3] } } },
    };
    const first = await renderSvg("k", clipped);
    expect(first.match(/(id="|url\(#)[^")]+/g)).toEqual(["url(#k-d0", 'id="k-d0']);
    expect(await renderSvg("k", clipped)).toBe(first);
    const svg = `<clipPath id="clip7"/><g clip-path="url(#clip7)"/><g clip-path="url(#clip9)"/><clipPath id="clip9"/><linearGradient id="gradient_3"/>`;
    expect(renameDefIds("k", svg)).toBe(`<clipPath id="k-d0"/><g clip-path="url(#k-d0)"/><g clip-path="url(#k-d1)"/><clipPath id="k-d1"/><linearGradient id="k-d2"/>`);
  });
});
