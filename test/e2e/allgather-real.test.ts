import { expect, test } from "bun:test";
import { runLoopbackAllGather } from "../../sim/allgather-real.ts";
import type { SwarmNode } from "../../swarm/node.ts";

const modelBytes = 200_000;
const pieceBytes = 16 * 1024;

test(
  "a 6-peer all-gather over real loopback WebSockets completes: every peer holds every piece, few duplicates",
  async () => {
    let nodes: readonly SwarmNode[] = [];
    let ids: readonly string[] = [];
    const r = await runLoopbackAllGather({
      peers: 6,
      degree: 3,
      modelBytes,
      pieceBytes,
      seed: 7,
      timeoutMs: 8_000,
      inspect: (n, i) => ((nodes = n), (ids = i)),
    });

    expect(r.completedPeers).toBe(6);
    expect(r.payloadBytes).toBe(6 * 5 * modelBytes);
    expect(r.goodputBytesPerSec).toBeGreaterThan(0);
    expect(r.duplicateRatio).toBeLessThan(0.05);
    expect(r.overheadRatio).toBeGreaterThan(0);
    expect(r.overheadRatio).toBeLessThan(0.1);

    const piecesPerOrigin = Math.ceil(modelBytes / pieceBytes);
    const missing: string[] = [];
    for (const n of nodes) {
      expect(n.completedAt(0)).toBeDefined();
      for (const origin of ids) for (let i = 0; i < piecesPerOrigin; i++) if (!n.holds(0, origin, i)) missing.push(`${n.peerId}:${origin}#${i}`);
    }
    expect(missing).toEqual([]);
  },
  10_000,
);

test("a run that cannot finish in time rejects, naming how many peers completed", async () => {
  await expect(runLoopbackAllGather({ peers: 4, degree: 2, modelBytes: 16 * 1024 * 1024, pieceBytes: 16 * 1024, seed: 1, timeoutMs: 300 })).rejects.toThrow(
    /timed out after 300 ms .*\d+ of 4 peers complete/,
  );
}, 10_000);
