import { RealClock } from "../runtime/clock.ts";
import { SeededRng } from "../runtime/rng.ts";
import { createWebSocketTransport } from "../net/websocket.ts";
import type { Transport } from "../net/transport.ts";
import { edgesOf } from "../plugins/topology/types.ts";
import { mesh } from "../plugins/topology/mesh.ts";
import { ChunkStore } from "../store/chunk-store.ts";
import { buildManifest, splitPieces } from "../swarm/manifest.ts";
import type { Manifest } from "../swarm/messages.ts";
import { SwarmNode } from "../swarm/node.ts";
import { sha256 } from "../swarm/hash.ts";
import { measureRawLoopback } from "../bench/loopback-raw.ts";
import { updateBytes } from "./allgather.ts";

/**
 * The virtual all-gather (sim/allgather.ts) over real sockets: every peer gets its own Bun WebSocket transport
 * on 127.0.0.1 in this process, a RealClock, and one ChunkStore(":memory:") shared by all peers.
 *
 *   node_modules/.bin/bun sim/allgather-real.ts [peers] [modelBytes] [pieceBytes] [degree] [--raw]
 */
export interface LoopbackAllGatherConfig {
  peers: number;
  modelBytes: number;
  pieceBytes: number;
  seed: number;
  /** Mesh degree (random regular graph). @default 6 */
  degree?: number;
  /** The whole run (listen, dial, swarm) must end by then. @default 120000 */
  timeoutMs?: number;
  /** Sees the nodes once they exist (tests use it to inspect state before close). */
  inspect?: (nodes: readonly SwarmNode[], ids: readonly string[]) => void;
}

export interface LoopbackAllGatherResult {
  peers: number;
  /** Σ usefulIn over peers: peers × (peers − 1) × modelBytes when every peer completed. */
  payloadBytes: number;
  /** Wall ms from the end of the last publish until the last peer completed round 0 (see runLoopbackAllGather). */
  ms: number;
  goodputBytesPerSec: number;
  completedPeers: number;
  /** Σ duplicateIn / Σ usefulIn. */
  duplicateRatio: number;
  /** (Σ message bytes out − Σ payload out) / Σ payload out, from the nodes' counters (see runLoopbackAllGather). */
  overheadRatio: number;
  /** Connections in the mesh (one per edge). */
  edges: number;
}

const defaultDegree = 6;
const defaultTimeoutMs = 120_000;

/**
 * Runs one all-gather over real loopback WebSockets. Every peer listens, dials its mesh neighbours (edgesOf: the
 * lower-ranked peer dials), and the run waits until every session has finished its hello. Then every peer
 * begins round 0 and publishes its update (manifests are built and hashed before that). Nothing is delivered
 * during that synchronous publish loop, so the swarm starts when it ends.
 *
 * Timed: from the end of the publish loop until the last peer's `complete` event for round 0 — the swarm
 * only: manifest flooding, bitfields, requests, pieces, hash checks, store puts and SQLite flushes. Not timed:
 * listening, dialling, hellos, building updates and manifests, publishing, closing.
 *
 * overheadRatio: from the nodes' SwarmCounters (wireOut = encoded msgpack frames over the whole run, hellos
 * included). It excludes WebSocket framing (2–14 bytes a frame) and TCP/IP headers.
 *
 * Every node, transport and the store are closed on every path. Rejects when `timeoutMs` passes, naming how many
 * peers completed.
 */
