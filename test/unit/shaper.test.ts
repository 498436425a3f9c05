import { describe, expect, test } from "bun:test";
import { VirtualClock } from "../../runtime/clock.ts";
import { Shaper, shaperBurstBytesDefault } from "../../net/shaper.ts";

/** Schedules named frames and records the virtual time each one is sent. */
function harness(opts: { uplinkBytesPerSec: number; latencyMs?: number; burstBytes?: number }) {
  const clock = new VirtualClock();
  const shaper = new Shaper({ clock, ...opts });
  const sent: Array<[string, number]> = [];
  const frame = (name: string, bytes: number) => shaper.schedule(bytes, () => sent.push([name, clock.now()]));
  return { clock, shaper, sent, frame };
}

describe("Shaper", () => {
  test("frames within the burst go out synchronously", () => {
    const { shaper, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 300 });
    frame("a", 100);
    frame("b", 200);
    expect(sent).toEqual([
      ["a", 0],
      ["b", 0],
    ]);
    expect(shaper.queuedBytes).toBe(0);
  });

  test("with no burst, each frame waits its serialization time at the uplink rate", async () => {
    const { clock, shaper, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 0 });
    frame("a", 100);
    frame("b", 200);
    frame("c", 300);
    expect(sent).toEqual([]);
    expect(shaper.queuedBytes).toBe(600);
    expect(shaper.queuedFrames).toBe(3);
    await clock.run();
    expect(sent).toEqual([
      ["a", 100],
      ["b", 300],
      ["c", 600],
    ]);
    expect(shaper.queuedBytes).toBe(0);
  });

  test("the burst is spent first, then frames are paced", async () => {
    const { clock, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 500 });
    for (let i = 0; i < 7; i++) frame(`f${i}`, 100);
    await clock.run();
    expect(sent.map(([, t]) => t)).toEqual([0, 0, 0, 0, 0, 100, 200]);
  });

  test("FIFO: a small frame never overtakes a big one waiting at the head", async () => {
    const { clock, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 100 });
    frame("big", 1000); // bigger than the bucket: it accrues its whole size, 900 ms after the initial 100
    frame("small", 10);
    expect(sent).toEqual([]);
    await clock.run();
    expect(sent).toEqual([
      ["big", 900],
      ["small", 910],
    ]);
  });

  test("idle time refills the bucket only up to the burst", async () => {
    const { clock, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 200 });
    frame("a", 200);
    clock.setTimeout(() => frame("b", 300), 10_000);
    await clock.run();
    expect(sent).toEqual([
      ["a", 0],
      ["b", 10_100],
    ]);
  });

  test("latency delays every frame by a fixed amount and keeps order", async () => {
    const { clock, shaper, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 0, latencyMs: 50 });
    frame("a", 100);
    frame("b", 100);
    frame("c", 0);
    await clock.run({ untilMs: 120 });
    expect(sent).toEqual([]);
    expect(shaper.queuedBytes).toBe(200); // a sits in the delay line, b waits for budget
    await clock.run();
    expect(sent).toEqual([
      ["a", 150],
      ["b", 250],
      ["c", 250],
    ]);
    expect(shaper.queuedBytes).toBe(0);
  });

  test("a send that schedules more from inside the pump queues behind what was already waiting", async () => {
    const { clock, shaper, sent } = harness({ uplinkBytesPerSec: 1000, burstBytes: 0 });
    shaper.schedule(100, () => {
      sent.push(["a", clock.now()]);
      shaper.schedule(100, () => sent.push(["c", clock.now()]));
    });
    shaper.schedule(100, () => sent.push(["b", clock.now()]));
    await clock.run();
    expect(sent).toEqual([
      ["a", 100],
      ["b", 200],
      ["c", 300],
    ]);
  });

  test("long-run throughput equals the uplink rate", async () => {
    const rate = 3_000_000;
    const frameBytes = 64 * 1024;
    const { clock, sent, frame } = harness({ uplinkBytesPerSec: rate });
    for (let i = 0; i < 100; i++) frame(String(i), frameBytes);
    await clock.run();
    const last = sent.at(-1)![1];
    expect(last).toBeCloseTo(((100 * frameBytes - shaperBurstBytesDefault) / rate) * 1000, 6);
  });

  test("clear drops queued frames and their timers", async () => {
    const { clock, shaper, sent, frame } = harness({ uplinkBytesPerSec: 1000, burstBytes: 0, latencyMs: 10 });
    frame("a", 100);
    frame("b", 100);
    await clock.run({ untilMs: 105 });
    shaper.clear();
    expect(shaper.queuedBytes).toBe(0);
    await clock.run();
    expect(sent).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  test("options are validated with messages that name the field", () => {
    const clock = new VirtualClock();
    expect(() => new Shaper({ clock, uplinkBytesPerSec: 0 })).toThrow(/uplinkBytesPerSec/);
    expect(() => new Shaper({ clock, uplinkBytesPerSec: 1, latencyMs: -1 })).toThrow(/latencyMs/);
    expect(() => new Shaper({ clock, uplinkBytesPerSec: 1, burstBytes: Number.NaN })).toThrow(/burstBytes/);
    expect(() => new Shaper({ clock, uplinkBytesPerSec: 1 }).schedule(-1, () => {})).toThrow(/bytes/);
  });
});
