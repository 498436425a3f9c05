/**
 * A peer's links to its neighbours: which sessions are open, which neighbours are ours to dial (they joined
 * before us: the tracker hands us their addresses; later ones dial us), dialling them, and redialling a lost one
 * with backoff (actors/redialer.ts). The side that accepted waits to be redialled, so each link has one owner.
 */
import type { Conn, Transport } from "../net/transport.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import { Redialer, redialCapMs } from "./redialer.ts";

export interface NeighbourLinksOptions {
  clock: Clock;
  transport: Transport;
  log: Logger;
  /** The scenario's connect timeout: redials back off to half of it. */
  connectMs: number;
  /** Hands a dialled connection to the swarm (which runs the handshake). */
  addConn(conn: Conn): void;
  /** Whether the peer still wants new links (not stopped, not finished): redials stop otherwise. */
  running(): boolean;
  /** Whether the peer has closed: a dial that completes after that is closed at once. */
  stopped(): boolean;
  /** Neighbours never to redial: banned, or gone according to the tracker (a gone one that is back dials us). */
  shunned(peerId: string): boolean;
}

export class NeighbourLinks {
  /** Neighbours that joined before us, with their addresses: ours to dial. */
  private targets: Array<{ peerId: string; address: string }> = [];
  private readonly open = new Set<string>();
  private readonly redialer: Redialer;

  constructor(private readonly o: NeighbourLinksOptions) {
    this.redialer = new Redialer(o.clock, {
      wanted: (peerId) => o.running() && !this.open.has(peerId) && !o.shunned(peerId) && this.targetOf(peerId) !== undefined,
      dial: (peerId) => this.dial(peerId),
      maxMs: redialCapMs(o.connectMs),
    });
  }

  /** Sessions open now (handshake done). */
  get openCount(): number {
    return this.open.size;
  }

  /** The admission named the neighbours that joined before us. */
  setTargets(neighbours: ReadonlyArray<{ peerId: string; address: string }>, self: string): void {
    this.targets = neighbours.filter((n) => n.peerId !== self);
  }

  /** Dials every target without a session yet (`connected`: the peers the swarm holds sessions with). */
  connectAll(connected: Iterable<string>): void {
    const have = new Set(connected);
    for (const n of this.targets) if (!have.has(n.peerId)) this.dial(n.peerId);
  }

  /** A session's handshake completed. */
  opened(peerId: string): void {
    this.open.add(peerId);
    this.redialer.connected(peerId);
  }

  /**
   * A session closed; `label` is the peer id, or the address dialled when it closed before its handshake (a link
   * still ours to redial). Returns whether it was an open session (the machine hears `link.down`).
   */
  closed(label: string): boolean {
    if (this.open.delete(label)) {
      this.redialer.schedule(label);
      return true;
    }
    const dialled = this.targets.find((n) => n.address === label);
    if (dialled) this.redialer.schedule(dialled.peerId);
    return false;
  }

  stop(): void {
    this.redialer.stop();
  }

  private targetOf(peerId: string): { peerId: string; address: string } | undefined {
    return this.targets.find((n) => n.peerId === peerId);
  }

  private dial(peerId: string): void {
    const target = this.targetOf(peerId);
    if (!target) return;
    this.o.transport.dial(target.address).then(
      (conn) => {
        if (this.o.stopped()) return conn.close("peer closed");
        this.o.addConn(conn);
      },
      (e: Error) => {
        this.o.log.info(`could not dial ${peerId}: ${e.message}`);
        this.redialer.schedule(peerId);
      },
    );
  }
}
