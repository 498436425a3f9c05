import { describe, expect, test } from "bun:test";
import type { LinkProfile } from "../../net/transport.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { expectTimes, fast, fastHop, frame, wire100, world } from "./memory-world.ts";

describe("memory transport: link model", () => {
  test("a frame arrives at the time bandwidth and latency predict", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e6, latencyMs: 10 });
    const b = await w.add("b", { uplinkBytesPerSec: 1e6, downlinkBytesPerSec: 2000, latencyMs: 5 });
    const [ab, ba] = await w.connect(a, b);
    expect(w.clock.now()).toBe(30); // dial = one round trip of 10 + 5 ms
    const rx = w.rec(ba);
    ab.send(frame(1));
    await w.clock.run();
    // upFinish = 30 + 100 B / 1000 B/s = 130; reach = 130 + 15 ms = 145; deliverAt = 145 + 100 B / 2000 B/s = 195.
    expect(rx.frames).toEqual([{ t: 195, id: 1, bytes: wire100 }]);
    expect(w.net.stats(a.address)).toEqual({ bytesSent: 100, bytesReceived: 0, framesSent: 1, framesReceived: 0 });
    expect(w.net.stats(b.address)).toEqual({ bytesSent: 0, bytesReceived: 100, framesSent: 0, framesReceived: 1 });
  });

  test("a slow downlink and loss set the arrival time", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 100_000, downlinkBytesPerSec: 1e6, latencyMs: 10 });
    const b = await w.add("b", { uplinkBytesPerSec: 1e6, downlinkBytesPerSec: 1250, latencyMs: 5, loss: 0.2 });
    const [ab, ba] = await w.connect(a, b);
    const rx = w.rec(ba);
    ab.send(frame(1));
    await w.clock.run();
    // upFinish = 30 + 100 B / 100 kB/s = 31; reach = 31 + 15 = 46; downlink 1250 × 0.8 = 1000 B/s: 46 + 100 = 146.
    expect(rx.frames.map((f) => f.t)).toEqual([146]);
  });

  test("FIFO on a conn under many frames of mixed sizes", async () => {
    const w = world();
    const rng = new SeededRng("fifo");
    const a = await w.add("a", { uplinkBytesPerSec: 50_000, downlinkBytesPerSec: 1e6, latencyMs: 3 });
    const b = await w.add("b", { uplinkBytesPerSec: 1e6, downlinkBytesPerSec: 20_000, latencyMs: 7 });
    const [ab, ba] = await w.connect(a, b);
    const rx = w.rec(ba);
    for (let i = 0; i < 2000; i++) ab.send(frame(i, 2 + rng.int(3000)));
    await w.clock.run();
    expect(rx.frames.map((f) => f.id)).toEqual([...Array(2000).keys()]);
    for (let i = 1; i < rx.frames.length; i++) expect(rx.frames[i]!.t).toBeGreaterThanOrEqual(rx.frames[i - 1]!.t);
  });

  test("two conns sharing an uplink each get half its rate", async () => {
    const w = world();
    const up: LinkProfile = { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 };
    const a = await w.add("a", up);
    const b = await w.add("b", fast);
    const c = await w.add("c", fast);
    const [ab, ba] = await w.connect(a, b);
    const [ac, ca] = await w.connect(a, c);
    const rb = w.rec(ba);
    const rc = w.rec(ca);
    for (let i = 0; i < 10; i++) ab.send(frame(i));
    await w.clock.run();
    // Frame k (1-based): upFinish = 100k (1000 B/s), latency 0, then b's fast downlink: 100k + 1e-4.
    expectTimes(
      rb.frames.map((f) => f.t),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => k * 100 + fastHop),
    );
    const t0 = w.clock.now();
    for (let i = 0; i < 10; i++) {
      ab.send(frame(i));
      ac.send(frame(i));
    }
    await w.clock.run();
    // The uplink alternates b, c, b, c…: b's frames finish at 100, 300, …, c's at 200, 400, … (+ 1e-4 downlink).
    expectTimes(
      rb.frames.slice(10).map((f) => f.t - t0),
      [1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((k) => k * 100 + fastHop),
    );
    expectTimes(
      rc.frames.map((f) => f.t - t0),
      [2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((k) => k * 100 + fastHop),
    );
  });

  test("slow uplinks into one downlink add up; fast ones share a slow downlink", async () => {
    const w = world();
    const slowUp: LinkProfile = { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 };
    const s1 = await w.add("s1", slowUp);
    const s2 = await w.add("s2", slowUp);
    const sink = await w.add("sink", fast);
    const narrow = await w.add("narrow", { uplinkBytesPerSec: 1e9, downlinkBytesPerSec: 1000, latencyMs: 0 });
    const [x1, r1] = await w.connect(s1, sink);
    const [x2, r2] = await w.connect(s2, sink);
    const rx1 = w.rec(r1);
    const rx2 = w.rec(r2);
    let t0 = w.clock.now();
    x1.send(frame(1));
    x2.send(frame(2));
    await w.clock.run();
    // Both uplinks finish at 100 in parallel; sink's downlink serves s1 then s2: 100 + 1e-4, 100 + 2e-4.
    // (Not 100 and 200: the slow uplinks add up at the fast downlink.)
    expectTimes([rx1.frames[0]!.t - t0, rx2.frames[0]!.t - t0], [100 + fastHop, 100 + 2 * fastHop]);

    const [y1, q1] = await w.connect(sink, narrow);
    const f1 = await w.add("f1", fast);
    const [y2, q2] = await w.connect(f1, narrow);
    const ry1 = w.rec(q1);
    const ry2 = w.rec(q2);
    t0 = w.clock.now();
    y1.send(frame(1));
    y2.send(frame(2));
    expect(y2.bufferedBytes).toBe(wire100);
    await w.clock.run({ untilMs: t0 + 150 });
    // Both fast uplinks finished at 1e-4, so the sender's buffer is empty although y2's frame still waits at
    // narrow's downlink, behind y1's: only y1's frame has arrived by 150.
    expect(y2.bufferedBytes).toBe(0);
    expect(ry1.frames.length).toBe(1);
    expect(ry2.frames.length).toBe(0);
    await w.clock.run();
    // Both reach narrow at 1e-4 (y1 first, in scheduling order); its 1000 B/s downlink: 1e-4 + 100, then + 100.
    expectTimes([ry1.frames[0]!.t - t0, ry2.frames[0]!.t - t0], [fastHop + 100, fastHop + 200]);
  });

  test("a frame leaves bufferedBytes once the sender's uplink has sent it, not when the receiver gets it", async () => {
    const w = world();
    const fastUp = await w.add("fu", { uplinkBytesPerSec: 1e6, downlinkBytesPerSec: 1e6, latencyMs: 0 });
    const narrow = await w.add("nr", { uplinkBytesPerSec: 1e6, downlinkBytesPerSec: 1000, latencyMs: 0 });
    const [x, r] = await w.connect(fastUp, narrow);
    const rx = w.rec(r);
    const t0 = w.clock.now();
    x.send(frame(1));
    expect(x.bufferedBytes).toBe(wire100);
    // upFinish = t0 + 100 B / 1e6 B/s = t0 + 0.1: still buffered at 0.05, gone at 1.
    await w.clock.run({ untilMs: t0 + 0.05 });
    expect(x.bufferedBytes).toBe(wire100);
    await w.clock.run({ untilMs: t0 + 1 });
    expect(x.bufferedBytes).toBe(0);
    expect(rx.frames).toEqual([]);
    await w.clock.run();
    // reach = 0.1 (latency 0); downlink 1000 B/s: 0.1 + 100 = 100.1.
    expect(rx.frames[0]!.t - t0).toBeCloseTo(100.1, 6);
  });

  test("bufferedBytes falls as the uplink takes frames; drain fires once when it reaches 0", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 20 });
    const b = await w.add("b", fast);
    const [ab] = await w.connect(a, b);
    const ra = w.rec(ab);
    const t0 = w.clock.now();
    for (let i = 0; i < 3; i++) ab.send(frame(i));
    expect(ab.bufferedBytes).toBe(3 * wire100);
    await w.clock.run({ untilMs: t0 + 150 });
    expect(ab.bufferedBytes).toBe(2 * wire100);
    await w.clock.run({ untilMs: t0 + 299 });
    expect(ab.bufferedBytes).toBe(wire100);
    expect(ra.drains).toEqual([]);
    await w.clock.run();
    expect(ab.bufferedBytes).toBe(0);
    expect(ra.drains).toEqual([t0 + 300]);
  });
});

