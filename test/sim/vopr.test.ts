import { describe, expect, test } from "bun:test";
import type { Peer } from "../../actors/peer.ts";
import { RoundState } from "../../swarm/round-state.ts";
import type { RoundBook } from "../../swarm/rounds.ts";
import { roundsAheadMax } from "../../swarm/limits.ts";
import type { PieceStore } from "../../swarm/store-port.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { defaultPeerRange, drawCase } from "../../sim/vopr/draw.ts";
import { formatFailure, replayCommand } from "../../sim/vopr/report.ts";
import { runVoprSeed, type Plant, type VoprResult } from "../../sim/vopr/run.ts";

// The whole-swarm model checker in CI: every seed draws a swarm and a fault schedule, runs a safety phase with the
// faults and a liveness phase with the network healed, and checks DESIGN §11's properties. A failing seed fails its
// test with the violated property and the command that replays it. VOPR_SEEDS / VOPR_FROM pick another batch
// (a nightly run, say). The default batch, 500 seeds of 3–12 peers, takes about 100 s on two cores (0.2 s a seed).
const seeds = envInt("VOPR_SEEDS", 500);
const from = envInt("VOPR_FROM", 1);

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
  return n;
}

function mustPass(r: VoprResult): void {
  if (!r.ok) throw new Error(formatFailure(r));
}

/** Runs `seed` with a planted bug and returns the properties it broke. */
async function planted(seed: number, plant: Plant): Promise<{ r: VoprResult; broken: string[] }> {
  const r = await runVoprSeed(seed, { plant });
  return { r, broken: Object.keys(r.violationCounts) };
}

/** The round state `peer` is gathering, through the node's private book (a test's privilege). */
function book(peer: Peer): RoundBook {
  return peer.swarm["book"] as RoundBook;
}

const flipped = (data: Uint8Array) => {
  const out = new Uint8Array(data);
  out[0] = out[0]! ^ 0xff;
  return out;
};

describe("vopr: what a seed draws", () => {
  test("the same seed draws the same case; peers stay in the range; every topology and fault kind comes up", () => {
    expect(JSON.stringify(drawCase(7).schedule)).toBe(JSON.stringify(drawCase(7).schedule));
    const topologies = new Set<string>();
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) {
      const c = drawCase(seed);
      expect(c.input.peers).toBeGreaterThanOrEqual(defaultPeerRange.min);
      expect(c.input.peers).toBeLessThanOrEqual(defaultPeerRange.max);
      topologies.add((c.input.topology as unknown as { pluginName: string }).pluginName);
      const s = c.schedule;
      if (s.filter?.dropP) kinds.add("drop");
      if (s.filter?.duplicateP) kinds.add("duplicate");
      if (s.filter?.delayP) kinds.add("delay");
      for (const n of s.net) kinds.add(n.kind === "partition" ? `partition:${n.shape}` : "clog");
      for (const p of s.peers) kinds.add(`${p.kind} in ${"state" in p.at ? p.at.state : "time"}`);
      for (const k of Object.keys(s.plugins)) kinds.add(k);
    }
    expect([...topologies].sort()).toEqual(["erdosRenyi", "full", "mesh", "ring", "smallWorld", "star", "tree"]);
    const want = ["drop", "duplicate", "delay", "partition:halves", "partition:isolate", "partition:bridge", "clog", "crash", "restart", "corrupt", "byzantine"];
    for (const states of ["join", "connect", "train", "score", "swarm", "grace", "aggregate"]) want.push(`restart in ${states}`, `crash in ${states}`);
    expect(want.filter((k) => !kinds.has(k))).toEqual([]);
    expect(drawCase(3, { min: 30, max: 40 }).input.peers).toBeGreaterThanOrEqual(30);
    expect(() => drawCase(1, { min: 5, max: 4 })).toThrow("peer range");
  });

  test("a replay command names the seed, and the peer range when it is not the default", () => {
    expect(replayCommand(42)).toBe("bun run vopr --seed 42");
    expect(replayCommand(42, { min: 3, max: 40 })).toBe("bun run vopr --seed 42 --peers 3-40");
  });

  test("a run replays event for event: same seed, same trace, faults and virtual time", async () => {
    const [a, b] = [await runVoprSeed(11), await runVoprSeed(11)];
    mustPass(a);
    expect(a.stats.liveness!.crashed + a.stats.liveness!.left).toBeGreaterThan(0); // seed 11 is not a quiet one
    expect({ trace: b.trace, faults: b.faults, simulatedMs: b.simulatedMs, healedAtMs: b.healedAtMs }).toEqual({
      trace: a.trace,
      faults: a.faults,
      simulatedMs: a.simulatedMs,
      healedAtMs: a.healedAtMs,
    });
  });
});

