import { afterEach, describe, expect, test } from "bun:test";
import { cleanup, render } from "ink-testing-library";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { EventsLog } from "../../tui/EventsLog.tsx";
import { formatBytes, formatDuration, shade, sparkline } from "../../tui/format.ts";
import { Header } from "../../tui/Header.tsx";
import { Heatmap } from "../../tui/Heatmap.tsx";
import { Learning } from "../../tui/Learning.tsx";
import { scrollStart } from "../../tui/navigation.ts";
import { PeersTable } from "../../tui/PeersTable.tsx";
import { selectEvents, selectHeader, selectHeatmap, selectLearning, selectPeerRows, type PeerRow } from "../../tui/selectors.ts";
import { syntheticRun } from "../../tui/synthetic-run.ts";
import { reduceAll } from "../../tui/view-model.ts";

// Colours depend on the terminal; the tests read the text.
const plain = (frame: string | undefined) => (frame ?? "").replace(/\u001B\[[0-9;]*m/g, "");
const frameOf = (tree: React.ReactElement) => plain(render(tree).lastFrame());

afterEach(cleanup);

const run = reduceAll(syntheticRun());

describe("Header", () => {
  test("scenario, clock, seed, round r/R, elapsed, peers and throughput", () => {
    const f = frameOf(<Header data={selectHeader(run)} paused={false} />);
    expect(f).toContain("fltorrent · synthetic-20 · virtual clock · seed 7 · round 3/3 · 00:23.5");
    expect(f).toContain("peers 19 live · 0 done · 1 failed · 0 left (of 20)");
    expect(f).toContain("↑ 2.8 MB/s ↓ 2.9 MB/s");
    expect(f).not.toContain("PAUSED");
    expect(frameOf(<Header data={selectHeader(run)} paused />)).toContain("PAUSED");
  });

  test("before the run starts it says so", () => {
    expect(frameOf(<Header data={selectHeader(reduceAll([]))} paused={false} />)).toContain("(waiting for run) · round –");
  });
});

function rows(n: number): PeerRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `peer${String(i).padStart(3, "0")}`,
    state: "swarm",
    round: 1,
    coverage: i / n,
    upRate: 1000 * i,
    downRate: 0,
    device: "phone-4g",
    degraded: i % 50 === 0,
    accuracy: undefined,
    bannedBy: 0,
  }));
}

describe("PeersTable", () => {
  test("a row per peer: state, round, coverage, rates, device, flags", () => {
    const f = frameOf(<PeersTable rows={selectPeerRows(run)} selected={3} height={25} />);
    expect(f).toMatch(/› p03\s+grace\s+3\s+\d+%\s+200 kB\/s\s+150 kB\/s\s+phone-4g\s+0\.703\s+degraded/);
    expect(f).toMatch(/ p07\s+failed\s+2\s+100%\s+0 B\/s\s+0 B\/s\s+phone-4g\s+0\.607/);
    expect(f).toMatch(/ p09 .*banned×1/);
    expect(f).toContain("peers 1–20 of 20");
  });

  test("150 peers: the window follows the selection and never runs past either end", () => {
    const all = rows(150);
    const top = frameOf(<PeersTable rows={all} selected={0} height={20} />);
    expect(top).toContain("› peer000");
    expect(top).toContain("peer019");
    expect(top).not.toContain("peer020");
    expect(top).toContain("peers 1–20 of 150");

    const mid = frameOf(<PeersTable rows={all} selected={100} height={20} />);
    expect(mid).toContain("› peer100");
    expect(mid).not.toContain("peer089");
    expect(mid).toContain("peers 91–110 of 150");
    expect(mid.split("\n").filter((l) => /peer\d{3}/.test(l))).toHaveLength(20);

    const end = frameOf(<PeersTable rows={all} selected={149} height={20} />);
    expect(end).toContain("› peer149");
    expect(end).toContain("peers 131–150 of 150");
  });

  test("scrollStart keeps every selection inside the window", () => {
    for (let sel = 0; sel < 150; sel++) {
      const s = scrollStart(sel, 150, 20);
      expect(sel >= s && sel < s + 20 && s >= 0 && s + 20 <= 150).toBe(true);
    }
    expect(scrollStart(5, 8, 20)).toBe(0);
  });
});

