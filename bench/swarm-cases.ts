import type { AllGatherConfig } from "../sim/allgather.ts";
import { assignMix, type DeviceProfile } from "../plugins/devices/profiles.ts";
import { SeededRng } from "../runtime/rng.ts";

const mbps = (n: number) => (n * 1_000_000) / 8;

/** The swarm benchmark's virtual cases (issue: homogeneous and heterogeneous all-gathers). */
export interface SwarmCaseOptions {
  peers?: number;
  modelBytes?: number;
  pieceBytes?: number;
  seed?: number;
}

/** 32 peers, equal 20/20 Mbps links with 10 ms access latency, a degree-6 random mesh, a 400 KB model. */
export function homogeneous(o: SwarmCaseOptions = {}): AllGatherConfig {
  return {
    name: "homogeneous",
    peers: o.peers ?? 32,
    modelBytes: o.modelBytes ?? 400_000,
    pieceBytes: o.pieceBytes ?? 16_384,
    seed: o.seed ?? 1,
    link: () => ({ uplinkBytesPerSec: mbps(20), downlinkBytesPerSec: mbps(20), latencyMs: 10 }),
  };
}

/** The prototype's device mix: edge_server 5%, smartphone_high 20%, smartphone_low 40%, raspberry_pi 20%, iot 15%. */
export const prototypeMix = { edge_server: 0.05, smartphone_high: 0.2, smartphone_low: 0.4, raspberry_pi: 0.2, iot: 0.15 };

export function heterogeneous(o: SwarmCaseOptions = {}): AllGatherConfig & { devices: DeviceProfile[] } {
  const peers = o.peers ?? 32;
  const seed = o.seed ?? 1;
  // The prototype's profiles carry no loss figure: keep the links lossless so the case stays comparable with it
  // (and with the lower bound, which has no loss term).
  const devices = new SeededRng(seed)
    .split("devices")
    .shuffle(assignMix(prototypeMix, peers))
    .map((d) => ({ ...d, loss: 0 }));
  return {
    name: "heterogeneous",
    peers,
    modelBytes: o.modelBytes ?? 400_000,
    pieceBytes: o.pieceBytes ?? 16_384,
    seed,
    devices,
    link: (i) => devices[i]!,
  };
}
