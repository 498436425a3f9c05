import { Peer } from "../actors/peer.ts";
import type { PeerTelemetry } from "../actors/peer-telemetry.ts";
import type { MemoryNetwork } from "../net/memory.ts";
import type { Transport } from "../net/transport.ts";
import { createWebSocketTransport } from "../net/websocket.ts";
import { Shaper } from "../net/shaper.ts";
import type { DeviceProfile } from "../plugins/devices/profiles.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import { SeededRng } from "../runtime/rng.ts";
import { yieldToEventLoop } from "../runtime/yield.ts";
import type { Scenario } from "../scenarios/types.ts";
import { ChunkStore } from "../store/chunk-store.ts";
import type { LocalLearningService } from "../learn/local-service.ts";
import { roundsAheadMax } from "../swarm/limits.ts";
import type { PieceStore } from "../swarm/store-port.ts";
import { setupLearning } from "./learning-setup.ts";
import { PeerSampler } from "../telemetry/peer-sampler.ts";
import type { TelemetryEvent } from "../telemetry/events.ts";
import { peerIds } from "./scenario-data.ts";

export interface PeerHostOptions {
  scenario: Scenario;
  /** The peers this host runs (a slice of the roster when several processes or workers share a run). */
  ids: readonly string[];
  clock: Clock;
  /** Memory network (virtual clock); WebSockets on loopback when absent. */
  net?: MemoryNetwork;
  trackerAddress: string;
  log: Logger;
  telemetry: PeerTelemetry;
  /**
   * Wraps the process's chunk store as the peers see it (every put, get and release of the swarm and of
   * aggregation goes through the result). For simulation checkers (sim/vopr); the host still closes the store
   * itself. @default the store as is
   */
  wrapStore?: (store: PieceStore) => PieceStore;
  /** Sampled piece progress and byte counters of this host's peers, every `sampleEveryMs`. @default not sampled */
  onSample?: (events: TelemetryEvent[]) => void;
  /** Real clock: the address peers listen on and give the tracker (reachable by the other hosts). @default "127.0.0.1" */
  listenHost?: string;
}

/**
 * Runs some of a scenario's peers in this process: one learning service (trainer, data, memo tables) and one
 * chunk store for all of them. Everything a peer draws derives from the scenario seed and the peer id, so a
 * peer behaves the same whichever host runs it and however the roster is sliced.
 */
export class PeerHost {
  readonly peers: Peer[] = [];
  /** Memory transports by peer id: an address is bound once, so a restarted peer takes its old node back. */
  private readonly memoryNodes = new Map<string, Transport>();
  /** Incarnations built per peer id (1 = the original), so a restarted peer draws fresh randomness. */
  private readonly incarnations = new Map<string, number>();
  private readonly sampler: PeerSampler | undefined;

  private constructor(
    private readonly o: PeerHostOptions,
    private readonly store: ChunkStore,
    /** `store` as the peers see it (wrapped by `wrapStore`). */
    private readonly peerStore: PieceStore,
    private readonly learning: LocalLearningService,
    private readonly shards: ReadonlyMap<string, Uint32Array>,
    private readonly devices: ReadonlyMap<string, DeviceProfile>,
  ) {
    this.sampler = o.onSample ? new PeerSampler(o.clock, () => this.peers, o.onSample) : undefined;
  }

  static async create(o: PeerHostOptions): Promise<PeerHost> {
    const s = o.scenario;
    const { learning, shards } = await setupLearning(s, { yieldToLoop: s.clock === "real" ? yieldToEventLoop : undefined });
    // Prune released rounds: SQLite keeps the live window, not every round of a long run.
    const store = await ChunkStore.open(":memory:", { pruneReleased: true });
    const host = new PeerHost(o, store, o.wrapStore ? o.wrapStore(store) : store, learning, shards, assignDevices(s));
    for (const id of o.ids) host.peers.push(await host.build(id));
    return host;
  }

  /**
   * Builds peer `id` again as a new process would (fresh machine and transport; same device, data shard and
   * chunk store) and puts it in `peers` in place of the old one, which must be stopped. Not started: the caller
   * sets its hooks, then calls `start`. The old incarnation's rounds are released from the shared store.
   */
  async rebuild(id: string): Promise<Peer> {
    const at = this.peers.findIndex((p) => p.id === id);
    const old = this.peers[at];
    if (!old) throw new Error(`peer host: no peer ${id} here to rebuild`);
    if (!old.finalState) throw new Error(`peer host: ${id} is still running; only a stopped peer can be rebuilt`);
    await old.close();
    // A crash took the address off the memory network; the new process may listen on it again.
    this.o.net?.faults.restart(`mem://${id}`);
    for (let r = 0; r <= old.round + roundsAheadMax; r++) this.peerStore.release(id, r);
    const peer = await this.build(id);
    this.peers[at] = peer;
    return peer;
  }

  private async build(id: string): Promise<Peer> {
    const { o, devices } = this;
    const s = o.scenario;
    const device = devices.get(id);
    if (!device) throw new Error(`peer host: ${id} is not in scenario "${s.name}" (${s.peers} peers)`);
    const n = (this.incarnations.get(id) ?? 0) + 1;
    this.incarnations.set(id, n);
    let transport: Transport;
    if (o.net) {
      transport = this.memoryNodes.get(id) ?? o.net.node(`mem://${id}`, device);
      this.memoryNodes.set(id, transport);
    } else {
      // Real sockets: the device's uplink rate and latency are emulated in userspace (net/shaper.ts), one bucket
      // per peer shared by all its connections. Downlinks and loss are not (the kernel's TCP is what it is).
      const shaper = new Shaper({ clock: o.clock, uplinkBytesPerSec: device.uplinkBytesPerSec, latencyMs: device.latencyMs });
      transport = await createWebSocketTransport({ clock: o.clock, host: o.listenHost, shaper });
    }
    // The first incarnation's streams are the ones every host derives; a restart gets streams of its own.
    const rng = n === 1 ? new SeededRng(s.seed) : new SeededRng(s.seed).split(`restart:${id}:${n}`);
    return new Peer({
      id,
      swarmId: swarmIdOf(s),
      clock: o.clock,
      rng: rng.split(`peer:${id}`),
      log: o.log.child(n === 1 ? `peer:${id}` : `peer:${id}#${n}`),
      transport,
      trackerAddress: o.trackerAddress,
      store: this.peerStore,
      device,
      scenario: s,
      importance: s.importance({ rng: rng.split(`importance:${id}`) }),
      aggregation: s.aggregation({}),
      learning: this.learning,
      shard: this.shards.get(id)!,
      telemetry: o.telemetry,
    });
  }

  /** Starts every peer (listen, then join). */
  async start(): Promise<void> {
    for (const p of this.peers) await p.start();
    this.sampler?.start();
  }

  async close(): Promise<void> {
    this.sampler?.stop();
    await Promise.allSettled(this.peers.map((p) => p.close()));
    await this.store.close();
  }
}

/** The swarm id both the tracker and the peers use. */
export function swarmIdOf(s: Scenario): string {
  return `${s.name}-${s.seed}`;
}

/** Device per peer id over the whole roster (the same whoever asks). */
export function assignDevices(s: Scenario): Map<string, DeviceProfile> {
  return s.devices({ rng: new SeededRng(s.seed).split("devices") }).assign(peerIds(s.peers));
}
