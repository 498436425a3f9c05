import type { Peer } from "../actors/peer.ts";
import type { MemoryNetwork } from "../net/memory.ts";
import type { LinkProfile } from "../net/transport.ts";
import type { FaultTarget, FaultWorld } from "../plugins/faults/types.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import type { Rng } from "../runtime/rng.ts";
import type { PeerHost } from "./peer-host.ts";

export interface FaultWorldOptions {
  clock: Clock;
  host: PeerHost;
  net: MemoryNetwork | undefined;
  links: ReadonlyMap<string, LinkProfile>;
  log: Logger;
  onState(listener: (peer: string, state: string, round: number) => void): void;
  /** A peer is coming back: the run must not end before `revived` or `failed` follows. */
  comebackPending(peer: string): void;
  /** The comeback happened (a new incarnation is built, about to start) or was dropped (`revived` false). */
  comebackDone(peer: string, revived: boolean): void;
  /** Fault telemetry. */
  report(peer: string, what: string): void;
  /** Building or starting a new incarnation threw: the run fails with this. */
  failed(error: Error): void;
}

/**
 * One handle per peer id that faults hold for the whole run: it acts on the newest incarnation of the peer, and
 * hooks set through it (tampering) carry over to incarnations built after a restart.
 */
class PeerHandle implements FaultTarget {
  private updates: ((before: Float32Array, after: Float32Array) => Float32Array) | undefined;
  private served: ((data: Uint8Array) => Uint8Array) | undefined;

  constructor(
    readonly id: string,
    private readonly host: PeerHost,
  ) {}

  private get peer(): Peer {
    return this.host.peers.find((p) => p.id === this.id)!;
  }

  crash(reason: string): void {
    this.peer.crash(reason);
  }

  leave(): void {
    this.peer.leave();
  }

  tamperUpdates(fn: (before: Float32Array, after: Float32Array) => Float32Array): void {
    this.updates = fn;
    this.peer.tamperUpdates(fn);
  }

  tamperServed(fn: (data: Uint8Array) => Uint8Array): void {
    this.served = fn;
    this.peer.tamperServed(fn);
  }

  /** Carries the hooks over to a new incarnation. */
  rebind(peer: Peer): void {
    if (this.updates) peer.tamperUpdates(this.updates);
    if (this.served) peer.tamperServed(this.served);
  }
}

/** Builds the world fault plugins see (one per fault: each gets its own rng stream; the handles are shared). */
export function faultWorlds(o: FaultWorldOptions): (rng: Rng) => FaultWorld {
  const handles = o.host.peers.map((p) => new PeerHandle(p.id, o.host));
  const byId = new Map(handles.map((h) => [h.id, h]));
  const respawn = (id: string, afterMs: number) => {
    const handle = byId.get(id);
    if (!handle) throw new Error(`respawn: no peer ${id} in this process`);
    o.comebackPending(id);
    o.clock.setTimeout(() => {
      const old = o.host.peers.find((p) => p.id === id)!;
      if (old.finalState !== "failed") {
        o.log.warn(`respawn ${id}: skipped, the peer is ${old.finalState ?? "running"}, not crashed`);
        return o.comebackDone(id, false);
      }
      const work = o.host.rebuild(id).then(async (peer) => {
        handle.rebind(peer);
        o.comebackDone(id, true);
        await peer.start();
      });
      o.clock.track(work).catch((e: unknown) => o.failed(e instanceof Error ? e : new Error(String(e))));
    }, afterMs);
  };
  return (rng) => ({
    clock: o.clock,
    rng,
    peers: handles,
    net: o.net?.faults,
    addressOf: (id) => `mem://${id}`,
    onState: o.onState,
    report: o.report,
    linkOf: (id) => {
      const link = o.links.get(id);
      if (!link) throw new Error(`linkOf: no peer ${id} in this run`);
      return link;
    },
    respawn,
  });
}