describe("vopr: the command", () => {
  const cli = (...args: string[]) => Bun.spawnSync([process.execPath, "cli/vopr.ts", ...args], { stdout: "pipe", stderr: "pipe" });

  test("--seed S --json replays one seed and prints one JSON line; bad flags exit 2 with the usage", () => {
    const ok = cli("--seed", "5", "--json");
    expect(ok.exitCode).toBe(0);
    const out = JSON.parse(ok.stdout.toString().trim());
    expect(out).toMatchObject({ seeds: 1, first: 5, passed: 1, failed: [], peers: defaultPeerRange });
    expect(out.simulatedHours).toBeGreaterThan(0);
    expect(out.faultsTotal).toBe(Object.values(out.faults as Record<string, number>).reduce((a, b) => a + b, 0));
    const bad = cli("--peers", "9-3");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("--peers must be MIN-MAX");
    expect(cli("--seed", "1", "--seeds", "4").exitCode).toBe(2);
  });
});

// A checker that cannot fail proves nothing: each one is shown a planted bug and must name it.
describe("vopr: every checker catches a planted bug", () => {
  test("a swarm that stores bytes which failed their hash: stored-unverified", async () => {
    let puts = 0;
    const { r, broken } = await planted(3, {
      storeAbove: (s) => override(s, { put: (h, k, d, data) => s.put(h, k, d, ++puts === 40 ? flipped(data) : data) }),
    });
    expect(broken).toContain("stored-unverified");
    expect(formatFailure(r)).toContain("replay: bun run vopr --seed 3");
  });

  test("a store that hands out other bytes than it was given: read-unverified", async () => {
    let gets = 0;
    const { broken } = await planted(3, {
      storeBelow: (s) => override(s, { get: (d) => (++gets === 100 ? mapDefined(s.get(d), flipped) : s.get(d)) }),
    });
    expect(broken).toContain("read-unverified");
  });

  test("a swarm that forgets a held piece: holdings-shrank", async () => {
    const { broken } = await planted(3, {
      world: (w) => {
        // Once a live peer has published, drop one of its own pieces (never fetched again, so it stays lost).
        const tick = () => {
          for (const p of w.peers.filter((x) => x.finalState === undefined)) {
            const rs = book(p).get(p.swarm.current);
            const own = rs?.origins.get(p.id);
            if (rs && own && rs.have[own.offset]) return void (rs.have[own.offset] = 0);
          }
          w.clock.setTimeout(tick, 20);
        };
        w.clock.setTimeout(tick, 20);
      },
    });
    expect(broken).toContain("holdings-shrank");
  });

  test("a swarm that marks a piece held without verifying and storing it: held-unstored", async () => {
    const { broken } = await planted(3, {
      world: (w) => {
        // Every 20 ms, mark a still-missing piece held on the first live peer; it is aggregated with the round.
        const tick = () => {
          const p = w.peers.find((x) => x.finalState === undefined && x.state === "swarm");
          const rs = p && book(p).get(p.swarm.current);
          const missing = rs ? rs.have.indexOf(0) : -1;
          if (rs && missing >= 0) return void rs.markHave(missing);
          w.clock.setTimeout(tick, 20);
        };
        w.clock.setTimeout(tick, 20);
      },
    });
    expect(broken).toContain("held-unstored");
  });

  test("two honest peers with the same pieces and different models: models-diverged", async () => {
    // In seed 2 honest peers aggregate the same pieces, and agree when nothing is planted.
    const honest = await runVoprSeed(2);
    mustPass(honest);
    expect(honest.stats.matchedRecords).toBeGreaterThan(0);
    const { broken } = await planted(2, { record: (r) => ({ ...r, modelHash: r.peer.padEnd(64, "0") }) });
    expect(broken).toEqual(["models-diverged"]);
  });

  test("a round book that keeps a round beyond the window, and a swarm that never releases: limit-exceeded", async () => {
    const window = await planted(3, {
      world: (w) =>
        w.clock.setTimeout(() => {
          const p = w.peers.find((x) => x.finalState === undefined)!;
          const far = p.swarm.current + roundsAheadMax + 1;
          (book(p)["rounds"] as Map<number, RoundState>).set(far, new RoundState(far, new SeededRng(1)));
        }, 300),
    });
    expect(window.broken).toContain("limit-exceeded");
    expect(window.r.violations.find((v) => v.property === "limit-exceeded")!.detail).toContain("outside the window");
    const leak = await planted(3, { storeAbove: (s) => override(s, { release: () => {} }) });
    expect(leak.broken).toContain("limit-exceeded");
    expect(leak.r.violations.find((v) => v.property === "limit-exceeded")!.detail).toContain("never released");
  });

  test("a live peer that stops silently after the heal: liveness (the run stalls and says who is stuck)", async () => {
    const { r, broken } = await planted(3, {
      world: (w, phase) => phase.onHeal(() => void w.peers.find((p) => p.finalState === undefined)!["actor"].stop()),
    });
    expect(broken).toEqual(["liveness"]);
    expect(r.violations.map((v) => v.detail).join("\n")).toMatch(/did not end[\s\S]*never finished/);
  });

  test("a live peer that gives up after the heal: liveness", async () => {
    const { r, broken } = await planted(3, {
      world: (w, phase) =>
        phase.onHeal(() => {
          const tick = () => {
            const p = w.peers.find((x) => x.state === "train");
            if (p) return void p["actor"].send({ type: "train.failed", error: "planted" });
            w.clock.setTimeout(tick, 5);
          };
          tick();
        }),
    });
    expect(broken).toEqual(["liveness"]);
    expect(r.violations[0]!.detail).toContain("gave up");
  });

  test("an exception in the run: crash", async () => {
    const { r, broken } = await planted(3, { world: (w) => w.clock.setTimeout(() => assertPlanted(), 500) });
    expect(broken).toEqual(["crash"]);
    expect(r.violations[0]!.detail).toContain("planted assert");
  });
});

describe(`vopr: seeds ${from}–${from + seeds - 1} (${defaultPeerRange.min}–${defaultPeerRange.max} peers)`, () => {
  for (let seed = from; seed < from + seeds; seed++) test(`seed ${seed}`, async () => mustPass(await runVoprSeed(seed)));
});

/** `s` with some methods replaced (a spread would freeze the `shouldFlush` getter and lose the methods' `this`). */
function override(s: PieceStore, o: Partial<Pick<PieceStore, "put" | "get" | "release">>): PieceStore {
  return {
    put: o.put ?? ((h, k, d, data) => s.put(h, k, d, data)),
    get: o.get ?? ((d) => s.get(d)),
    release: o.release ?? ((h, r) => s.release(h, r)),
    get shouldFlush() {
      return s.shouldFlush;
    },
    flush: () => s.flush(),
  };
}

function mapDefined<T, U>(v: T | undefined, f: (v: T) => U): U | undefined {
  return v === undefined ? undefined : f(v);
}

function assertPlanted(): never {
  throw new Error("planted assert");
}
