import { brand, type PluginFactory } from "../plugin.ts";
import { assignMix, deviceProfileNames, deviceProfiles, shareSumTolerance, type DeviceProfile, type DeviceProfileName } from "./profiles.ts";

/** Share of the roster per device class, summing to 1; classes left out get no peers. */
export type DeviceShares = Partial<Record<DeviceProfileName, number>>;

export interface MixOptions {
  /**
   * Per-device spread around its class: each link and compute number (up/downlink, latency, loss, compute speed)
   * is multiplied by its own factor drawn uniformly from [1 − jitter, 1 + jitter]. 0 gives the class profiles
   * exactly. The accelerator share is an allocation, not a measurement, and is not jittered.
   * @default 0.1
   */
  jitter?: number;
}

/** Above this a factor could reach 0 (a link with no bandwidth, a device that never trains). */
export const mixJitterMax = 0.9;

/** The fields jitter scales, in the order their factors are drawn (fixed: the draw order is part of the seed's meaning). */
const jitteredFields = ["uplinkBytesPerSec", "downlinkBytesPerSec", "latencyMs", "loss", "computeSpeed"] as const;

/**
 * mix(shares, { jitter }): peers get device classes in the given proportions (largest-remainder rounding, so 100
 * peers and shares in hundredths are exact), a seeded shuffle decides who gets which, and each device's numbers
 * spread by `jitter` around its class. Same seed and roster, same devices; a peer's jitter comes from the seed
 * and its id alone.
 * @param shares e.g. `{ edge_server: 0.05, smartphone_high: 0.2, smartphone_low: 0.4, raspberry_pi: 0.2, iot: 0.15 }`
 */
export function mix(shares: DeviceShares, options: MixOptions = {}): PluginFactory<"devices"> {
  const checked = validateShares(shares);
  const jitter = options.jitter ?? 0.1;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= mixJitterMax)) {
    throw new Error(`mix.jitter: expected a number in [0, ${mixJitterMax}], got ${String(jitter)}`);
  }
  return brand("devices", "mix", { shares: checked, jitter }, ({ rng }) => ({
    name: "mix",
    assign(peers) {
      const profiles = rng.split("shuffle").shuffle(assignMix(checked, peers.length));
      return new Map(
        peers.map((id, i) => {
          const base = profiles[i]!;
          const draw = rng.split(`jitter:${id}`);
          const device: DeviceProfile = { ...base };
          for (const f of jitteredFields) device[f] = (base[f] ?? 0) * (1 + jitter * (2 * draw.next() - 1));
          return [id, device];
        }),
      );
    },
  }));
}

function validateShares(shares: unknown): Readonly<Record<string, number>> {
  if (typeof shares !== "object" || shares === null || Array.isArray(shares) || shares instanceof Map) {
    const got = Array.isArray(shares) ? "an array" : shares instanceof Map ? "a Map" : String(shares);
    throw new Error(`mix.shares: expected an object mapping device profile names to shares, got ${got}`);
  }
  const entries = Object.entries(shares as Record<string, unknown>);
  const unknown = entries.map(([name]) => name).filter((name) => !Object.hasOwn(deviceProfiles, name));
  if (unknown.length > 0) {
    throw new Error(`mix.shares: unknown device profile${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")} (known: ${deviceProfileNames.join(", ")})`);
  }
  for (const [name, share] of entries) {
    if (typeof share !== "number" || !(share >= 0 && Number.isFinite(share))) {
      throw new Error(`mix.shares.${name}: expected a finite number ≥ 0, got ${typeof share === "string" ? JSON.stringify(share) : String(share)}`);
    }
  }
  const sum = entries.reduce((s, [, v]) => s + (v as number), 0);
  if (!(Math.abs(sum - 1) <= shareSumTolerance)) throw new Error(`mix.shares: the shares sum to ${sum}, expected 1 (± ${shareSumTolerance})`);
  return Object.freeze(Object.fromEntries(entries) as Record<string, number>);
}
