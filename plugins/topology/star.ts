import { brand, type PluginFactory } from "../plugin.ts";
import type { Graph } from "./types.ts";
import { listPeers } from "./validate.ts";

export interface StarOptions {
  /** The peer every other peer links to; must be in the roster (checked when the graph is built). @default the first peer */
  hub?: string;
}

/**
 * star({ hub }): one hub linked to every other peer, who link to nobody else. Connected with N − 1 edges and
 * diameter 2, but the hub carries every transfer: the centralised baseline the swarm is measured against.
 * Needs no randomness.
 */
export function star(opts: StarOptions = {}): PluginFactory<"topology"> {
  const hub = opts.hub;
  if (hub !== undefined && (typeof hub !== "string" || hub === "")) {
    throw new Error(`star.hub: expected a peer id (a non-empty string), got ${JSON.stringify(hub) ?? String(hub)}`);
  }
  return brand("topology", "star", { hub }, () => ({
    name: "star",
    build: (peers) => starGraph(peers, hub),
  }));
}

function starGraph(peers: readonly string[], hub: string | undefined): Graph {
  const center = hub ?? peers[0];
  if (center === undefined) return new Map();
  if (!peers.includes(center)) {
    throw new Error(`star.hub: ${JSON.stringify(center)} is not in the roster of ${peers.length} peers (${listPeers(peers)})`);
  }
  return new Map(peers.map((p) => [p, p === center ? peers.filter((q) => q !== center) : [center]]));
}
