import type { LinkProfile } from "../net/transport.ts";

/**
 * All-gather lower bound (DESIGN §10): every peer must receive (N−1)·M and send at least M once, and the swarm
 * must move N·(N−1)·M through the sum of uplinks. Plus one latency: the binding peer's last byte still travels.
 *   max( max_i M/u_i , max_i (N−1)·M/d_i , N·(N−1)·M/Σu_i ) + latency
 */
export function allGatherLowerBoundMs(modelBytes: number, links: readonly LinkProfile[]): number {
  const n = links.length;
  if (n < 2) return 0;
  const M = modelBytes;
  let upOwn = 0;
  let down = 0;
  let sumUp = 0;
  for (const l of links) {
    upOwn = Math.max(upOwn, M / l.uplinkBytesPerSec);
    down = Math.max(down, ((n - 1) * M) / l.downlinkBytesPerSec);
    sumUp += l.uplinkBytesPerSec;
  }
  const aggregate = (n * (n - 1) * M) / sumUp;
  const lat = links.map((l) => l.latencyMs).sort((a, b) => a - b);
  const oneLatencyMs = lat[0]! + lat[lat.length - 1]!;
  return Math.max(upOwn, down, aggregate) * 1000 + oneLatencyMs;
}
