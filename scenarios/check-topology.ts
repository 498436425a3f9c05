import { isConnected } from "../plugins/topology/types.ts";
import { SeededRng } from "../runtime/rng.ts";
import { peerIds } from "../sim/scenario-data.ts";
import type { Scenario } from "./types.ts";
import { ScenarioError } from "./validate.ts";

/**
 * Builds the scenario's topology for its peer count and seed, as the run will, and turns an impossible one (a
 * 3-regular mesh of 5 peers, a custom graph with unknown ids, a disconnected graph under scope "all") into a
 * ScenarioError naming `topology`, so the CLI refuses it as bad input before starting anything.
 */
export function checkTopology(s: Scenario): void {
  const ids = peerIds(s.peers);
  let graph;
  try {
    graph = s.topology({ rng: new SeededRng(s.seed).split("topology") }).build(ids);
  } catch (e) {
    throw ScenarioError.invalid(s.name, [{ path: "topology", message: `cannot be built for ${s.peers} peers: ${(e as Error).message}` }]);
  }
  if (s.swarm.scope === "all" && !isConnected(graph, ids)) {
    throw ScenarioError.invalid(s.name, [{ path: "topology", message: `is not connected for ${s.peers} peers, but aggregation scope "all" needs every origin (use swarm.scope "neighbours" for gossip)` }]);
  }
}
