import { brand, type PluginFactory } from "../plugin.ts";
import { deviceProfiles } from "./profiles.ts";

/**
 * uniform(profileName): every peer gets the same device profile (see profiles.ts). The name is checked here,
 * when the scenario is written, not when the swarm starts.
 * @param profileName one of the keys of `deviceProfiles`. @default "edge_server"
 */
export function uniform(profileName = "edge_server"): PluginFactory<"devices"> {
  const profile = Object.hasOwn(deviceProfiles, profileName) ? deviceProfiles[profileName] : undefined;
  if (!profile) {
    throw new Error(`uniform.profileName: unknown device profile ${JSON.stringify(profileName)} (known: ${Object.keys(deviceProfiles).join(", ")})`);
  }
  return brand("devices", "uniform", profileName, () => ({
    name: "uniform",
    assign: (peers) => new Map(peers.map((p) => [p, profile])),
  }));
}
