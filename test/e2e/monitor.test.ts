import { afterEach, describe, expect, test } from "bun:test";
import { Packr } from "msgpackr";
import { createTelemetryBus, type TelemetryEvent } from "../../telemetry/events.ts";
import { mergeSources } from "../../telemetry/merge.ts";
import { attachMonitor, type AttachedMonitor, type MonitorStatus } from "../../telemetry/monitor-client.ts";
import { clientMessageBytesMax, type Monitor, startMonitor } from "../../telemetry/monitor-server.ts";
import { reduceAll } from "../../tui/view-model.ts";
import { rendered, telemetryStream } from "../unit/telemetry-stream.ts";

/** How long an awaited condition may take before the test fails, naming what it waited for. */
const waitMs = 15_000;
/** Above waitMs, so a stuck wait fails with its own description (bun's default is 5 s; bunfig's is not always read). */
const testTimeoutMs = 30_000;
/** Poll interval of `until`: a condition check, not a sleep the test relies on. */
const pollMs = 5;

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(pollMs);
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function monitor(opts: Partial<Parameters<typeof startMonitor>[0]> = {}) {
  const bus = createTelemetryBus();
  const m: Monitor = await startMonitor({ source: bus, port: 0, batchMs: 10, ...opts });
  cleanups.push(() => m.close());
  return { bus, m };
}

function attach(url: string, statuses: MonitorStatus[] = []) {
  const client: AttachedMonitor = attachMonitor(url, { onStatus: (s) => statuses.push(s) });
  cleanups.push(() => client.close());
  const got: TelemetryEvent[] = [];
  client.subscribe((ev) => got.push(ev));
  return { client, got, statuses };
}

const sameView = (a: TelemetryEvent[], b: TelemetryEvent[]) => Bun.deepEquals(rendered(reduceAll(a)), rendered(reduceAll(b)));

