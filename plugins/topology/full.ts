import { brand, type PluginFactory } from "../plugin.ts";

/** full(): every peer is every other peer's neighbour. Fine for tens of peers; O(N²) sessions beyond that. */
export function full(): PluginFactory<"topology"> {
  return brand("topology", "full", undefined, () => ({
    name: "full",
    build: (peers) => new Map(peers.map((p) => [p, peers.filter((q) => q !== p)])),
  }));
}
