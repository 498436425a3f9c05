import { describe, expect, test } from "bun:test";
import { MemoryNetwork } from "../../net/memory.ts";
import type { Conn, LinkProfile, Transport } from "../../net/transport.ts";
import { VirtualClock } from "../../runtime/clock.ts";
import { type Rng, SeededRng } from "../../runtime/rng.ts";

/** Default framing is 6 bytes, so a 94-byte frame is 100 bytes on the wire. */
const wire100 = 94;
const fast: LinkProfile = { uplinkBytesPerSec: 1e9, downlinkBytesPerSec: 1e9, latencyMs: 0 };
/** 100 wire bytes through a fast (1e9 B/s) link: 1e-4 ms. Store-and-forward adds it to every hop. */
const fastHop = 1e-4;

/** Each time equals its expectation to 6 decimals (virtual times are float sums). */
function expectTimes(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]!).toBeCloseTo(want[i]!, 6);
}

interface Rx {
  frames: Array<{ t: number; id: number; bytes: number }>;
  closes: Array<{ t: number; reason: string }>;
  drains: number[];
}

function world(seed = 1) {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(seed) });
  const accepted = new Map<string, Conn[]>();
  const add = async (name: string, link: LinkProfile): Promise<Transport> => {
    const t = net.node(`mem://${name}`, link);
    accepted.set(t.address, []);
    await t.listen((c) => accepted.get(t.address)!.push(c));
    return t;
  };
  /** Dials and runs the clock until the dial settles; returns [dialer end, listener end]. */
  const connect = async (from: Transport, to: Transport): Promise<[Conn, Conn]> => {
    const p = from.dial(to.address);
    await clock.run();
    const mine = await p;
    const theirs = accepted.get(to.address)!.at(-1)!;
    expect(theirs.remoteAddress).toBe(from.address);
    return [mine, theirs];
  };
  const rec = (c: Conn): Rx => {
    const rx: Rx = { frames: [], closes: [], drains: [] };
    c.attach({
      frame: (f) => rx.frames.push({ t: clock.now(), id: f[0]! | (f[1]! << 8), bytes: f.byteLength }),
      close: (reason) => rx.closes.push({ t: clock.now(), reason }),
      drain: () => rx.drains.push(clock.now()),
    });
    return rx;
  };
  return { clock, net, add, connect, rec };
}

function frame(id: number, bytes = wire100): Uint8Array {
  const f = new Uint8Array(bytes);
  f[0] = id & 0xff;
  f[1] = id >> 8;
  return f;
}

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

