import { afterEach, describe, expect, test } from "bun:test";
import { Text } from "ink";
import { cleanup, render } from "ink-testing-library";
import { createTelemetryBus, type TelemetryEvent } from "../../telemetry/events.ts";
import { SwarmTui } from "../../tui/SwarmTui.tsx";
import { syntheticRun } from "../../tui/synthetic-run.ts";
import { renderIntervalMs, SwarmFeed, useSwarmView, type Scheduler } from "../../tui/use-swarm-view.ts";
import { reduceAll } from "../../tui/view-model.ts";
import { FakeScheduler } from "./fake-scheduler.ts";

const plain = (frame: string | undefined) => (frame ?? "").replace(/\u001B\[[0-9;]*m/g, "");

afterEach(cleanup);

/** Yields to the event loop (no clock involved) until `ok` holds: React commits store updates asynchronously. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 50; turn++) {
    if (ok()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never: ${what}`);
}

const events = syntheticRun().slice(0, 1000);

describe("SwarmFeed", () => {
  test("1000 events over 1 s of scheduler time publish at most once per interval, and nothing is lost", () => {
    const bus = createTelemetryBus();
    const clock = new FakeScheduler();
    const feed = new SwarmFeed(bus, { scheduler: clock });
    let published = 0;
    const stop = feed.subscribe(() => published++);
    events.forEach((e) => {
      bus.emit(e);
      clock.advance(1); // one event per ms
    });
    clock.advance(renderIntervalMs);
    expect(published).toBeGreaterThanOrEqual(5);
    expect(published).toBeLessThanOrEqual(1000 / renderIntervalMs + 1);
    expect(feed.getSnapshot()).toEqual(reduceAll(events));
    stop();
    expect(clock.pending).toBe(0);
  });

  test("a burst publishes nothing until the timer fires, then once", () => {
    const bus = createTelemetryBus();
    const clock = new FakeScheduler();
    const feed = new SwarmFeed(bus, { scheduler: clock });
    let published = 0;
    feed.subscribe(() => published++);
    for (const e of events) bus.emit(e);
    expect(published).toBe(0);
    expect(clock.pending).toBe(1);
    clock.advance(renderIntervalMs - 1);
    expect(published).toBe(0);
    clock.advance(1);
    expect(published).toBe(1);
    expect(clock.pending).toBe(0);
  });

  test("paused: events are folded but not published; resuming publishes them", () => {
    const bus = createTelemetryBus();
    const clock = new FakeScheduler();
    const feed = new SwarmFeed(bus, { scheduler: clock });
    let published = 0;
    feed.subscribe(() => published++);
    feed.setPaused(true);
    for (const e of events) bus.emit(e);
    clock.advance(10 * renderIntervalMs);
    expect(published).toBe(0);
    expect(feed.current()).toEqual(reduceAll(events));
    feed.setPaused(false);
    clock.advance(renderIntervalMs);
    expect(published).toBe(1);
    expect(feed.getSnapshot()).toBe(feed.current());
  });

  test("it listens to the source only while someone listens to it", () => {
    const bus = createTelemetryBus();
    const feed = new SwarmFeed(bus, { scheduler: new FakeScheduler() });
    bus.emit(events[0]!);
    expect(feed.current().run).toBeUndefined();
    const stop = feed.subscribe(() => {});
    bus.emit(events[0]!);
    expect(feed.current().run?.scenario).toBe("synthetic-20");
    stop();
    bus.emit({ type: "run.finished", t: 99 });
    expect(feed.current().finished).toBe(false);
  });
});

describe("useSwarmView", () => {
  function Probe({ source, scheduler, onRender }: { source: ReturnType<typeof createTelemetryBus>; scheduler: Scheduler; onRender: () => void }) {
    const view = useSwarmView(source, { scheduler });
    onRender();
    return <Text>peers {view.peers.length} t={view.t}</Text>;
  }

  test("1000 events → at most one render per interval, and the last frame shows the last event", async () => {
    const bus = createTelemetryBus();
    const clock = new FakeScheduler();
    let renders = 0;
    const r = render(<Probe source={bus} scheduler={clock} onRender={() => renders++} />);
    await until(() => plain(r.lastFrame()).includes("peers 0 t=0"), "first frame");
    const initial = renders;
    for (let k = 0; k < events.length; k++) {
      bus.emit(events[k]!);
      clock.advance(1);
      await new Promise<void>((resolve) => setImmediate(resolve)); // give React every chance to render
    }
    clock.advance(renderIntervalMs);
    const last = events[events.length - 1]!.t;
    await until(() => plain(r.lastFrame()).includes(`peers 20 t=${last}`), "last event on screen");
    expect(renders - initial).toBeGreaterThanOrEqual(2);
    expect(renders - initial).toBeLessThanOrEqual(1000 / renderIntervalMs + 1);
  });
});

describe("SwarmTui", () => {
  test("a live source drives App; p freezes the picture while events keep coming", async () => {
    const bus = createTelemetryBus();
    const clock = new FakeScheduler();
    const pauses: boolean[] = [];
    let quits = 0;
    const r = render(<SwarmTui source={bus} scheduler={clock} onQuit={() => quits++} onPauseChange={(p) => pauses.push(p)} height={30} />);
    await until(() => plain(r.lastFrame()).includes("(waiting for run)"), "empty view");
    const all: TelemetryEvent[] = syntheticRun();
    // Up to just before p07 fails, so the failure arrives while the picture is frozen.
    const cut = all.findIndex((e) => e.type === "peer.state" && e.state === "failed");
    for (const e of all.slice(0, cut)) bus.emit(e);
    clock.advance(renderIntervalMs);
    await until(() => plain(r.lastFrame()).includes("synthetic-20"), "run on screen");
    r.stdin.write("p");
    await until(() => plain(r.lastFrame()).includes("PAUSED"), "paused");
    for (const e of all.slice(cut)) bus.emit(e);
    clock.advance(10 * renderIntervalMs);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(plain(r.lastFrame())).not.toContain("1 failed");
    r.stdin.write("p");
    await until(() => !plain(r.lastFrame()).includes("PAUSED"), "resumed");
    clock.advance(renderIntervalMs);
    await until(() => plain(r.lastFrame()).includes("1 failed"), "resumed with the events that came while paused");
    r.stdin.write("q");
    await until(() => quits === 1, "quit");
    expect(pauses).toEqual([true, false]);
  });

  test("without a size it draws in stdout's, leaving one row free", () => {
    const r = render(<SwarmTui source={createTelemetryBus()} scheduler={new FakeScheduler()} onQuit={() => {}} />);
    // The test stdout is 100 columns and says no rows, so the 24-row fallback applies.
    expect(plain(r.lastFrame()).split("\n")).toHaveLength(23);
  });
});
