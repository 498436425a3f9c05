import { describe, expect, test } from "bun:test";
import { FairScheduler } from "../../learn/fair-scheduler.ts";
import { LocalLearningService } from "../../learn/local-service.ts";
import type { Trainer } from "../../learn/trainer.ts";
import type { ChunkLayout, Dataset, ModelSpec } from "../../learn/types.ts";
import { SeededRng } from "../../runtime/rng.ts";

/** A promise with its resolver, to hold a job open until the test lets it finish. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Submits `count` jobs per flow (flows in the given order, or interleaved), each logging its flow when it runs. */
function queueTogether(s: FairScheduler, flows: ReadonlyArray<{ flow: string; weight: number }>, count: number, interleave: boolean, cost = 10) {
  const order: string[] = [];
  const jobs: Promise<unknown>[] = [];
  const submit = (flow: string, weight: number) => jobs.push(s.submit({ flow, weight, cost, run: () => void order.push(flow) }));
  if (interleave) for (let i = 0; i < count; i++) for (const f of flows) submit(f.flow, f.weight);
  else for (const f of flows) for (let i = 0; i < count; i++) submit(f.flow, f.weight);
  return { order, done: Promise.all(jobs) };
}

describe("FairScheduler", () => {
  test("weights 1 and 0.25, equal costs, queued together: four heavy jobs per light one while both wait", async () => {
    for (const interleave of [false, true]) {
      for (const flows of [
        [{ flow: "H", weight: 1 }, { flow: "L", weight: 0.25 }],
        [{ flow: "L", weight: 0.25 }, { flow: "H", weight: 1 }],
      ]) {
        const s = new FairScheduler();
        const { order, done } = queueTogether(s, flows, 20, interleave);
        await done;
        expect(order.length).toBe(40);
        // Both wait through the first 25 turns: 20 heavy, 5 light, never more than 4 heavy in a row...
        const both = order.slice(0, 25).join("");
        expect([...both].filter((f) => f === "H").length).toBe(20);
        expect(both).not.toContain("HHHHH");
        // ...and the light peer never gets two turns in a row while the heavy one waits.
        expect(both).not.toContain("LL");
        expect(order.slice(25)).toEqual(Array(15).fill("L"));
      }
    }
  });

  test("peers that ask again as soon as their job is done share the trainer by weight too", async () => {
    const s = new FairScheduler();
    const order: string[] = [];
    const loop = async (flow: string, weight: number, jobs: number) => {
      for (let i = 0; i < jobs; i++) await s.submit({ flow, weight, cost: 10, run: () => void order.push(flow) });
    };
    await Promise.all([loop("H", 1, 20), loop("L", 0.25, 10)]);
    const both = order.slice(0, 25).join("");
    expect([...both].filter((f) => f === "H").length).toBe(20);
    expect(both).not.toContain("HHHHH");
  });

  test("equal weights and costs: first come, first served, whatever the weight", async () => {
    for (const weight of [1, 0.25, 0.05]) {
      const s = new FairScheduler();
      const flows = ["p7", "p2", "p9", "p0", "p4", "p1"];
      const order: string[] = [];
      await Promise.all(flows.map((flow) => s.submit({ flow, weight, cost: 32, run: () => void order.push(flow) })));
      expect(order).toEqual(flows);
    }
  });

  test("one flow's own jobs run in the order it submitted them", async () => {
    const s = new FairScheduler();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => s.submit({ flow: "p", weight: 0.5, cost: 10 * (5 - i), run: () => void order.push(i) })));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  test("at equal weights the cheaper job of two waiting peers goes first; cost over weight decides", async () => {
    const s = new FairScheduler();
    const order: string[] = [];
    const job = (flow: string, weight: number, cost: number) => s.submit({ flow, weight, cost, run: () => void order.push(flow) });
    await Promise.all([job("big", 1, 100), job("small", 1, 10), job("slow-small", 0.05, 10), job("mid", 0.5, 40)]);
    // finish tags: big 100, small 10, slow-small 200, mid 80
    expect(order).toEqual(["small", "mid", "big", "slow-small"]);
  });

  test("a peer that starts waiting late enters at the present: no credit for the time it did not ask", async () => {
    const s = new FairScheduler();
    const order: string[] = [];
    const heavy = Array.from({ length: 8 }, (_, i) =>
      s.submit({
        flow: "H",
        weight: 1,
        cost: 1,
        run: () => {
          order.push("H");
          // The light peer asks while the heavy peer's fourth job runs (tag 4): its tag is 4 + 1 / 0.25 = 8.
          if (i === 3) light.push(s.submit({ flow: "L", weight: 0.25, cost: 1, run: () => void order.push("L") }));
        },
      }),
    );
    const light: Promise<unknown>[] = [];
    await Promise.all(heavy);
    await Promise.all(light);
    expect(order.join("")).toBe("HHHHHHHHL");
  });

  test("one job at a time: the next starts only after the running one settles", async () => {
    const s = new FairScheduler();
    const log: string[] = [];
    let active = 0;
    let activeMax = 0;
    const gates = [0, 1, 2, 3].map(() => deferred());
    const started = [0, 1, 2, 3].map(() => deferred());
    const jobs = gates.map((gate, i) =>
      s.submit({
        flow: `p${i}`,
        weight: i % 2 === 0 ? 1 : 0.25,
        cost: 5,
        run: async () => {
          activeMax = Math.max(activeMax, ++active);
          log.push(`start ${i}`);
          started[i]!.resolve();
          await gate.promise;
          log.push(`end ${i}`);
          active--;
          return i;
        },
      }),
    );
    // Tags: p0 5, p1 20, p2 5, p3 20: p0, p2, then p1, p3.
    for (const i of [0, 2, 1, 3]) {
      await started[i]!.promise;
      expect(s.running).toBe(true);
      gates[i]!.resolve();
      expect(await jobs[i]!).toBe(i);
    }
    expect(log).toEqual(["start 0", "end 0", "start 2", "end 2", "start 1", "end 1", "start 3", "end 3"]);
    expect(activeMax).toBe(1);
    expect([s.running, s.waiting]).toEqual([false, 0]);
  });

  test("a job that throws or rejects fails alone: its caller gets the error, the queue goes on", async () => {
    const s = new FairScheduler();
    const order: string[] = [];
    const job = (flow: string, run: () => unknown) => s.submit({ flow, weight: 1, cost: 1, run: () => (order.push(flow), run()) });
    const results = await Promise.allSettled([
      job("a", () => "a ok"),
      job("b", () => {
        throw new Error("b threw");
      }),
      job("c", () => Promise.reject(new Error("c rejected"))),
      job("d", async () => "d ok"),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual(["a ok", "b threw", "c rejected", "d ok"]);
    expect(order).toEqual(["a", "b", "c", "d"]);
    expect(await job("e", () => "still serving")).toBe("still serving");
    expect([s.running, s.waiting]).toEqual([false, 0]);
  });

  test("a weight or cost that is not a usable number is a programmer error, thrown at the call", () => {
    const s = new FairScheduler();
    for (const weight of [0, -1, NaN, Infinity]) {
      expect(() => s.submit({ flow: "p", weight, cost: 1, run: () => 0 })).toThrow(`fair scheduler: weight must be finite and > 0, got ${weight}`);
    }
    for (const cost of [-1, NaN, Infinity]) {
      expect(() => s.submit({ flow: "p", weight: 1, cost, run: () => 0 })).toThrow(`fair scheduler: cost must be finite and ≥ 0, got ${cost}`);
    }
    expect(s.waiting).toBe(0);
  });
});

describe("LocalLearningService.train", () => {
  /** A service over a stub trainer that logs which shard it trains; shard 13 makes it fail. */
  function service() {
    const order: string[] = [];
    const trainer = {
      train: async (weights: Float32Array, _data: unknown, shard: Uint32Array) => {
        order.push(String(shard[0]));
        if (shard[0] === 13) throw new Error("trainer broke");
        return { weights: weights.slice(), loss: 0, samples: shard.length };
      },
    } as unknown as Trainer;
    const learning = new LocalLearningService({
      spec: {} as ModelSpec,
      layout: {} as ChunkLayout,
      trainer,
      train: {} as Dataset,
      test: {} as Dataset,
      training: { epochs: 2, batchSize: 8, learningRate: 0.1 },
    });
    return { learning, order };
  }
  const shardOf = (first: number, length = 4) => Uint32Array.from({ length }, (_, i) => first + i);

  test("turns go by the weight passed: a peer's shard is its flow, a weight-1 peer trains four times per weight-0.25 turn", async () => {
    const { learning, order } = service();
    const heavy = shardOf(1);
    const light = shardOf(2);
    const rng = new SeededRng(1);
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 8; i++) jobs.push(learning.train(new Float32Array(1), heavy, rng, 1), learning.train(new Float32Array(1), light, rng, 0.25));
    await Promise.all(jobs);
    expect(order.slice(0, 10).filter((s) => s === "1").length).toBe(8);
    expect(order.slice(0, 10).join("")).not.toContain("22");
  });

  test("without a weight every peer counts 1: equal shards train first come, first served; a failure fails only its caller", async () => {
    const { learning, order } = service();
    const rng = new SeededRng(1);
    const results = await Promise.allSettled([5, 13, 3, 9].map((first) => learning.train(new Float32Array(1), shardOf(first), rng)));
    expect(order).toEqual(["5", "13", "3", "9"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(await learning.train(new Float32Array(2), shardOf(7, 3), rng)).toEqual({ weights: new Float32Array(2), loss: 0, samples: 3 });
  });
});
