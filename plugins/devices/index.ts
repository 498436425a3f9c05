export { assignMix, deviceProfiles, type DeviceProfile } from "./profiles.ts";
export type { DeviceDeps, DeviceFactory, DevicePlugin } from "./types.ts";
export { uniform } from "./uniform.ts";
