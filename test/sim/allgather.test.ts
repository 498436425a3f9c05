import { describe, expect, test } from "bun:test";
import type { LinkProfile } from "../../net/transport.ts";
import type { TopologyFactory } from "../../plugins/topology/types.ts";
import { runVirtualAllGather, type AllGatherConfig } from "../../sim/allgather.ts";
import type { SwarmNode } from "../../swarm/node.ts";

const link: LinkProfile = { uplinkBytesPerSec: 1_000_000, downlinkBytesPerSec: 4_000_000, latencyMs: 20 };

function cfg(o: Partial<AllGatherConfig> = {}): AllGatherConfig {
  return { name: "test", peers: 12, modelBytes: 64 * 1024, pieceBytes: 4096, seed: 1, link: () => link, maxVirtualMs: 600_000, ...o };
}

/** Replays a failing run: the seed is in the config. */
const replay = (c: Pick<AllGatherConfig, "seed" | "name" | "peers">) => `seed ${c.seed} (${c.name}, ${c.peers} peers)`;

/** ring: peer i's neighbours are i − 1 and i + 1, so most pieces must be relayed over several hops. */
const ring: TopologyFactory = () => ({
  name: "ring",
  build: (peers) => {
    const n = peers.length;
    return new Map(peers.map((p, i) => [p, [peers[(i + n - 1) % n]!, peers[(i + 1) % n]!]]));
  },
});

describe("virtual all-gather", () => {
  test("the same seed gives the same run; another seed another trace", async () => {
    const a = await runVirtualAllGather(cfg({ seed: 11 }));
    const b = await runVirtualAllGather(cfg({ seed: 11 }));
    const c = await runVirtualAllGather(cfg({ seed: 12 }));
    expect(a.completionMs, replay(a)).toBeDefined();
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.completionMs).toBe(a.completionMs!);
    expect(b.events).toBe(a.events);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  test("12-peer mesh: every peer completes, few duplicates, one stored copy per unique piece", async () => {
    const c = cfg({ seed: 3 });
    const r = await runVirtualAllGather(c);
    expect(r.completedPeers, replay(c)).toBe(12);
    expect(r.completionMs).toBeDefined();
    // Each peer verifies every other peer's every piece exactly once.
    expect(r.events).toBe(12 * 11 * (c.modelBytes / c.pieceBytes));
    expect(r.duplicateRatio, replay(c)).toBeLessThan(0.05);
    expect(r.strikes).toBe(0);
    expect(r.bans).toBe(0);
    // 12 peers each hold all 12 updates, yet the shared store keeps each unique piece once (not 12 × 12 copies).
    expect(r.storeMemoryBytes).toBe(c.peers * c.modelBytes);
    expect(r.completionMs!).toBeGreaterThanOrEqual(r.lowerBoundMs);
  });

  test("ring: pieces relayed over many hops still reach every peer", async () => {
    const c = cfg({ name: "ring", peers: 8, seed: 5, topology: ring });
    const seen: string[][] = [];
    const r = await runVirtualAllGather({
      ...c,
      // Once the handshakes are done, note who talks to whom.
      setup: ({ nodes, clock }) => void clock.setTimeout(() => nodes.forEach((n) => seen.push([...n.neighbours].sort())), 200),
    });
    expect(r.completedPeers, replay(c)).toBe(8);
    expect(r.completionMs).toBeDefined();
    // It really was a ring: peer i talks to i ± 1 only.
    const id = (i: number) => `p${String((i + 8) % 8).padStart(4, "0")}`;
    expect(seen).toEqual([...Array(8).keys()].map((i) => [id(i - 1), id(i + 1)].sort()));
    expect(r.events).toBe(8 * 7 * (c.modelBytes / c.pieceBytes));
    expect(r.storeMemoryBytes).toBe(c.peers * c.modelBytes);
  });

  test("a peer cut off by a partition completes after the partition heals", async () => {
    const c = cfg({ name: "partition", seed: 7 });
    const victim = 3;
    const cutAtMs = 600;
    const healAtMs = 5_000;
    const log: string[] = [];
    let victimNode: SwarmNode | undefined;
    let cutNeighbours: string[] = [];
    const r = await runVirtualAllGather({
      ...c,
      setup: ({ net, nodes, ids, clock }) => {
        const id = ids[victim]!;
        const node = (victimNode = nodes[victim]!);
        const self = `mem://${id}`;
        // The harness never redials, so the victim gets a second transport to reconnect from after the heal;
        // it is inside the partition too, so only the heal lets it through.
        const redial = net.node(`mem://${id}-redial`, link);
        clock.setTimeout(() => {
          cutNeighbours = node.neighbours;
          log.push(`cut at ${clock.now()} with ${cutNeighbours.length} neighbours, coverage ${node.coverage(0).pieces}`);
          const others = ids.filter((x) => x !== id).map((x) => `mem://${x}`);
          net.faults.partition([self, redial.address], others);
        }, cutAtMs);
        // While cut, a dial from the victim's side fails.
        clock.setTimeout(() => {
          redial.dial(`mem://${cutNeighbours[0]}`).then(
            () => log.push("dial through the partition succeeded"),
            () => log.push("dial refused while partitioned"),
          );
        }, healAtMs / 2);
        clock.setTimeout(() => {
          log.push(`heal at ${clock.now()}: victim has ${node.neighbours.length} neighbours, complete=${node.completedAt(0) !== undefined}`);
          net.faults.heal();
          for (const n of cutNeighbours) {
            redial.dial(`mem://${n}`).then(
              (conn) => node.addConn(conn),
              (e: Error) => log.push(`redial ${n} failed: ${e.message}`),
            );
          }
        }, healAtMs);
      },
    });
    expect(log[0]).toMatch(new RegExp(`^cut at ${cutAtMs} with [1-9]`));
    expect(log[0]).not.toMatch(/coverage 1$/);
    expect(log).toContain("dial refused while partitioned");
    expect(log.find((l) => l.startsWith("heal"))).toMatch(/victim has 0 neighbours, complete=false/);
    expect(log.filter((l) => l.startsWith("redial"))).toEqual([]);
    expect(r.completedPeers, replay(c)).toBe(12);
    // The victim finished only after the heal: the partition really cut it off.
    expect(victimNode!.completedAt(0)!).toBeGreaterThan(healAtMs);
    expect(r.strikes).toBe(0);
  });
});
