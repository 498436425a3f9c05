import type { Rng } from "../../runtime/rng.ts";
import type { DeviceProfile } from "./profiles.ts";

export interface DevicePlugin {
  readonly name: string;
  /** One profile per peer id, deterministic for the rng's seed. */
  assign(peers: readonly string[]): Map<string, DeviceProfile>;
}

export interface DeviceDeps {
  rng: Rng;
}

export type DeviceFactory = (deps: DeviceDeps) => DevicePlugin;
