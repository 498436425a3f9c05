/**
 * The TUI's cost at scale: how fast the view model folds telemetry, how big a compacted snapshot is, and what
 * one frame (selectors + an Ink render to a 120×40 string) costs, for swarms of 100 to 1,000 peers. The stream
 * is shaped like a real all-gather's (bench/tui-stream.ts). Returns numbers, asserts and prints nothing.
 */
import { renderToString } from "ink";
import { Compactor } from "../telemetry/compactor.ts";
import { App } from "../tui/App.tsx";
import { tabs, type Tab } from "../tui/navigation.ts";
import { reduce, emptyView, type SwarmView } from "../tui/view-model.ts";
import { allGatherStream } from "./tui-stream.ts";

export interface TuiBenchCase {
  peers: number;
  events: number;
  /** Mean cost of folding one event into the view, µs. */
  reduceUsPerEvent: number;
  /** Events folded per second. */
  eventsPerSec: number;
  /** Events a late client receives instead of the whole stream. */
  snapshotEvents: number;
  /** Mean ms to draw one frame of each tab (selectors and layout included). */
  frameMs: Record<Tab, number>;
}

export interface TuiBenchOptions {
  /** @default [100, 300, 1000] */
  peers?: number[];
  /** @default 3 */
  rounds?: number;
  /** Frames timed per tab. @default 10 */
  frames?: number;
}

export function runTuiBench(opts: TuiBenchOptions = {}): TuiBenchCase[] {
  const frames = opts.frames ?? 10;
  return (opts.peers ?? [100, 300, 1000]).map((peers) => {
    const stream = allGatherStream({ peers, rounds: opts.rounds ?? 3 });
    const t0 = performance.now();
    let view: SwarmView = emptyView;
    for (const ev of stream) view = reduce(view, ev);
    const foldMs = performance.now() - t0;
    const compactor = new Compactor();
    for (const ev of stream) compactor.emit(ev);
    const frameMs = {} as Record<Tab, number>;
    for (const tab of tabs) frameMs[tab] = frameCost(view, tab, frames);
    return {
      peers,
      events: stream.length,
      reduceUsPerEvent: round3((foldMs * 1000) / stream.length),
      eventsPerSec: Math.round(stream.length / (foldMs / 1000)),
      snapshotEvents: compactor.snapshot().length,
      frameMs,
    };
  });
}

function frameCost(view: SwarmView, tab: Tab, frames: number): number {
  const draw = () => renderToString(<App view={view} onPause={() => {}} onQuit={() => {}} height={40} width={120} initial={{ tab, selected: 0 }} />, { columns: 120 });
  draw(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) draw();
  return round3((performance.now() - t0) / frames);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

