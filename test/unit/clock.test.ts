import { describe, expect, test } from "bun:test";
import { createActor, setup } from "xstate";
import { RealClock, VirtualClock } from "../../runtime/clock.ts";

describe("VirtualClock", () => {
  test("fires in time order, equal times in scheduling order, and skips cleared timers", async () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`b@${c.now()}`), 20);
    c.setTimeout(() => seen.push(`a@${c.now()}`), 10);
    c.setTimeout(() => seen.push(`c@${c.now()}`), 20);
    const gone = c.setTimeout(() => seen.push("never"), 15);
    c.clearTimeout(gone);
    c.setTimeout(() => c.setTimeout(() => seen.push(`d@${c.now()}`), 5), 10);
    const r = await c.run();
    expect(seen).toEqual(["a@10", "d@15", "b@20", "c@20"]);
    expect(r).toEqual({ events: 5, nowMs: 20, reason: "idle" });
  });

  test("untilMs stops before later events and leaves them armed; stopWhen stops early", async () => {
    const c = new VirtualClock();
    let n = 0;
    for (let i = 1; i <= 5; i++) c.setTimeout(() => n++, i * 100);
    expect((await c.run({ untilMs: 250 })).reason).toBe("until");
    expect([n, c.now(), c.pendingTimers]).toEqual([2, 250, 3]);
    expect((await c.run({ stopWhen: () => n === 4 })).reason).toBe("stopped");
    expect([n, c.now()]).toEqual([4, 400]);
    expect((await c.run({ maxEvents: 0 })).reason).toBe("maxEvents");
  });

  test("time does not move until tracked async work settles, however long it really takes", async () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimeout(() => {
      c.track(new Promise<void>((resolve) => globalThis.setTimeout(resolve, 20))).then(() => log.push(`work done @${c.now()}`));
    }, 10);
    c.setTimeout(() => log.push(`next event @${c.now()}`), 11);
    await c.run();
    expect(log).toEqual(["work done @10", "next event @11"]);
  });

  test("drives an XState actor's delayed transitions (createActor(machine, { clock }))", async () => {
    const machine = setup({ delays: { joinTimeoutMs: 5000 } }).createMachine({
      initial: "join",
      states: { join: { after: { joinTimeoutMs: "failed" } }, failed: { type: "final" } },
    });
    const c = new VirtualClock();
    const actor = createActor(machine, { clock: c }).start();
    await c.run({ untilMs: 4999 });
    expect(actor.getSnapshot().value).toBe("join");
    await c.run();
    expect(actor.getSnapshot().value).toBe("failed");
    expect(c.now()).toBe(5000);
  });
});

describe("RealClock", () => {
  test("fires and cancels real timers; now() is epoch milliseconds", async () => {
    const c = new RealClock();
    expect(Math.abs(c.now() - Date.now())).toBeLessThan(1000);
    const fired: number[] = [];
    await new Promise<void>((resolve) => {
      const id = c.setTimeout(() => fired.push(1), 1);
      c.clearTimeout(id);
      c.setTimeout(() => (fired.push(2), resolve()), 1);
    });
    expect(fired).toEqual([2]);
    expect(c.pendingTimers).toBe(0);
  });
});
