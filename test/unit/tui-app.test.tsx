import { afterEach, describe, expect, test } from "bun:test";
import { cleanup, render } from "ink-testing-library";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { App } from "../../tui/App.tsx";
import { initialUi, keyAction, reduceUi } from "../../tui/navigation.ts";
import { syntheticRun } from "../../tui/synthetic-run.ts";
import { reduceAll } from "../../tui/view-model.ts";

const plain = (frame: string | undefined) => (frame ?? "").replace(/\u001B\[[0-9;]*m/g, "");
const keys = { down: "\u001B[B", up: "\u001B[A", tab: "\t", shiftTab: "\u001B[Z" };

afterEach(cleanup);

/** Yields to the event loop until the frame satisfies `ok` (input is parsed and React commits asynchronously). */
async function frameWhere(r: ReturnType<typeof render>, ok: (frame: string) => boolean): Promise<string> {
  for (let turn = 0; turn < 50; turn++) {
    const f = plain(r.lastFrame());
    if (ok(f)) return f;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`frame never matched:\n${plain(r.lastFrame())}`);
}

function mount(view = reduceAll(syntheticRun()), height = 30) {
  const calls = { pause: 0, quit: 0 };
  const r = render(<App view={view} onPause={() => calls.pause++} onQuit={() => calls.quit++} height={height} width={100} />);
  return { r, calls };
}

const selectedLine = (f: string) => f.split("\n").find((l) => l.startsWith("›"));

describe("App", () => {
  test("starts on the peers tab with the first peer selected", () => {
    const { r } = mount();
    const f = plain(r.lastFrame());
    expect(f).toContain("[peers]  swarm   learning   events");
    expect(selectedLine(f)).toStartWith("› p00 ");
    expect(f).toContain("selected p00");
  });

  test("↓ and ↑ move the selection and stop at the ends", async () => {
    const { r } = mount();
    await frameWhere(r, (f) => f.includes("selected p00"));
    r.stdin.write(keys.down);
    expect(selectedLine(await frameWhere(r, (f) => f.includes("selected p01")))).toStartWith("› p01 ");
    r.stdin.write(keys.up);
    await frameWhere(r, (f) => f.includes("selected p00"));
    r.stdin.write(keys.up);
    r.stdin.write(keys.down);
    r.stdin.write(keys.down);
    await frameWhere(r, (f) => f.includes("selected p02"));
  });

  test("150 peers: pressing ↓ scrolls the table and keeps the selection on screen", async () => {
    const many: TelemetryEvent[] = Array.from({ length: 150 }, (_, i) => ({ type: "peer.state", t: 0, peer: `n${String(i).padStart(3, "0")}`, state: "swarm", round: 0 }));
    const { r } = mount(reduceAll(many), 30);
    await frameWhere(r, (f) => f.includes("selected n000"));
    for (let k = 0; k < 60; k++) r.stdin.write(keys.down);
    const f = await frameWhere(r, (fr) => fr.includes("selected n060"));
    expect(selectedLine(f)).toStartWith("› n060 ");
    expect(f).not.toContain("n000");
    expect(f).toMatch(/peers \d+–\d+ of 150/);
  });

  test("tab cycles peers → swarm → learning → events → peers; shift-tab goes back", async () => {
    const { r } = mount();
    await frameWhere(r, (f) => f.includes("[peers]"));
    r.stdin.write(keys.tab);
    const swarm = await frameWhere(r, (f) => f.includes("[swarm]"));
    expect(swarm).toContain("round 3 · 19 peers swarming · selected p00");
    r.stdin.write(keys.tab);
    expect(await frameWhere(r, (f) => f.includes("[learning]"))).toContain("baseline  centralized 0.750");
    r.stdin.write(keys.tab);
    expect(await frameWhere(r, (f) => f.includes("[events]"))).toContain("banned p09: 3 strikes: bad hash");
    r.stdin.write(keys.tab);
    await frameWhere(r, (f) => f.includes("[peers]"));
    r.stdin.write(keys.shiftTab);
    await frameWhere(r, (f) => f.includes("[events]"));
  });

  test("the swarm tab follows the selected peer", async () => {
    const { r } = mount();
    await frameWhere(r, (f) => f.includes("[peers]"));
    r.stdin.write(keys.down);
    await frameWhere(r, (f) => f.includes("selected p01"));
    r.stdin.write(keys.tab);
    await frameWhere(r, (f) => f.includes("selected p01 ·") && f.includes("[swarm]"));
  });

  test("p calls onPause, q calls onQuit, other keys call neither", async () => {
    const { r, calls } = mount();
    await frameWhere(r, (f) => f.includes("[peers]"));
    r.stdin.write("x");
    r.stdin.write("p");
    r.stdin.write("q");
    await frameWhere(r, () => calls.quit > 0);
    expect(calls).toEqual({ pause: 1, quit: 1 });
  });

  test("paused is shown, and the key help offers to resume", () => {
    const r = render(<App view={reduceAll(syntheticRun())} paused onPause={() => {}} onQuit={() => {}} />);
    const f = plain(r.lastFrame());
    expect(f).toContain("PAUSED");
    expect(f).toContain("p resume");
  });
});

describe("navigation reducer", () => {
  test("keys map to actions; the selection is clamped to the peers present", () => {
    const none = { upArrow: false, downArrow: false, pageUp: false, pageDown: false, home: false, end: false, tab: false, shift: false, ctrl: false, meta: false };
    const key = (over: Partial<typeof none>) => ({ ...none, ...over }) as Parameters<typeof keyAction>[1];
    expect(keyAction("", key({ end: true }))).toEqual({ type: "select.last" });
    expect(keyAction("3", key({}))).toEqual({ type: "tab.show", tab: "learning" });
    expect(keyAction("x", key({ ctrl: true }))).toBeUndefined();
    // Ctrl-C reaches the TUI as a key in raw mode: it quits cleanly like q.
    expect(keyAction("c", key({ ctrl: true }))).toEqual({ type: "quit" });
    expect(reduceUi(initialUi, { type: "select.last" }, 150)).toEqual({ tab: "peers", selected: 149 });
    expect(reduceUi({ tab: "peers", selected: 149 }, { type: "select.move", by: 10 }, 20)).toEqual({ tab: "peers", selected: 19 });
    expect(reduceUi(initialUi, { type: "select.move", by: 1 }, 0)).toEqual(initialUi);
  });
});
