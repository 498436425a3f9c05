export { full } from "./full.ts";
export { mesh, type MeshOptions } from "./mesh.ts";
export { ring, type RingOptions } from "./ring.ts";
export { edgesOf, isConnected, type Graph, type TopologyDeps, type TopologyFactory, type TopologyPlugin } from "./types.ts";
