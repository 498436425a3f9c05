import type { Logger } from "../runtime/log.ts";
import { silentLogger } from "../runtime/log.ts";
import type { Graph } from "../plugins/topology/types.ts";
import type { Conn, Transport } from "../net/transport.ts";
import { ProtocolError } from "../swarm/protocol-error.ts";
import { decodeTracker, encodeTracker, type TrackerMessage } from "./tracker-codec.ts";

export interface TrackerOptions {
  swarmId: string;
  /** Shared token a peer must present. @default "" */
  auth?: string;
  scenario: string;
  /** Every peer id the run admits. */
  roster: readonly string[];
  /** Neighbours per peer (the topology plugin's graph over the roster). */
  graph: Graph;
  /** Seed of the common initial model, handed to every peer. */
  modelSeed: number;
  transport: Transport;
  log?: Logger;
}

/**
 * Rendezvous only (DESIGN §1): admits peers of the roster, tells each its neighbours that already joined (it
 * dials them; later ones dial it), and hands out the scenario name and the initial-model seed. It also tells the
 * admitted peers when one's link drops (gone) and when it is admitted again (back): a hint about whom to wait
 * for, never a barrier. It never sees a weight: once peers are connected it can die and the run goes on (rounds
 * then wait out their deadlines for dead origins, as without it).
 */
export class Tracker {
  private readonly joined = new Map<string, string>();
  private readonly conns = new Set<Conn>();
  /** Each admitted peer's current link, and back: a restarted peer's new link replaces the old one. */
  private readonly linkOf = new Map<string, Conn>();
  private readonly peerOf = new Map<Conn, string>();
  /** Admitted peers whose link dropped and who have not been admitted again. */
  private readonly gone = new Set<string>();
  private readonly roster: Set<string>;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly opts: TrackerOptions) {
    this.roster = new Set(opts.roster);
    this.log = opts.log ?? silentLogger;
    for (const [peer, ns] of opts.graph) {
      if (!this.roster.has(peer)) throw new Error(`tracker: graph names ${peer}, who is not in the roster`);
      for (const n of ns) if (!this.roster.has(n)) throw new Error(`tracker: graph gives ${peer} a neighbour ${n} not in the roster`);
    }
  }

  /** Starts listening; resolves with the address peers dial. */
  start(): Promise<string> {
    return this.opts.transport.listen((conn) => this.accept(conn));
  }

  get address(): string {
    return this.opts.transport.address;
  }

  /** Peers admitted so far (restarts count once). */
  get admitted(): number {
    return this.joined.size;
  }

  /** Stops the tracker (a test of "peers go on without it", or shutdown). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.conns) c.close("tracker stopped");
    await this.opts.transport.close();
  }

  private accept(conn: Conn): void {
    this.conns.add(conn);
    conn.attach({
      frame: (f) => this.onFrame(conn, f),
      close: () => this.onClose(conn),
    });
  }

  /** A peer whose current link drops is gone for the others until it is admitted again. */
  private onClose(conn: Conn): void {
    this.conns.delete(conn);
    const peer = this.peerOf.get(conn);
    this.peerOf.delete(conn);
    if (peer === undefined || this.stopped || this.linkOf.get(peer) !== conn) return;
    this.linkOf.delete(peer);
    this.gone.add(peer);
    this.log.debug(`${peer} is gone`);
    this.broadcast({ t: "gone", peerId: peer });
  }

  private broadcast(msg: TrackerMessage): void {
    const frame = encodeTracker(msg);
    for (const c of this.linkOf.values()) c.send(frame);
  }

  private onFrame(conn: Conn, frame: Uint8Array): void {
    let msg: TrackerMessage;
    try {
      msg = decodeTracker(frame);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.log.warn(`bad frame from ${conn.remoteAddress}: ${e.message}`);
      return conn.close(`protocol error: ${e.message}`);
    }
    if (msg.t !== "join") return this.refuse(conn, `unexpected ${msg.t} message`);
    if (msg.swarmId !== this.opts.swarmId) return this.refuse(conn, `wrong swarm ${JSON.stringify(msg.swarmId)}`);
    if (msg.auth !== (this.opts.auth ?? "")) return this.refuse(conn, "bad auth");
    if (!this.roster.has(msg.peerId)) return this.refuse(conn, `peer ${msg.peerId} is not in this run's roster`);
    const rejoin = this.joined.has(msg.peerId);
    this.joined.set(msg.peerId, msg.address);
    const old = this.linkOf.get(msg.peerId);
    if (old !== undefined && old !== conn) this.peerOf.delete(old); // a new incarnation takes the peer's link over
    this.linkOf.set(msg.peerId, conn);
    this.peerOf.set(conn, msg.peerId);
    const all = this.opts.graph.get(msg.peerId) ?? [];
    const neighbours = all.filter((n) => this.joined.has(n) && n !== msg.peerId).map((n) => ({ peerId: n, address: this.joined.get(n)! }));
    this.log.debug(`${rejoin ? "re-admitted" : "admitted"} ${msg.peerId} (${neighbours.length} of ${all.length} neighbours joined)`);
    conn.send(
      encodeTracker({
        t: "admit",
        round: 0,
        modelSeed: this.opts.modelSeed,
        scenario: this.opts.scenario,
        roster: [...this.opts.roster],
        neighbours,
        expectedNeighbours: all.length,
        neighbourIds: [...all],
      }),
    );
    // The newcomer learns who is gone; the others learn that this one is back.
    for (const g of this.gone) if (g !== msg.peerId) conn.send(encodeTracker({ t: "gone", peerId: g }));
    if (this.gone.delete(msg.peerId)) {
      const frame = encodeTracker({ t: "back", peerId: msg.peerId });
      for (const [p, c] of this.linkOf) if (p !== msg.peerId) c.send(frame);
    }
  }

  private refuse(conn: Conn, reason: string): void {
    this.log.warn(`refused ${conn.remoteAddress}: ${reason}`);
    conn.send(encodeTracker({ t: "reject", reason }));
    conn.close(reason);
  }
}
