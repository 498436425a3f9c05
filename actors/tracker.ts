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
 * dials them; later ones dial it), and hands out the scenario name and the initial-model seed. It never sees a
 * weight and holds no round barrier: once peers are connected it can die and the run goes on.
 */
export class Tracker {
  private readonly joined = new Map<string, string>();
  private readonly conns = new Set<Conn>();
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
      close: () => void this.conns.delete(conn),
    });
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
  }

  private refuse(conn: Conn, reason: string): void {
    this.log.warn(`refused ${conn.remoteAddress}: ${reason}`);
    conn.send(encodeTracker({ t: "reject", reason }));
    conn.close(reason);
  }
}
