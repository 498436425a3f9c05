/**
 * Telemetry in, throttled views out: the TUI's one place with state fed from outside and its only timer.
 *
 * Every event is folded into the view at once (nothing is lost or reordered); what React sees is published at
 * most once per `intervalMs`, so 10k events/s cost ≤ 10 renders/s. The scheduler is injected, so tests drive
 * time by hand.
 */
import { useEffect, useMemo, useSyncExternalStore } from "react";
import type { TelemetryEvent, TelemetrySource } from "../telemetry/events.ts";
import { emptyView, reduce, type SwarmView } from "./view-model.ts";
import { globalScheduler, type Scheduler } from "../runtime/scheduler.ts";

/** 10 Hz: faster than that a terminal only flickers, and every render re-runs the selectors. */
export const renderIntervalMs = 100;

/** The timer the feed uses: `globalScheduler` in a run, a hand-driven fake in tests. */
export { globalScheduler, type Scheduler } from "../runtime/scheduler.ts";

export interface SwarmFeedOptions {
  /** @default globalScheduler */
  scheduler?: Scheduler;
  /** Least time between two published views. @default renderIntervalMs */
  intervalMs?: number;
  /** Start from here (e.g. a view replayed from the run DB). @default emptyView */
  initial?: SwarmView;
}

/**
 * An external store for React's useSyncExternalStore. It subscribes to the source when its first listener
 * arrives and lets go (clearing its timer) when the last one leaves; the folded view survives both.
 */
export class SwarmFeed {
  private latest: SwarmView;
  private published: SwarmView;
  private readonly listeners = new Set<() => void>();
  private unsubscribeSource: (() => void) | undefined;
  private timer: { handle: unknown } | undefined;
  private paused = false;
  private readonly scheduler: Scheduler;
  private readonly intervalMs: number;

  constructor(
    private readonly source: TelemetrySource,
    opts: SwarmFeedOptions = {},
  ) {
    this.scheduler = opts.scheduler ?? globalScheduler;
    this.intervalMs = opts.intervalMs ?? renderIntervalMs;
    this.latest = this.published = opts.initial ?? emptyView;
  }

  /** The view React renders: changes only when the feed publishes. */
  readonly getSnapshot = (): SwarmView => this.published;

  /** Every event folded so far, published or not. */
  current(): SwarmView {
    return this.latest;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (this.unsubscribeSource === undefined) this.unsubscribeSource = this.source.subscribe(this.onEvent);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      this.unsubscribeSource?.();
      this.unsubscribeSource = undefined;
      this.cancel();
    };
  };

  /** While paused, events are still folded but nothing is published; resuming publishes at the next tick. */
  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (paused) this.cancel();
    else this.schedule();
  }

  private readonly onEvent = (event: TelemetryEvent): void => {
    this.latest = reduce(this.latest, event);
    this.schedule();
  };

  private schedule(): void {
    if (this.timer !== undefined || this.paused || this.latest === this.published) return;
    const timer = { handle: undefined as unknown };
    this.timer = timer;
    timer.handle = this.scheduler.setTimeout(() => {
      if (this.timer === timer) this.publish();
    }, this.intervalMs);
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    this.scheduler.clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  private publish(): void {
    this.timer = undefined;
    if (this.latest === this.published) return;
    this.published = this.latest;
    for (const listener of [...this.listeners]) listener();
  }
}

export interface UseSwarmViewOptions extends SwarmFeedOptions {
  /** Freeze the picture (events keep being folded). @default false */
  paused?: boolean;
}

/**
 * The current view of `source`, re-rendering at most every `intervalMs`. Options other than `paused` are read
 * once per source; pass a stable source (a new one starts a new feed).
 */
export function useSwarmView(source: TelemetrySource, opts: UseSwarmViewOptions = {}): SwarmView {
  // Building a feed has no effects (it subscribes when React does), so memoising it by source is safe.
  const feed = useMemo(() => new SwarmFeed(source, opts), [source]); // eslint-disable-line react-hooks/exhaustive-deps
  const paused = opts.paused ?? false;
  useEffect(() => feed.setPaused(paused), [feed, paused]);
  return useSyncExternalStore(feed.subscribe, feed.getSnapshot);
}
