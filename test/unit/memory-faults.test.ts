import { describe, expect, test } from "bun:test";
import type { Conn, Transport } from "../../net/transport.ts";
import { type Rng, SeededRng } from "../../runtime/rng.ts";
import { expectTimes, fast, fastHop, frame, wire100, world } from "./memory-world.ts";

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

  // Regression: a frame sent after a delayed one used to reach the downlink first (reach was not monotonic per conn).
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

  // Regression, via setLink: frames in transit keep their old latency; a later frame with a lower one must wait.
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