describe("telemetry monitor over real sockets", () => {
  test("a late client gets the snapshot, then live events; plain HTTP says what the port is", async () => {
    const { bus, m } = await monitor();
    const stream = telemetryStream({ peers: ["p0", "p1", "p2", "p3"], rounds: 8, finish: false });
    const head = stream.slice(0, Math.floor(stream.length * 0.6));
    for (const ev of head) bus.emit(ev);
    const res = await fetch(`http://127.0.0.1:${m.port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("telemetry monitor");

    const { client, got, statuses } = attach(m.url);
    await until(() => sameView(got, head), "the snapshot");
    expect(got.length).toBeLessThan(head.length / 2);
    expect(m.clients()).toBe(1);
    expect(statuses.map((s) => s.state)).toEqual(["connecting", "open"]);

    for (const ev of stream.slice(head.length)) bus.emit(ev);
    bus.emit({ type: "run.finished", t: 1e9 });
    await until(() => reduceAll(got).finished, "run.finished, live");
    expect(sameView(got, [...stream, { type: "run.finished", t: 1e9 }])).toBe(true);
    expect(client.rejected).toBe(0);
  }, testTimeoutMs);

  test("a client that joins while a batch is pending sees each event once", async () => {
    const timers: Array<() => void> = [];
    const scheduler = { setTimeout: (fn: () => void) => timers.push(fn), clearTimeout: () => {} };
    const fire = () => {
      for (const fn of timers.splice(0)) fn();
    };
    const { bus, m } = await monitor({ scheduler });
    const events: TelemetryEvent[] = [{ type: "run.started", t: 0, scenario: "s", clock: "real", peers: 2, rounds: 1, seed: 5 }];
    bus.emit(events[0]!);
    const one = attach(m.url);
    await until(() => one.got.length === 1, "the first client's snapshot");
    for (let i = 1; i <= 5; i++) events.push({ type: "fault", t: i, what: `f${i}` });
    for (const ev of events.slice(1)) bus.emit(ev); // pending: the batch timer has not fired
    const two = attach(m.url);
    await until(() => two.got.length === 6 && one.got.length === 6, "the second client's snapshot and the first one's batch");
    const last: TelemetryEvent = { type: "fault", t: 9, what: "last" };
    bus.emit(last);
    fire();
    await until(() => [one, two].every((c) => c.got.some((e) => e.type === "fault" && e.what === "last")), "both clients");
    for (const c of [one, two]) expect(reduceAll(c.got).log.map((l) => l.text)).toEqual(reduceAll([...events, last]).log.map((l) => l.text));
  }, testTimeoutMs);

  test("two processes' monitors merged into one view: both processes' peers, combined round metrics", async () => {
    const hostA = ["a0", "a1", "a2"];
    const hostB = ["b0", "b1", "b2", "b3"];
    const origins = [...hostA, ...hostB];
    const a = telemetryStream({ peers: hostA, origins, rounds: 6, drawSeed: 1 });
    const b = telemetryStream({ peers: hostB, origins, rounds: 6, drawSeed: 2 });
    const ma = await monitor();
    const mb = await monitor();
    const half = Math.floor(a.length / 2);
    for (const ev of a.slice(0, half)) ma.bus.emit(ev);
    const ca = attach(ma.m.url);
    const cb = attach(mb.m.url);
    const merged: TelemetryEvent[] = [];
    mergeSources([ca.client, cb.client]).subscribe((ev) => merged.push(ev));
    for (const ev of a.slice(half)) ma.bus.emit(ev);
    for (const ev of b) mb.bus.emit(ev);
    await until(() => reduceAll(merged).finished, "the merged run to finish");
    const view = reduceAll(merged);
    expect(view.peers.map((p) => p.id).sort()).toEqual([...origins].sort());
    expect(merged.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(view.rounds).toHaveLength(6);
    for (const r of view.rounds) {
      const pa = a.find((e) => e.type === "round.metrics" && e.round === r.round);
      const pb = b.find((e) => e.type === "round.metrics" && e.round === r.round);
      expect(r.peers).toBe((pa?.type === "round.metrics" ? pa.peers! : 0) + (pb?.type === "round.metrics" ? pb.peers! : 0));
    }
  }, testTimeoutMs);

  test("a client survives garbage from a server: counted as rejected, reported, never thrown", async () => {
    const packr = new Packr({ useRecords: false });
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("no", { status: 400 })),
      websocket: {
        open(ws) {
          ws.sendBinary(new Uint8Array([0xc1, 0xff, 0x00])); // not msgpack
          ws.sendBinary(packr.pack({ v: 2, events: [] })); // another version
          ws.sendText("hello"); // text
          ws.sendBinary(packr.pack([1, 2, 3])); // not {v, events}
          ws.sendBinary(packr.pack({ v: 1, events: [{ type: "bogus", t: 1 }, { type: "fault", t: "x", what: "y" }, { type: "fault", t: 2, what: "ok" }] }));
        },
        message() {},
      },
    });
    cleanups.push(() => server.stop(true));
    const { client, got, statuses } = attach(`ws://127.0.0.1:${server.port}`);
    await until(() => got.length === 1 && client.rejected === 6, "the good event and six rejections");
    expect(got).toEqual([{ type: "fault", t: 2, what: "ok" }]);
    const errors = statuses.flatMap((s) => (s.error === undefined ? [] : [s.error]));
    expect(errors.some((e) => e.includes("frame.v"))).toBe(true);
    expect(errors.some((e) => e.includes("events[1].t"))).toBe(true);
  }, testTimeoutMs);

  test("attachMonitor refuses a URL that is not ws:// or wss://, naming it", () => {
    expect(() => attachMonitor("http://127.0.0.1:1")).toThrow(/http:\/\/127\.0\.0\.1:1/);
    expect(() => attachMonitor("not a url")).toThrow(/not a url/);
  });

  test("the server survives a client sending garbage, and keeps serving others", async () => {
    const { bus, m } = await monitor();
    bus.emit({ type: "run.started", t: 0, scenario: "s", clock: "real", peers: 1, rounds: 1, seed: 3 });
    const raw = new WebSocket(m.url);
    cleanups.push(() => raw.close());
    const closed = new Promise<number>((resolve) => (raw.onclose = (e) => resolve(e.code)));
    await new Promise((resolve) => (raw.onopen = resolve));
    raw.send(new Uint8Array([0xc1, 0xde, 0xad]));
    raw.send("text garbage");
    raw.send(new Uint8Array(clientMessageBytesMax + 1));
    expect(await closed).toBe(1009);

    const { got } = attach(m.url);
    bus.emit({ type: "fault", t: 1, what: "still here" });
    await until(() => got.some((e) => e.type === "fault"), "a live event after the garbage");
    expect((await fetch(`http://127.0.0.1:${m.port}/`)).status).toBe(200);
  }, testTimeoutMs);

  test("backpressure: a client far over a tiny buffer cap is resynced with snapshots and converges", async () => {
    const { bus, m } = await monitor({ maxBufferedBytes: 1024 });
    const { got } = attach(m.url);
    await until(() => m.clients() === 1, "the client");
    // A synchronous flood of ~40 MB (a run plus faults carrying 10 kB stack traces): more than the kernel's
    // socket buffers take before the client, on this same event loop, reads anything.
    const stream: TelemetryEvent[] = [];
    const trace = "at frame\n".repeat(1000);
    telemetryStream({ peers: Array.from({ length: 20 }, (_, i) => `p${i}`), rounds: 40, finish: false }).forEach((ev, i) => {
      stream.push(ev);
      if (i % 15 === 14) stream.push({ type: "fault", t: ev.t, what: `crash ${i}: ${trace}` });
    });
    for (const ev of stream) bus.emit(ev);
    await until(() => m.resyncs() > 0, "a resync after the flood");
    const last: TelemetryEvent = { type: "run.finished", t: 1e9 };
    bus.emit(last);
    const all = [...stream, last];
    await until(() => reduceAll(got).finished && sameView(got, all), "the client's view to converge");
    expect(got.length).toBeLessThan(all.length);
  }, testTimeoutMs);

  test("a client reconnects when its monitor comes back on the same port", async () => {
    const first = await monitor();
    const run: TelemetryEvent = { type: "run.started", t: 0, scenario: "s", clock: "real", peers: 1, rounds: 1, seed: 1 };
    first.bus.emit(run);
    const { got, statuses } = attach(first.m.url);
    await until(() => got.length === 1, "the first snapshot");
    await first.m.close();
    await until(() => statuses.some((s) => s.state === "closed" && s.error !== undefined), "the drop to be reported");
    const second = await monitor({ port: first.m.port });
    second.bus.emit({ ...run, seed: 2 });
    await until(() => reduceAll(got).run?.seed === 2, "the new monitor's snapshot");
    expect(statuses.filter((s) => s.state === "open").length).toBe(2);
  }, testTimeoutMs);
});
