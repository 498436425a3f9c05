import { Peer } from "../actors/peer.ts";
import type { PeerTelemetry } from "../actors/peer-telemetry.ts";
import type { MemoryNetwork } from "../net/memory.ts";
import type { Transport } from "../net/transport.ts";
import { createWebSocketTransport } from "../net/websocket.ts";
import type { DeviceProfile } from "../plugins/devices/profiles.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import { SeededRng } from "../runtime/rng.ts";
import { yieldToEventLoop } from "../runtime/yield.ts";
import type { Scenario } from "../scenarios/types.ts";
import { ChunkStore } from "../store/chunk-store.ts";
import { setupLearning } from "./learning-setup.ts";
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
}

/**
 * Runs some of a scenario's peers in this process: one learning service (trainer, data, memo tables) and one
 * chunk store for all of them. Everything a peer draws derives from the scenario seed and the peer id, so a
 * peer behaves the same whichever host runs it and however the roster is sliced.
 */
export class PeerHost {
  private constructor(
    readonly peers: Peer[],
    private readonly store: ChunkStore,
  ) {}

  static async create(o: PeerHostOptions): Promise<PeerHost> {
    const s = o.scenario;
    const rng = new SeededRng(s.seed);
    const { learning, shards } = await setupLearning(s, { yieldToLoop: s.clock === "real" ? yieldToEventLoop : undefined });
    const devices = assignDevices(s);
    // Prune released rounds: SQLite keeps the live window, not every round of a long run.
    const store = await ChunkStore.open(":memory:", { pruneReleased: true });
    const peers: Peer[] = [];
    for (const id of o.ids) {
      const device = devices.get(id);
      if (!device) throw new Error(`peer host: ${id} is not in scenario "${s.name}" (${s.peers} peers)`);
      const transport: Transport = o.net ? o.net.node(`mem://${id}`, device) : await createWebSocketTransport({ clock: o.clock });
      peers.push(
        new Peer({
          id,
          swarmId: swarmIdOf(s),
          clock: o.clock,
          rng: rng.split(`peer:${id}`),
          log: o.log.child(`peer:${id}`),
          transport,
          trackerAddress: o.trackerAddress,
          store,
          device,
          scenario: s,
          importance: s.importance({ rng: rng.split(`importance:${id}`) }),
          aggregation: s.aggregation({}),
          learning,
          shard: shards.get(id)!,
          telemetry: o.telemetry,
        }),
      );
    }
    return new PeerHost(peers, store);
  }

  /** Starts every peer (listen, then join). */
  async start(): Promise<void> {
    for (const p of this.peers) await p.start();
  }

  async close(): Promise<void> {
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
