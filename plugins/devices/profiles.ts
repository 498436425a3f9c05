import type { LinkProfile } from "../../net/transport.ts";

/** A device class: its access link and relative compute speed (training time multiplier is 1/computeSpeed). */
export interface DeviceProfile extends LinkProfile {
  name: string;
  /** Relative training speed; 1 = edge_server. */
  computeSpeed: number;
}

const mbps = (n: number) => (n * 1_000_000) / 8;

/**
 * The five device classes of the old prototype's README (up/down Mbps, latency ms):
 * edge_server 100/1000 5, smartphone_high 50/100 20, smartphone_low 5/20 100, raspberry_pi 10/50 30, iot 0.128/0.512 300.
 * Compute speeds are relative and only used by later issues.
 */
export const deviceProfiles: Record<string, DeviceProfile> = {
  edge_server: { name: "edge_server", uplinkBytesPerSec: mbps(100), downlinkBytesPerSec: mbps(1000), latencyMs: 5, computeSpeed: 1 },
  smartphone_high: { name: "smartphone_high", uplinkBytesPerSec: mbps(50), downlinkBytesPerSec: mbps(100), latencyMs: 20, computeSpeed: 0.5 },
  smartphone_low: { name: "smartphone_low", uplinkBytesPerSec: mbps(5), downlinkBytesPerSec: mbps(20), latencyMs: 100, computeSpeed: 0.2 },
  raspberry_pi: { name: "raspberry_pi", uplinkBytesPerSec: mbps(10), downlinkBytesPerSec: mbps(50), latencyMs: 30, computeSpeed: 0.25 },
  iot: { name: "iot", uplinkBytesPerSec: mbps(0.128), downlinkBytesPerSec: mbps(0.512), latencyMs: 300, computeSpeed: 0.05 },
};

/**
 * Deterministic assignment of profiles to `count` peers by a mix of shares (largest-remainder rounding, then a
 * seeded shuffle is left to the caller). Shares must sum to 1 (±1e-9).
 */
export function assignMix(mix: Record<string, number>, count: number): DeviceProfile[] {
  const entries = Object.entries(mix);
  const sum = entries.reduce((s, [, v]) => s + v, 0);
  if (Math.abs(sum - 1) > 1e-9) throw new Error(`device mix shares sum to ${sum}, expected 1`);
  for (const [name, share] of entries) {
    if (!deviceProfiles[name]) throw new Error(`device mix: unknown profile "${name}" (known: ${Object.keys(deviceProfiles).join(", ")})`);
    if (!(share >= 0)) throw new Error(`device mix: share of "${name}" must be ≥ 0`);
  }
  const exact = entries.map(([name, share]) => ({ name, n: share * count }));
  const counts = exact.map((e) => ({ name: e.name, n: Math.floor(e.n), rem: e.n - Math.floor(e.n) }));
  let left = count - counts.reduce((s, c) => s + c.n, 0);
  for (const c of [...counts].sort((a, b) => b.rem - a.rem)) if (left-- > 0) c.n++;
  return counts.flatMap((c) => Array.from({ length: c.n }, () => deviceProfiles[c.name]!));
}