export async function runLoopbackAllGather(cfg: LoopbackAllGatherConfig): Promise<LoopbackAllGatherResult> {
  const { peers, modelBytes, pieceBytes, seed } = cfg;
  for (const [name, v] of Object.entries({ peers, modelBytes, pieceBytes })) {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`runLoopbackAllGather: ${name} must be a positive integer, got ${v}`);
  }
  const degree = cfg.degree ?? defaultDegree;
  const timeoutMs = cfg.timeoutMs ?? defaultTimeoutMs;
  const clock = new RealClock();
  const rng = new SeededRng(seed);
  const ids = Array.from({ length: peers }, (_, i) => `p${String(i).padStart(4, "0")}`);
  const byId = new Map(ids.map((id, i) => [id, i]));
  const graph = mesh({ degree })({ rng: rng.split("topology") }).build(ids);
  const edges = edgesOf(graph, ids);
  const swarmId = `allgather-real-${seed}`;

  let completed = 0;
  let opened = 0;
  /** Wakes the phase waiting on progress (sessions opening, peers completing) or failing. */
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    wake?.();
  };
  const transports: Transport[] = [];
  const nodes: SwarmNode[] = [];
  let store: ChunkStore | undefined;
  const deadline = performance.now() + timeoutMs;
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;

  /** Resolves once `done()` holds; rejects on a failure or the deadline. */
  const until = (done: () => boolean, what: () => string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (failure) return reject(failure);
        if (performance.now() >= deadline) return reject(new Error(`allgather-real: timed out after ${timeoutMs} ms ${what()}`));
        if (done()) {
          wake = undefined;
          resolve();
        }
      };
      wake = check;
      clearTimeout(deadlineTimer);
      deadlineTimer = setTimeout(check, Math.max(0, deadline - performance.now()) + 1);
      check();
    });

  try {
    store = await ChunkStore.open(":memory:");
    const sharedStore = store;
    for (const id of ids) {
      nodes.push(
        new SwarmNode(
          { peerId: id, swarmId, clock, rng: rng.split(`peer:${id}`), store: sharedStore },
          {
            sessionOpened: () => {
              opened++;
              wake?.();
            },
            complete: (round) => {
              if (round !== 0) return;
              completed++;
              wake?.();
            },
            ban: (peer, reason) => fail(new Error(`allgather-real: a peer banned ${peer}: ${reason}`)),
          },
        ),
      );
    }
    cfg.inspect?.(nodes, ids);
    for (let i = 0; i < peers; i++) transports.push(await createWebSocketTransport({ clock }));
    const addresses = await Promise.all(transports.map((t, i) => t.listen((conn) => void nodes[i]!.addConn(conn))));

    for (const [a, b] of edges) {
      const ia = byId.get(a)!;
      transports[ia]!
        .dial(addresses[byId.get(b)!]!)
        .then((conn) => void nodes[ia]!.addConn(conn))
        .catch((e: Error) => fail(new Error(`allgather-real: ${a} could not dial ${b}: ${e.message}`)));
    }
    await until(
      () => opened === 2 * edges.length,
      () => `while connecting: ${opened} of ${2 * edges.length} session ends open`,
    );

    // Updates and manifests (SHA-256 of every piece) are prepared outside the timed part.
    const layoutHash = sha256(new TextEncoder().encode(`bytes:${modelBytes}:${pieceBytes}`));
    const updates: Array<{ manifest: Manifest; pieces: Uint8Array[] }> = ids.map((id) => {
      const pieces = splitPieces(updateBytes(rng.split(`update:${id}`), modelBytes), pieceBytes);
      return { manifest: buildManifest({ round: 0, origin: id, layoutHash, sampleCount: 1, pieces }), pieces };
    });
    const chunksPerOrigin = updates[0]!.pieces.length;
    for (const n of nodes) n.beginRound(0, ids, chunksPerOrigin);
    for (let i = 0; i < peers; i++) nodes[i]!.publish(updates[i]!.manifest, updates[i]!.pieces);
    const t0 = performance.now();

    await until(
      () => completed === peers,
      () => `with ${completed} of ${peers} peers complete (${modelBytes} B model, ${pieceBytes} B pieces, degree ${degree})`,
    );
    const ms = Math.max(...nodes.map((n) => n.completedAt(0)!)) - (performance.timeOrigin + t0);

    let useful = 0;
    let dup = 0;
    for (const n of nodes) {
      useful += n.counters.usefulIn;
      dup += n.counters.duplicateIn;
    }
    let bytesOut = 0;
    let payloadOut = 0;
    for (const n of nodes) {
      bytesOut += n.counters.wireOut;
      payloadOut += n.counters.payloadOut;
    }
    return {
      peers,
      edges: edges.length,
      payloadBytes: useful,
      ms,
      goodputBytesPerSec: (useful / ms) * 1000,
      completedPeers: completed,
      duplicateRatio: useful ? dup / useful : 0,
      overheadRatio: payloadOut ? (bytesOut - payloadOut) / payloadOut : 0,
    };
  } finally {
    clearTimeout(deadlineTimer);
    wake = undefined;
    for (const n of nodes) n.close();
    await Promise.allSettled(transports.map((t) => t.close()));
    await store?.close();
  }
}

export interface LoopbackCaseResult {
  peers: number;
  payloadBytes: number;
  goodputBytesPerSec: number;
  /** What bare Bun WebSockets move on this host: same frame size, one connection per mesh edge, same bytes. */
  rawSocketBytesPerSec: number;
  /** goodputBytesPerSec / rawSocketBytesPerSec. */
  goodputRatio: number;
  /** The swarm run behind the numbers above. */
  swarm: LoopbackAllGatherResult;
}

/** msgpack and codec headers of a piece frame ([10, round, origin, index, bin32 data]), rounded up. */
const pieceHeaderBytes = 32;

/**
 * Runs the loopback all-gather, then the raw-socket ceiling for it: measureRawLoopback with frames of one piece
 * plus its header, one connection per mesh edge, and the same payload bytes.
 */
export async function loopbackCase(opts: LoopbackAllGatherConfig): Promise<LoopbackCaseResult> {
  const swarm = await runLoopbackAllGather(opts);
  // The swarm leaves gigabytes of garbage and closing sockets behind; without this the raw run after it reads
  // 30–60 % low (measured on a 2-core host), which would flatter goodputRatio.
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const raw = await measureRawLoopback({ pairs: swarm.edges, frameBytes: opts.pieceBytes + pieceHeaderBytes, totalBytes: swarm.payloadBytes });
  return {
    peers: swarm.peers,
    payloadBytes: swarm.payloadBytes,
    goodputBytesPerSec: swarm.goodputBytesPerSec,
    rawSocketBytesPerSec: raw.bytesPerSec,
    goodputRatio: swarm.goodputBytesPerSec / raw.bytesPerSec,
    swarm,
  };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const withRaw = args.includes("--raw");
  const [peers = 16, modelBytes = 4_000_000, pieceBytes = 65_536, degree = defaultDegree] = args.filter((a) => !a.startsWith("--")).map(Number);
  const cfg = { peers, modelBytes, pieceBytes, degree, seed: 1 };
  const mb = (b: number) => Math.round((b / 1e6) * 10) / 10;
  if (withRaw) {
    const r = await loopbackCase(cfg);
    console.log(
      JSON.stringify({
        ...cfg,
        ms: Math.round(r.swarm.ms),
        goodputMBps: mb(r.goodputBytesPerSec),
        rawMBps: mb(r.rawSocketBytesPerSec),
        goodputRatio: Math.round(r.goodputRatio * 1000) / 1000,
        duplicateRatio: r.swarm.duplicateRatio,
        overheadRatio: r.swarm.overheadRatio,
      }),
    );
  } else {
    const r = await runLoopbackAllGather(cfg);
    console.log(JSON.stringify({ ...cfg, ...r, goodputMBps: mb(r.goodputBytesPerSec) }));
  }
}