describe("memory transport: connections", () => {
  test("dialing an unknown or silent address rejects naming it", async () => {
    const w = world();
    const a = await w.add("a", fast);
    const silent = w.net.node("mem://silent", fast);
    const p1 = a.dial("mem://nobody");
    const p2 = a.dial(silent.address);
    await w.clock.run();
    await expect(p1).rejects.toThrow(/mem:\/\/nobody/);
    await expect(p2).rejects.toThrow(/nothing listens at mem:\/\/silent/);
    expect(() => w.net.node("mem://a", fast)).toThrow(/mem:\/\/a is already taken/);
    expect(() => w.net.node("a", fast)).toThrow(/mem:\/\/name/);
    expect(() => w.net.node("mem://x", { ...fast, loss: 1 })).toThrow(/link\.loss/);
  });

  test("a dial awaited inside a run continues at the dial's virtual time", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 10 });
    const b = await w.add("b", { ...fast, latencyMs: 15 });
    let sentAt = -1;
    const open = async () => await a.dial(b.address); // continuations two promises deep
    const actor = async () => {
      const c = await open();
      sentAt = w.clock.now();
      c.send(frame(1));
    };
    const rx: number[] = [];
    w.clock.setTimeout(() => void actor(), 5);
    w.clock.setTimeout(() => {
      const c = w.net.stats(b.address);
      rx.push(c.framesReceived);
    }, 1000);
    await w.clock.run();
    expect(sentAt).toBe(55);
    expect(w.net.stats(b.address).framesReceived).toBe(1);
    expect(rx).toEqual([1]);
  });

  test("close: frames already sent arrive, then the remote close after the last of them", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 10 });
    const b = await w.add("b", fast);
    const [ab, ba] = await w.connect(a, b);
    const ra = w.rec(ab);
    const t0 = w.clock.now();
    ab.send(frame(1));
    ab.send(frame(2));
    ab.close("bye");
    expect(ab.closed).toBe(true);
    expect(ab.send(frame(3))).toBe(false);
    const rb = w.rec(ba); // attached late: nothing is lost meanwhile
    await w.clock.run();
    // upFinish 100, 200 (1000 B/s); + 10 ms latency = 110, 210; + 1e-4 fast downlink.
    expect(rb.frames.map((f) => f.id)).toEqual([1, 2]);
    expectTimes(
      rb.frames.map((f) => f.t - t0),
      [110 + fastHop, 210 + fastHop],
    );
    // The close alone would land at t0 + 10 (one latency) but waits for frame 2, still in transit then.
    expect(rb.closes.map((c) => c.reason)).toEqual(["bye"]);
    expect(rb.closes[0]!.t).toBe(rb.frames[1]!.t);
    expect(ra.closes).toEqual([{ t: t0, reason: "bye" }]);
    expect(ba.closed).toBe(true);
  });
});

