import type { LinkProfile } from "../../net/transport.ts";

/**
 * A device class: its access link, its relative compute speed (training time multiplier is 1/computeSpeed) and
 * its share of the process's shared trainer.
 */
export interface DeviceProfile extends LinkProfile {
  name: string;
  /** Relative training speed; 1 = edge_server. The virtual clock charges trainComputeMs / computeSpeed. */
  computeSpeed: number;
  /**
   * The device's fractional allocation of the accelerator, in (0, 1]: the weight of its training jobs in the
   * shared trainer's fair queue (learn/fair-scheduler.ts), so a device with share 1 gets four turns for one of a
   * device with 0.25 when both wait. "Accelerator" is whatever the trainer runs on: a GPU, or the CPU when there
   * is none; the share is relative, so it means the same on either. Only the real clock feels it (the virtual
   * clock's training time comes from computeSpeed).
   */
  acceleratorShare: number;
}

const mbps = (n: number) => (n * 1_000_000) / 8;

/** The shipped device classes, in the order error messages list them. */
export const deviceProfileNames = ["edge_server", "smartphone_high", "smartphone_low", "raspberry_pi", "iot"] as const;
export type DeviceProfileName = (typeof deviceProfileNames)[number];

/**
 * The five device classes of the old prototype's README (up/down Mbps, latency ms):
 * edge_server 100/1000 5, smartphone_high 50/100 20, smartphone_low 5/20 100, raspberry_pi 10/50 30, iot 0.128/0.512 300.
 * Compute speeds and accelerator shares are relative to edge_server. Wireless-only classes lose packets
 * (smartphone_low 1%, iot 2%); the wired ones do not.
 */
export const deviceProfiles: Record<string, DeviceProfile> = {
  edge_server: {
    name: "edge_server",
    uplinkBytesPerSec: mbps(100),
    downlinkBytesPerSec: mbps(1000),
    latencyMs: 5,
    loss: 0,
    computeSpeed: 1,
    acceleratorShare: 1,
  },
  smartphone_high: {
    name: "smartphone_high",
    uplinkBytesPerSec: mbps(50),
    downlinkBytesPerSec: mbps(100),
    latencyMs: 20,
    loss: 0,
    computeSpeed: 0.5,
    acceleratorShare: 0.5,
  },
  smartphone_low: {
    name: "smartphone_low",
    uplinkBytesPerSec: mbps(5),
    downlinkBytesPerSec: mbps(20),
    latencyMs: 100,
    loss: 0.01,
    computeSpeed: 0.2,
    acceleratorShare: 0.2,
  },
  raspberry_pi: {
    name: "raspberry_pi",
    uplinkBytesPerSec: mbps(10),
    downlinkBytesPerSec: mbps(50),
    latencyMs: 30,
    loss: 0,
    computeSpeed: 0.25,
    acceleratorShare: 0.25,
  },
  iot: {
    name: "iot",
    uplinkBytesPerSec: mbps(0.128),
    downlinkBytesPerSec: mbps(0.512),
    latencyMs: 300,
    loss: 0.02,
    computeSpeed: 0.05,
    acceleratorShare: 0.05,
  },
};

/** How far shares may stray from summing to 1: float rounding of decimal shares, not a real shortfall. */
export const shareSumTolerance = 1e-9;

/**
 * Deterministic assignment of profiles to `count` peers by a mix of shares (largest-remainder rounding; ties go
 * to the profile listed first). The result is grouped by profile; shuffling who gets which is left to the
 * caller. Shares must sum to 1 (± shareSumTolerance).
 */
export function assignMix(mix: Record<string, number>, count: number): DeviceProfile[] {
  const entries = Object.entries(mix);
  for (const [name, share] of entries) {
    if (!Object.hasOwn(deviceProfiles, name)) throw new Error(`device mix: unknown profile "${name}" (known: ${Object.keys(deviceProfiles).join(", ")})`);
    if (!(share >= 0 && Number.isFinite(share))) throw new Error(`device mix: share of "${name}" must be a finite number ≥ 0, got ${share}`);
  }
  const sum = entries.reduce((s, [, v]) => s + v, 0);
  if (!(Math.abs(sum - 1) <= shareSumTolerance)) throw new Error(`device mix shares sum to ${sum}, expected 1`);
  const counts = entries.map(([name, share]) => {
    const exact = share * count;
    return { name, n: Math.floor(exact), rem: exact - Math.floor(exact) };
  });
  let left = count - counts.reduce((s, c) => s + c.n, 0);
  for (const c of [...counts].sort((a, b) => b.rem - a.rem)) if (left-- > 0) c.n++;
  return counts.flatMap((c) => Array.from({ length: c.n }, () => deviceProfiles[c.name]!));
}
