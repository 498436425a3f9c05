/**
 * Draws a whole VOPR case from one seed: the swarm (peers, topology, devices, aggregation, timeouts), a synthetic
 * dataset and a tiny MLP so training costs next to nothing, and the fault schedule. Same seed and peer range, same
 * case, byte for byte: the seed is the whole replay.
 */
import { fedavg, krum, median, multiKrum, trimmedMean } from "../../plugins/aggregation/index.ts";
import { deviceProfileNames, mix, uniform, type DeviceShares } from "../../plugins/devices/index.ts";
import { l2 } from "../../plugins/importance/l2.ts";
import { magnitude } from "../../plugins/importance/magnitude.ts";
import { random } from "../../plugins/importance/random.ts";
import type { PluginFactory } from "../../plugins/plugin.ts";
import { erdosRenyi, full, mesh, ring, smallWorld, star, tree } from "../../plugins/topology/index.ts";
import { SeededRng, type Rng } from "../../runtime/rng.ts";
import type { ScenarioInput } from "../../scenarios/define.ts";
import { peerIds } from "../scenario-data.ts";
import { drawSchedule } from "./draw-faults.ts";
import type { Schedule } from "./schedule.ts";

/** How many peers a case draws: uniform in [min, max]. */
export interface PeerRange {
  min: number;
  max: number;
}

/** The default range: small enough that a few hundred seeds run in CI in minutes. `--peers 3-40` goes bigger. */
export const defaultPeerRange: PeerRange = { min: 3, max: 12 };

/** The most peers a case may have (the scenario DSL allows 1000; a VOPR seed should stay seconds long). */
export const voprPeersMax = 200;

/** Rounds after the heal round: the liveness phase needs a next round for every peer. */
const roundsAfterHeal = 2;

export interface VoprCase {
  seed: number;
  /** The scenario without its faults (the runner adds them, gated by the run's phase). */
  input: ScenarioInput;
  schedule: Schedule;
}

export function drawCase(seed: number, range: PeerRange = defaultPeerRange): VoprCase {
  checkRange(range);
  const rng = new SeededRng(seed).split("vopr");
  const sr = rng.split("shape");
  const peers = range.min + sr.int(range.max - range.min + 1);
  const healRound = 2 + sr.int(2);
  const topology = drawTopology(sr.split("topology"), peers);
  const features = 6 + sr.int(11);
  const input: ScenarioInput = {
    name: "vopr",
    description: `VOPR seed ${seed}`,
    peers,
    rounds: healRound + roundsAfterHeal,
    seed,
    topology,
    devices: drawDevices(sr.split("devices")),
    aggregation: drawAggregation(sr.split("aggregation")),
    importance: sr.pick([random, random, () => l2(), () => magnitude()])(),
    data: {
      source: "synthetic",
      split: sr.bool(0.5) ? { kind: "iid" } : { kind: "dirichlet", alpha: sr.range(0.3, 2) },
      trainExamples: peers * (8 + sr.int(16)),
      testExamples: 40,
      features,
      classes: 2 + sr.int(3),
    },
    model: { kind: "mlp", hidden: [4 + sr.int(9)] },
    training: { epochs: 1, batchSize: 8 + sr.int(9), learningRate: sr.range(0.05, 0.3) },
    swarm: {
      maxChunkFloats: 16 + sr.int(49),
      minCompletion: sr.pick([0.5, 0.7, 0.9, 1]),
      deadlineMs: ms(sr, 800, 4000),
      graceMs: ms(sr, 200, 1500),
      scope: sr.bool(0.15) ? "neighbours" : "all",
    },
    timeouts: { joinMs: ms(sr, 1500, 4000), joinRetries: 5, connectMs: ms(sr, 1500, 4000), connectRetries: 6, trainMs: 30_000 },
  };
  const ids = peerIds(peers);
  // The graph the run will build: the same factory and the same stream runScenario gives it.
  const graph = topology({ rng: new SeededRng(seed).split("topology") }).build(ids);
  const schedule = drawSchedule(rng.split("faults"), ids, graph, healRound);
  return { seed, input, schedule };
}

function drawTopology(r: Rng, peers: number): PluginFactory<"topology"> {
  switch (r.int(7)) {
    case 0:
      return ring({ degree: r.pick([2, 4]) });
    case 1:
      return mesh({ degree: r.pick([2, 4]) });
    case 2:
      return full();
    case 3:
      return star();
    case 4:
      return tree({ branching: 1 + r.int(3) });
    case 5:
      return smallWorld({ k: r.pick([2, 4]), beta: r.range(0, 0.5) });
    default:
      return erdosRenyi({ p: Math.min(1, r.range(1, 3) * (Math.log(peers) / peers) + 0.1) });
  }
}

function drawDevices(r: Rng): PluginFactory<"devices"> {
  if (r.bool(0.4)) return uniform(r.pick(deviceProfileNames));
  const names = r.shuffle([...deviceProfileNames]).slice(0, 2 + r.int(3));
  const weights = names.map(() => r.range(0.1, 1));
  const sum = weights.reduce((s, w) => s + w, 0);
  const shares: DeviceShares = {};
  names.forEach((name, i) => (shares[name] = weights[i]! / sum));
  return mix(shares, { jitter: r.range(0, 0.3) });
}

function drawAggregation(r: Rng): PluginFactory<"aggregation"> {
  switch (r.int(6)) {
    case 0:
      return trimmedMean({ trim: r.range(0, 0.3) });
    case 1:
      return median();
    case 2:
      return krum({ f: r.int(2) });
    case 3:
      return multiKrum({ f: 1 });
    default:
      return fedavg();
  }
}

/** A whole number of ms in [lo, hi) (the scenario DSL takes integer durations). */
function ms(r: Rng, lo: number, hi: number): number {
  return Math.floor(r.range(lo, hi));
}

function checkRange(r: PeerRange): void {
  const ok = Number.isInteger(r.min) && Number.isInteger(r.max) && r.min >= 2 && r.min <= r.max && r.max <= voprPeersMax;
  if (!ok) throw new RangeError(`vopr: peer range must be integers 2 ≤ min ≤ max ≤ ${voprPeersMax}, got ${r.min}-${r.max}`);
}
