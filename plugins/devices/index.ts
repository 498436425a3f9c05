export { mix, mixJitterMax, type DeviceShares, type MixOptions } from "./mix.ts";
export { assignMix, deviceProfileNames, deviceProfiles, shareSumTolerance, type DeviceProfile, type DeviceProfileName } from "./profiles.ts";
export type { DeviceDeps, DeviceFactory, DevicePlugin } from "./types.ts";
export { uniform } from "./uniform.ts";
