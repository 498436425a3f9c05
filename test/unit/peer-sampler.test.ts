import { expect, test } from "bun:test";
import { VirtualClock } from "../../runtime/clock.ts";
import type { TelemetryEvent } from "../../telemetry/events.ts";
import { PeerSampler, sampleEveryMs, type PeerSample, type SampledPeer } from "../../telemetry/peer-sampler.ts";

function fakePeer(id: string, s: PeerSample): SampledPeer & { s: PeerSample } {
  const p = { id, s, sample: () => p.s };
  return p;
}

test("emits only what changed since the last sample, every sampleEveryMs of the run clock", async () => {
  const clock = new VirtualClock();
  const a = fakePeer("a", { round: 0, progress: [{ origin: "a", held: 2, count: 2 }, { origin: "b", held: 0, count: 2 }], up: 0, down: 0 });
  const batches: TelemetryEvent[][] = [];
  const sampler = new PeerSampler(clock, () => [a], (evs) => batches.push(evs));
  sampler.start();
  await clock.run({ untilMs: sampleEveryMs });
  expect(batches).toEqual([[{ type: "piece.progress", t: 500, peer: "a", round: 0, origins: ["a", "b"], held: [2, 0], count: [2, 2] }]]);
  // Nothing moved: no batch at all.
  await clock.run({ untilMs: 2 * sampleEveryMs });
  expect(batches.length).toBe(1);
  // One piece arrives and bytes move: exactly those two events.
  a.s = { ...a.s, progress: [{ origin: "a", held: 2, count: 2 }, { origin: "b", held: 1, count: 2 }], up: 10, down: 20 };
  await clock.run({ untilMs: 3 * sampleEveryMs });
  expect(batches[1]).toEqual([
    { type: "piece.progress", t: 1500, peer: "a", round: 0, origins: ["b"], held: [1], count: [2] },
    { type: "peer.bytes", t: 1500, peer: "a", up: 10, down: 20 },
  ]);
  // A new round reports every origin afresh, even counts equal to last round's.
  a.s = { ...a.s, round: 1 };
  await clock.run({ untilMs: 4 * sampleEveryMs });
  expect(batches[2]).toEqual([{ type: "piece.progress", t: 2000, peer: "a", round: 1, origins: ["a", "b"], held: [2, 1], count: [2, 2] }]);
  // stop takes one last sample and disarms the timer.
  a.s = { ...a.s, up: 11 };
  sampler.stop();
  expect(batches[3]).toEqual([{ type: "peer.bytes", t: 2000, peer: "a", up: 11, down: 20 }]);
  expect(clock.pendingTimers).toBe(0);
});

test("a restarted peer (a new object for the same id) keeps byte totals cumulative", () => {
  const clock = new VirtualClock();
  const first = fakePeer("a", { round: 3, progress: [], up: 100, down: 200 });
  let current: SampledPeer = first;
  const out: TelemetryEvent[] = [];
  const sampler = new PeerSampler(clock, () => [current], (evs) => out.push(...evs));
  sampler.sampleNow();
  current = fakePeer("a", { round: 0, progress: [], up: 5, down: 7 });
  sampler.sampleNow();
  expect(out.filter((e) => e.type === "peer.bytes").map((e) => e.type === "peer.bytes" && [e.up, e.down])).toEqual([
    [100, 200],
    [105, 207],
  ]);
});