describe("memory transport: faults", () => {
  test("partition closes conns, drops frames and blocks dials; heal restores", async () => {
    const w = world();
    const a = await w.add("a", { ...fast, latencyMs: 5 });
    const b = await w.add("b", { ...fast, latencyMs: 5 });
    const [ab, ba] = await w.connect(a, b);
    const ra = w.rec(ab);
    const rb = w.rec(ba);
    ab.send(frame(1));
    w.net.faults.partition([a.address], [b.address]);
    await w.clock.run();
    expect(rb.frames).toEqual([]);
    expect(ra.closes.map((c) => c.reason)).toEqual(["partition"]);
    expect(rb.closes.map((c) => c.reason)).toEqual(["partition"]);
    const p = b.dial(a.address);
    await w.clock.run();
    await expect(p).rejects.toThrow(/partitioned/);
    w.net.faults.heal();
    const [ab2, ba2] = await w.connect(a, b);
    const rb2 = w.rec(ba2);
    ab2.send(frame(7));
    await w.clock.run();
    expect(rb2.frames.map((f) => f.id)).toEqual([7]);
  });

  test("crash closes conns on both ends, drops frames in flight and stops the listener; restart revives", async () => {
    const w = world();
    const a = await w.add("a", { ...fast, latencyMs: 5 });
    const b = await w.add("b", { ...fast, latencyMs: 5 });
    const [ab, ba] = await w.connect(a, b);
    const ra = w.rec(ab);
    const rb = w.rec(ba);
    ab.send(frame(1));
    ba.send(frame(2));
    w.net.faults.crash(b.address);
    await w.clock.run();
    expect(ra.frames).toEqual([]);
    expect(rb.frames).toEqual([]);
    expect(ra.closes.map((c) => c.reason)).toEqual(["crash"]);
    expect(rb.closes.map((c) => c.reason)).toEqual(["crash"]);
    const toB = a.dial(b.address);
    const fromB = b.dial(a.address);
    await w.clock.run();
    await expect(toB).rejects.toThrow(/mem:\/\/b is crashed/);
    await expect(fromB).rejects.toThrow(/dialer is crashed/);
    await expect(b.listen(() => {})).rejects.toThrow(/crashed/);

    w.net.faults.restart(b.address);
    await b.listen(() => {});
    const p = a.dial(b.address);
    await w.clock.run();
    const ab2 = await p;
    expect(ab2.closed).toBe(false);
  });

  test("clog holds frames from a to b and unclog releases them in order", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 });
    const b = await w.add("b", fast);
    const [ab, ba] = await w.connect(a, b);
    const ra = w.rec(ab);
    const rb = w.rec(ba);
    w.net.faults.clog(a.address, b.address);
    for (let i = 0; i < 4; i++) ab.send(frame(i));
    ba.send(frame(9)); // the other direction flows
    await w.clock.run({ untilMs: w.clock.now() + 1000 });
    expect(rb.frames).toEqual([]);
    expect(ra.frames.map((f) => f.id)).toEqual([9]);
    expect(ab.bufferedBytes).toBe(4 * wire100);
    const t0 = w.clock.now();
    w.net.faults.unclog(a.address, b.address);
    ab.send(frame(4));
    await w.clock.run();
    // Released at t0 in send order, then frame 4: upFinish 100, 200, …, 500; + 1e-4 on b's fast downlink.
    expect(rb.frames.map((f) => f.id)).toEqual([0, 1, 2, 3, 4]);
    expectTimes(
      rb.frames.map((f) => f.t - t0),
      [0, 1, 2, 3, 4].map((i) => (i + 1) * 100 + fastHop),
    );
    // Drain when the uplink has taken the last byte: upFinish of frame 4.
    expect(ra.drains.length).toBe(1);
    expect(ra.drains[0]! - t0).toBeCloseTo(500, 6);
  });

  test("filter drops, duplicates and delays single frames", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 });
    const b = await w.add("b", fast);
    const [ab, ba] = await w.connect(a, b);
    const rb = w.rec(ba);
    const seen: string[] = [];
    w.net.faults.setFilter(({ from, to, frame: f }) => {
      seen.push(`${from}>${to}:${f[0]}`);
      if (f[0] === 1) return "drop";
      if (f[0] === 2) return "duplicate";
      if (f[0] === 3) return { delayMs: 1000 };
      return "deliver";
    });
    const t0 = w.clock.now();
    for (let i = 0; i < 4; i++) ab.send(frame(i));
    // Buffered: 0, 2 and 3; the dropped frame never enters the link, the duplicate is the network's own copy.
    expect(ab.bufferedBytes).toBe(3 * wire100);
    await w.clock.run();
    expect(seen).toEqual([0, 1, 2, 3].map((i) => `mem://a>mem://b:${i}`));
    // Uplink (100 ms a frame): 0 → 100, (1 dropped, takes no uplink), 2 → 200, 2' → 300, 3 → 400 + 1000 delay;
    // each + 1e-4 on b's fast downlink.
    expect(rb.frames.map((f) => f.id)).toEqual([0, 2, 2, 3]);
    expectTimes(
      rb.frames.map((f) => f.t - t0),
      [100, 200, 300, 1400].map((t) => t + fastHop),
    );
    w.net.faults.setFilter(undefined);
    ab.send(frame(5));
    await w.clock.run();
    expect(rb.frames.at(-1)!.id).toBe(5);
  });

  // BUG in net/memory.ts (FIFO under an injected delay): transmit schedules enterDownlink at upFinish + lat +
  // delayMs per frame, and only enterDownlink clamps to peer.lastDeliverAt, which a frame still in transit has
  // not set yet. So a frame sent after a delayed one reaches the downlink first and is delivered before it:
  // here frame 1 at 200 + 1e-4, frame 0 at 1100 + 1e-4, against the header ("a delayed frame holds back the ones
  // behind it"). Unskip once reach is made monotonic per conn.
  test("a filter delay holds back the later frames on the same conn", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 });
    const b = await w.add("b", fast);
    const [ab, ba] = await w.connect(a, b);
    const rb = w.rec(ba);
    w.net.faults.setFilter(({ frame: f }) => (f[0] === 0 ? { delayMs: 1000 } : "deliver"));
    const t0 = w.clock.now();
    ab.send(frame(0));
    ab.send(frame(1));
    await w.clock.run();
    expect(rb.frames.map((f) => f.id)).toEqual([0, 1]);
    // 0: upFinish 100 + 1000 delay = 1100, + 1e-4 downlink. 1: upFinish 200, held behind 0; it arrives with 0
    // or one downlink slot (1e-4) after it, depending on whether it queues behind 0 at the downlink.
    const [t0f, t1f] = rb.frames.map((f) => f.t - t0) as [number, number];
    expect(t0f).toBeCloseTo(1100 + fastHop, 6);
    expect(t1f).toBeGreaterThanOrEqual(t0f);
    expect(t1f - t0f).toBeLessThanOrEqual(fastHop + 1e-9);
  });

  // Same BUG, via setLink: frames in transit keep their old latency, a later frame gets the new lower one and
  // overtakes them (frame 1 at 200 + 1e-4, frame 0 at 1100 + 1e-4). Unskip with the fix above.
  test("lowering latency with setLink does not let a later frame overtake one in transit", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 1000 });
    const b = await w.add("b", fast);
    const [ab, ba] = await w.connect(a, b);
    const rb = w.rec(ba);
    const t0 = w.clock.now();
    ab.send(frame(0)); // upFinish 100, + 1000 latency = 1100
    await w.clock.run({ untilMs: t0 + 100 });
    w.net.faults.setLink(a.address, { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 });
    ab.send(frame(1)); // upFinish 200, + 0 latency = 200: must still wait for frame 0
    await w.clock.run();
    expect(rb.frames.map((f) => f.id)).toEqual([0, 1]);
    const [t0f, t1f] = rb.frames.map((f) => f.t - t0) as [number, number];
    expect(t0f).toBeCloseTo(1100 + fastHop, 6);
    expect(t1f).toBeGreaterThanOrEqual(t0f);
    expect(t1f - t0f).toBeLessThanOrEqual(fastHop + 1e-9);
  });

  test("setLink changes the rate of later frames", async () => {
    const w = world();
    const a = await w.add("a", { uplinkBytesPerSec: 1000, downlinkBytesPerSec: 1e9, latencyMs: 0 });
    const b = await w.add("b", fast);
    const [ab, ba] = await w.connect(a, b);
    const rb = w.rec(ba);
    w.net.faults.setLink(a.address, { uplinkBytesPerSec: 500, downlinkBytesPerSec: 1e9, latencyMs: 0 });
    const t0 = w.clock.now();
    ab.send(frame(1));
    await w.clock.run();
    // upFinish = 100 B / 500 B/s = 200; + 1e-4 on b's fast downlink.
    expect(rb.frames[0]!.t - t0).toBeCloseTo(200 + fastHop, 6);
  });

  test("the same seed and sends give the same delivery trace", async () => {
    const trace = async (seed: number) => {
      const w = world(seed);
      const rng: Rng = new SeededRng(seed).split("sim");
      const ts: Transport[] = [];
      for (let i = 0; i < 6; i++) {
        ts.push(
          await w.add(`n${i}`, {
            uplinkBytesPerSec: rng.range(1e4, 1e6),
            downlinkBytesPerSec: rng.range(1e4, 1e6),
            latencyMs: rng.range(1, 50),
            loss: rng.range(0, 0.1),
          }),
        );
      }
      const log: string[] = [];
      const conns: Conn[] = [];
      for (let i = 0; i < ts.length; i++) {
        for (let j = i + 1; j < ts.length; j++) {
          const [x, y] = await w.connect(ts[i]!, ts[j]!);
          for (const c of [x, y]) {
            c.attach({
              frame: (f) => log.push(`${w.clock.now()} ${c.remoteAddress}>${c.id} ${f[0]} ${f.byteLength}`),
              close: () => {},
            });
            conns.push(c);
          }
        }
      }
      for (let k = 0; k < 3000; k++) rng.pick(conns).send(frame(k, 2 + rng.int(20_000)));
      await w.clock.run();
      return log;
    };
    const one = await trace(42);
    expect(one.length).toBe(3000);
    expect(await trace(42)).toEqual(one);
    expect(await trace(43)).not.toEqual(one);
  });
});