describe("Heatmap", () => {
  const pieces = (held: (peer: number) => number): TelemetryEvent[] =>
    [0, 1, 2, 3].map((i) => ({ type: "piece.progress", t: i, peer: `q${i}`, round: 0, origins: ["q9"], held: [held(i)], count: [4] }));
  const swarmRow = (events: TelemetryEvent[], peer = "q0") => {
    const line = frameOf(<Heatmap data={selectHeatmap(reduceAll(events), peer, { maxRows: 10, maxCols: 20 })} />)
      .split("\n")
      .find((l) => l.startsWith("q9"));
    return line?.trim().split(/\s+/);
  };

  test("shading follows availability: nobody, some, everyone", () => {
    // Nobody holds a piece, not even its origin: not published yet (still training), not "rarest".
    expect(swarmRow(pieces(() => 0))).toEqual(["q9", "unpub", "0", "····", "····"]);
    // q0 holds 1, q1 2, q2 3, q3 4: 4 peers past piece 0, 3 past piece 1, 2 past 2, 1 past 3.
    expect(swarmRow(pieces((i) => i + 1))).toEqual(["q9", "38%", "1", "█···", "█▓▒░"]);
    expect(swarmRow(pieces(() => 4))).toEqual(["q9", "0%", "4", "████", "████"]);
  });

  test("rarest published origins come first, unpublished ones last; the frame names the round and the selected peer", () => {
    const events: TelemetryEvent[] = [
      { type: "piece.progress", t: 0, peer: "a", round: 1, origins: ["unborn"], held: [0], count: [2] },
      { type: "piece.progress", t: 0, peer: "a", round: 1, origins: ["common"], held: [2], count: [2] },
      { type: "piece.progress", t: 0, peer: "a", round: 1, origins: ["rare"], held: [0], count: [2] },
      { type: "piece.progress", t: 0, peer: "b", round: 1, origins: ["common"], held: [2], count: [2] },
      { type: "piece.progress", t: 0, peer: "b", round: 1, origins: ["rare"], held: [1], count: [2] },
    ];
    const f = frameOf(<Heatmap data={selectHeatmap(reduceAll(events), "b", { maxRows: 10, maxCols: 20 })} />);
    expect(f).toContain("round 2 · 2 peers swarming · selected b");
    expect(f.indexOf("rare")).toBeLessThan(f.indexOf("common"));
    expect(f.indexOf("common")).toBeLessThan(f.indexOf("unborn"));
    expect(f.split("\n").find((l) => l.startsWith("unborn"))).toContain("unpub");
    expect(frameOf(<Heatmap data={selectHeatmap(reduceAll([]), undefined, { maxRows: 10, maxCols: 20 })} />)).toContain("no pieces have moved yet");
  });
});

describe("Learning", () => {
  test("sparklines for accuracy and loss, the baseline and its gap, a row per round", () => {
    const f = frameOf(<Learning data={selectLearning(run)} maxRows={10} />);
    expect(f).toContain("accuracy  ▁█  0.700 (round 2)");
    expect(f).toContain("loss      █▁  0.800");
    expect(f).toContain("baseline  centralized 0.750 (−0.050)");
    expect(f).toMatch(/1\s+0\.600\s+1\.200\s+100%\/100%\/100%\s+0\s+1\.5 MB\s+00:02\.0\s+00:04\.0/);
    expect(f).toMatch(/2\s+0\.700\s+0\.800\s+80%\/100%\/100%\s+1\s+1\.5 MB/);
  });

  test("a long run's sparklines keep the most recent rounds that fit the width", () => {
    const many: TelemetryEvent[] = Array.from({ length: 200 }, (_, r) => ({
      type: "round.metrics", t: r, round: r, accuracy: r < 180 ? 0.1 : 0.9, loss: 1, coverage: { min: 1, median: 1, max: 1 }, degradedPeers: 0, payloadBytes: 0, swarmMs: 0, roundMs: 0,
    }));
    const line = frameOf(<Learning data={selectLearning(reduceAll(many))} maxRows={3} width={80} />).split("\n")[0]!;
    const spark = line.split(/\s+/)[1]!;
    expect(spark).toHaveLength(80 - 36);
    expect(spark).toBe("▁".repeat(80 - 36 - 20) + "█".repeat(20));
    expect(line).toContain("0.900 (round 200)");
  });

  test("without baselines or rounds it says what it is waiting for", () => {
    const f = frameOf(<Learning data={selectLearning(reduceAll([]))} maxRows={10} />);
    expect(f).toContain("no round finished yet");
    expect(f).not.toContain("baseline");
  });
});

describe("EventsLog", () => {
  test("kind, peer and text, stamped from run start, with a count of what scrolled away", () => {
    const f = frameOf(<EventsLog data={selectEvents(run, 4)} />);
    expect(f).toContain("… 2 earlier");
    expect(f).toMatch(/\+00:12\.3\s+ban\s+p05\s+banned p09: 3 strikes: bad hash/);
    expect(f).toMatch(/\+00:12\.5\s+failed\s+p07\s+round 2: failed/);
    expect(f).toMatch(/\+00:23\.5\s+timeout\s+p03\s+round 3: swarm deadline reached \(swarmDeadline in swarm\)/);
    expect(f).toMatch(/\+00:23\.5\s+timeout\s+p03\s+round 3: below minCompletion at the swarm deadline: grace/);
    expect(f).not.toContain("link down");
  });
});

describe("format", () => {
  test("sizes, durations, sparklines, shades", () => {
    expect([formatBytes(999), formatBytes(1500), formatBytes(12_345_678)]).toEqual(["999 B", "1.5 kB", "12 MB"]);
    expect([formatDuration(83_456), formatDuration(3_723_000)]).toEqual(["01:23.4", "1:02:03"]);
    expect(sparkline([0, 7, 3.5])).toBe("▁█▅");
    expect(sparkline([2, 2])).toBe("▄▄");
    expect([0, 0.1, 0.5, 0.9, 1].map(shade).join("")).toBe("·░▒▓█");
  });
});
