import { createHash } from "node:crypto";
import { VirtualClock } from "../runtime/clock.ts";
import { SeededRng, type Rng } from "../runtime/rng.ts";
import { MemoryNetwork } from "../net/memory.ts";
import type { LinkProfile } from "../net/transport.ts";
import { edgesOf, type TopologyFactory } from "../plugins/topology/types.ts";
import { mesh } from "../plugins/topology/mesh.ts";
import { ChunkStore } from "../store/chunk-store.ts";
import { buildManifest, splitPieces } from "../swarm/manifest.ts";
import { SwarmNode, type SwarmNodeOptions } from "../swarm/node.ts";
import { sha256 } from "../swarm/hash.ts";
import { allGatherLowerBoundMs } from "./lower-bound.ts";

export interface AllGatherConfig {
  name: string;
  peers: number;
  modelBytes: number;
  pieceBytes: number;
  seed: number;
  /** @default mesh({ degree: 6 }) */
  topology?: TopologyFactory;
  /** Link of peer i (may draw from rng for mixes). */
  link: (i: number, rng: Rng) => LinkProfile;
  /** Give up after this much virtual time. @default 1 hour */
  maxVirtualMs?: number;
  swarm?: Pick<SwarmNodeOptions, "picker" | "choker" | "timing">;
  /** Called with the network and nodes before the run starts (fault injection in tests). */
  setup?: (ctx: { net: MemoryNetwork; nodes: SwarmNode[]; ids: string[]; clock: VirtualClock }) => void;
}

export interface AllGatherResult {
  name: string;
  peers: number;
  modelBytes: number;
  pieceBytes: number;
  seed: number;
  /** Virtual ms until the last peer held every piece (undefined if the run gave up). */
  completionMs: number | undefined;
  lowerBoundMs: number;
  ratio: number | undefined;
  duplicateRatio: number;
  overheadRatio: number;
  completedPeers: number;
  /** SHA-256 over every verified piece event (time, peer, origin, index) in order: equal iff the runs were equal. */
  traceHash: string;
  events: number;
  wallMs: number;
  storeMemoryBytes: number;
  strikes: number;
  bans: number;
}

/** Pseudo-random model update bytes for a peer (deterministic from the rng). */
export function updateBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >> 2);
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(rng.next() * 4294967296);
  for (let i = words.length * 4; i < n; i++) out[i] = rng.int(256);
  return out;
}

/**
 * Runs one all-gather in virtual time: every peer publishes a model-sized update and needs every other peer's.
 * Real codec, real hashes, real SQLite chunk store (in memory), emulated links.
 */
export async function runVirtualAllGather(cfg: AllGatherConfig): Promise<AllGatherResult> {
  const wall0 = performance.now();
  const clock = new VirtualClock();
  const rng = new SeededRng(cfg.seed);
  const net = new MemoryNetwork({ clock, rng: rng.split("net") });
  const store = await ChunkStore.open(":memory:");
  const ids = Array.from({ length: cfg.peers }, (_, i) => `p${String(i).padStart(4, "0")}`);
  const linkRng = rng.split("links");
  const links = ids.map((_, i) => cfg.link(i, linkRng));
  const graph = (cfg.topology ?? mesh({ degree: 6 }))({ rng: rng.split("topology") }).build(ids);
  const trace = createHash("sha256");
  let events = 0;
  let completed = 0;
  const swarmId = `allgather-${cfg.seed}`;

  const transports = ids.map((id, i) => net.node(`mem://${id}`, links[i]!));
  const nodes = ids.map(
    (id) =>
      new SwarmNode(
        { peerId: id, swarmId, clock, rng: rng.split(`peer:${id}`), store, ...cfg.swarm },
        {
          piece: (_r, origin, index) => {
            events++;
            trace.update(`${clock.now()}|${id}|${origin}|${index}\n`);
          },
          complete: () => void completed++,
        },
      ),
  );
  await Promise.all(transports.map((t, i) => t.listen((conn) => nodes[i]!.addConn(conn))));

  const byId = new Map(ids.map((id, i) => [id, i]));
  for (let i = 0; i < ids.length; i++) {
    const node = nodes[i]!;
    const data = updateBytes(rng.split(`update:${ids[i]}`), cfg.modelBytes);
    const pieces = splitPieces(data, cfg.pieceBytes);
    node.beginRound(0, ids, pieces.length);
    node.publish(
      buildManifest({ round: 0, origin: ids[i]!, layoutHash: sha256(new TextEncoder().encode(`bytes:${cfg.modelBytes}:${cfg.pieceBytes}`)), sampleCount: 1, pieces }),
      pieces,
    );
  }
  for (const [a, b] of edgesOf(graph, ids)) {
    const ia = byId.get(a)!;
    transports[ia]!
      .dial(`mem://${b}`)
      .then((conn) => nodes[ia]!.addConn(conn))
      .catch((e: Error) => {
        throw new Error(`allgather: ${a} could not dial ${b}: ${e.message}`);
      });
  }
  cfg.setup?.({ net, nodes, ids, clock });

  await clock.run({ stopWhen: () => completed === cfg.peers, untilMs: cfg.maxVirtualMs ?? 3_600_000 });
  const completionTimes = nodes.map((n) => n.completedAt(0));
  const done = completionTimes.every((t) => t !== undefined);
  const completionMs = done ? Math.max(...(completionTimes as number[])) : undefined;
  for (const n of nodes) n.close();

  let useful = 0;
  let dup = 0;
  let payloadOut = 0;
  let strikes = 0;
  let bans = 0;
  for (const n of nodes) {
    useful += n.counters.usefulIn;
    dup += n.counters.duplicateIn;
    payloadOut += n.counters.payloadOut;
    strikes += n.counters.strikes;
    bans += n.counters.bans;
  }
  let wire = 0;
  for (const id of ids) wire += net.stats(`mem://${id}`).bytesSent;
  const lowerBoundMs = allGatherLowerBoundMs(cfg.modelBytes, links);
  const storeMemoryBytes = store.memoryBytes;
  await store.close();
  return {
    name: cfg.name,
    peers: cfg.peers,
    modelBytes: cfg.modelBytes,
    pieceBytes: cfg.pieceBytes,
    seed: cfg.seed,
    completionMs,
    lowerBoundMs,
    ratio: completionMs === undefined ? undefined : completionMs / lowerBoundMs,
    duplicateRatio: useful ? dup / useful : 0,
    overheadRatio: payloadOut ? (wire - payloadOut) / payloadOut : 0,
    completedPeers: completionTimes.filter((t) => t !== undefined).length,
    traceHash: trace.digest("hex"),
    events,
    wallMs: performance.now() - wall0,
    storeMemoryBytes,
    strikes,
    bans,
  };
}
