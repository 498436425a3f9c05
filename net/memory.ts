/**
 * In-memory Transport on a virtual clock, emulating each node's access link, for the deterministic simulator.
 *
 * Link model (per node, shared by all its conns). A frame of wire size B = byteLength + frameOverheadBytes sent
 * from a to b at time t, with one-way latency lat = latencyMs_a + latencyMs_b and rates already cut by loss:
 *   upStart   = max(t, upFree[a]);              upFinish = upStart + B / up_a;   upFree[a] = upFinish
 *   reach     = upFinish + lat                  (store-and-forward per frame: an event at this instant)
 *   downStart = max(reach, downFree[b]);        deliverAt = downFree[b] = downStart + B / down_b
 * The downlink serves frames in arrival order, so several slow uplinks into one fast downlink add up (what
 * swarming relies on) while several fast uplinks into one slow downlink share it.
 * A conn's bytes count in `bufferedBytes` until upFinish: the sender's uplink has taken them (ordinary TCP
 * buffers); a slow receiver is protected by the requester's pipeline, not by the sender's buffer.
 * Deliveries on a conn are FIFO: a delayed frame holds back the ones behind it, as on a reliable stream.
 *
 * Determinism: time comes only from the clock, ties fire in scheduling order, iteration is in insertion order.
 */
import type { Clock } from "../runtime/clock.ts";
import type { Rng } from "../runtime/rng.ts";
import { type ConnHost, MemoryConn } from "./memory-conn.ts";
import { type LinkFaultState, type MemoryFaults, MemoryFaultsImpl } from "./memory-faults.ts";
import type { Conn, LinkProfile, Transport } from "./transport.ts";

export type { FilterVerdict, FrameEvent, FrameFilter, MemoryFaults } from "./memory-faults.ts";

export interface MemoryNetworkOptions {
  clock: Clock;
  /** Source for randomised faults; the link model itself draws nothing. */
  rng: Rng;
  /** Per-frame framing bytes added to the wire size, like a WebSocket header. @default 6 */
  frameOverheadBytes?: number;
}

export interface MemoryStats {
  /** Wire bytes (payload + framing) that entered this node's uplink. */
  bytesSent: number;
  /** Wire bytes delivered to this node's conns. */
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
}

/** Framing of a WebSocket binary frame of 126..65535 bytes from server to client. */
export const frameOverheadBytesDefault = 6;
/** Scheme of memory addresses, so a memory address is never mistaken for a WebSocket URL. */
export const memoryScheme = "mem://";

/** @internal node state; also the node's Transport. */
export class MemoryNode implements Transport {
  /** Milliseconds per wire byte on each direction, loss included. */
  upMsPerByte = 0;
  downMsPerByte = 0;
  upFreeMs = 0;
  downFreeMs = 0;
  crashed = false;
  listener: ((conn: Conn) => void) | undefined;
  readonly conns = new Set<MemoryConn>();
  readonly stats: MemoryStats = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };
  private nextConnId = 1;

  constructor(
    private readonly net: MemoryNetwork,
    readonly address: string,
    public link: LinkProfile,
  ) {
    this.setLink(link);
  }

  setLink(link: LinkProfile): void {
    validateLink(this.address, link);
    const keep = 1 - (link.loss ?? 0);
    this.link = { ...link };
    this.upMsPerByte = 1000 / (link.uplinkBytesPerSec * keep);
    this.downMsPerByte = 1000 / (link.downlinkBytesPerSec * keep);
  }

  connId(): string {
    return `${this.address}#${this.nextConnId++}`;
  }

  listen(onConn: (conn: Conn) => void): Promise<string> {
    if (this.crashed) return Promise.reject(new Error(`mem: ${this.address} is crashed and cannot listen`));
    this.listener = onConn;
    return Promise.resolve(this.address);
  }

  dial(address: string): Promise<Conn> {
    return this.net.dialFrom(this, address);
  }

  close(): Promise<void> {
    this.listener = undefined;
    for (const c of [...this.conns]) c.close("closed");
    return Promise.resolve();
  }
}

export class MemoryNetwork {
  readonly faults: MemoryFaults;
  private readonly faultsImpl: MemoryFaultsImpl;
  readonly clock: Clock;
  readonly rng: Rng;
  private readonly overheadBytes: number;
  private readonly nodes = new Map<string, MemoryNode>();
  private readonly state: LinkFaultState;
  private readonly host: ConnHost;

  constructor(opts: MemoryNetworkOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    const overhead = opts.frameOverheadBytes ?? frameOverheadBytesDefault;
    if (!(Number.isInteger(overhead) && overhead >= 0)) {
      throw new RangeError(`mem: frameOverheadBytes must be an integer ≥ 0, got ${overhead}`);
    }
    this.overheadBytes = overhead;
    this.faults = this.faultsImpl = new MemoryFaultsImpl(this.clock, this.nodes, (conn, frame, delayMs, bytes) =>
      this.transmit(conn, frame, delayMs, bytes),
    );
    this.state = this.faultsImpl.state;
    this.host = {
      clock: this.clock,
      sendFrame: (conn, frame) => this.sendFrame(conn, frame),
      closeFrom: (conn, reason) => this.closeFrom(conn, reason),
      received: (conn, frame) => this.received(conn, frame),
    };
  }

  /** Creates a node's transport bound to `address` with its access link. Throws if the address is taken. */
  node(address: string, link: LinkProfile): Transport {
    if (!address.startsWith(memoryScheme) || address.length === memoryScheme.length) {
      throw new Error(`mem: address must look like ${memoryScheme}name, got "${address}"`);
    }
    if (this.nodes.has(address)) throw new Error(`mem: address ${address} is already taken`);
    const n = new MemoryNode(this, address, link);
    this.nodes.set(address, n);
    return n;
  }

  stats(address: string): MemoryStats {
    const n = this.nodes.get(address);
    if (!n) throw new Error(`mem: no node at ${address}`);
    return { ...n.stats };
  }

  /** @internal */
  dialFrom(from: MemoryNode, address: string): Promise<Conn> {
    const to = this.nodes.get(address);
    const rttMs = 2 * (from.link.latencyMs + (to?.link.latencyMs ?? 0));
    let resolve!: (c: Conn) => void;
    let reject!: (e: Error) => void;
    const p = new Promise<Conn>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.clock.setTimeout(() => {
      const why = this.unreachable(from, to, address);
      if (why !== undefined) reject(new Error(`mem: cannot dial ${address} from ${from.address}: ${why}`));
      else {
        const [mine, theirs] = this.connect(from, to!);
        to!.listener!(theirs);
        resolve(mine);
      }
      // Still pending when the loop looks after this event (one hop later), so the virtual loop settles
      // every continuation of the dial, however deep, before it fires the next event.
      this.clock.track(p.then(ignore, ignore));
    }, rttMs);
    return p;
  }

  private unreachable(from: MemoryNode, to: MemoryNode | undefined, address: string): string | undefined {
    if (from.crashed) return "dialer is crashed";
    if (!to) return "no node there";
    if (to.crashed) return `${address} is crashed`;
    if (!to.listener) return `nothing listens at ${address}`;
    if (this.faultsImpl.partitioned(from.address, to.address)) return "partitioned";
    return undefined;
  }

  private connect(a: MemoryNode, b: MemoryNode): [MemoryConn, MemoryConn] {
    const ca = new MemoryConn(this.host, a.connId(), a.address, b.address);
    const cb = new MemoryConn(this.host, b.connId(), b.address, a.address);
    ca.peer = cb;
    cb.peer = ca;
    ca.clogged = this.faultsImpl.clogged(a.address, b.address);
    cb.clogged = this.faultsImpl.clogged(b.address, a.address);
    const now = this.clock.now();
    ca.lastDeliverAt = cb.lastDeliverAt = ca.lastTakenAt = cb.lastTakenAt = now;
    a.conns.add(ca);
    b.conns.add(cb);
    return [ca, cb];
  }

  private sendFrame(conn: MemoryConn, frame: Uint8Array): void {
    if (conn.severed) return; // the close is on its way
    const filter = this.state.filter;
    let verdict: ReturnType<NonNullable<typeof filter>> = "deliver";
    if (filter) verdict = filter({ from: conn.localAddress, to: conn.remoteAddress, frame });
    if (verdict === "drop") return;
    let delayMs = 0;
    if (typeof verdict === "object") {
      delayMs = verdict.delayMs;
      if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new RangeError(`mem: filter delayMs must be ≥ 0, got ${delayMs}`);
    }
    if (conn.clogged) {
      this.faultsImpl.hold(conn, frame, delayMs, verdict === "duplicate");
      return;
    }
    this.transmit(conn, frame, delayMs, frame.byteLength);
    if (verdict === "duplicate") this.transmit(conn, frame, 0, 0);
  }

  /** Runs one frame through both access links and schedules its delivery. `bufBytes` count in bufferedBytes. */
  private transmit(conn: MemoryConn, frame: Uint8Array, delayMs: number, bufBytes: number): void {
    const a = this.nodes.get(conn.localAddress)!;
    const b = this.nodes.get(conn.remoteAddress)!;
    const now = this.clock.now();
    const wire = frame.byteLength + this.overheadBytes;
    const latMs = a.link.latencyMs + b.link.latencyMs;
    const upStart = a.upFreeMs > now ? a.upFreeMs : now;
    const upFinish = upStart + wire * a.upMsPerByte;
    a.upFreeMs = upFinish;
    a.stats.bytesSent += wire;
    a.stats.framesSent++;
    if (bufBytes > 0) conn.queueTaken(onClock(now, Math.max(upFinish, conn.lastTakenAt)), bufBytes);
    const peer = conn.peer;
    if (peer.closed) return; // it would be dropped on arrival; its queue may already be cleared
    // Store-and-forward: the frame joins b's downlink queue when its last byte arrives, in arrival order.
    // (Reserving b's downlink at send time would let a slow sender's future frame block everyone else.)
    peer.inTransit++;
    // FIFO on a reliable stream: a delayed frame (or a latency cut by setLink) holds back the ones behind it.
    const reach = Math.max(upFinish + latMs + delayMs, peer.lastReachAt);
    peer.lastReachAt = reach;
    this.clock.setTimeout(() => this.enterDownlink(peer, b, frame, wire), reach - now);
  }

  private enterDownlink(peer: MemoryConn, b: MemoryNode, frame: Uint8Array, wire: number): void {
    peer.inTransit--;
    if (!peer.closed) {
      const now = this.clock.now();
      const start = b.downFreeMs > now ? b.downFreeMs : now;
      b.downFreeMs = start + wire * b.downMsPerByte;
      // FIFO per conn: arrival order is send order, and the downlink serves in arrival order.
      const at = onClock(now, Math.max(b.downFreeMs, peer.lastDeliverAt));
      peer.expect(at, frame);
      this.clock.setTimeout(peer.deliverNext, at - now);
    }
    if (peer.inTransit === 0 && peer.pendingClose) {
      const { at, end } = peer.pendingClose;
      peer.pendingClose = undefined;
      const now = this.clock.now();
      this.clock.setTimeout(end, Math.max(at, peer.lastDeliverAt) - now);
    }
  }

  private received(conn: MemoryConn, frame: Uint8Array): void {
    const n = this.nodes.get(conn.localAddress)!;
    n.stats.bytesReceived += frame.byteLength + this.overheadBytes;
    n.stats.framesReceived++;
    if (!conn.deliver(frame)) conn.close("pre-attach overflow");
  }

  /** Local close: this end ends now; the other end after the frames already on their way and one latency. */
  private closeFrom(conn: MemoryConn, reason: string): void {
    const a = this.nodes.get(conn.localAddress)!;
    const b = this.nodes.get(conn.remoteAddress)!;
    a.conns.delete(conn);
    this.clock.setTimeout(() => conn.end(reason), 0);
    const peer = conn.peer;
    if (peer.closed || conn.severed) return;
    const now = this.clock.now();
    const at = Math.max(now + a.link.latencyMs + b.link.latencyMs, peer.lastDeliverAt);
    const end = () => {
      b.conns.delete(peer);
      peer.end(reason);
    };
    // Frames still crossing the network land first; the close follows the last of them.
    if (peer.inTransit > 0) peer.pendingClose = { at, end };
    else this.clock.setTimeout(end, at - now);
  }
}

function ignore(): void {}

/** The instant the clock will really fire a timer aimed at `at` (it computes now + delay). */
function onClock(now: number, at: number): number {
  const d = at - now;
  return d > 0 ? now + d : now;
}

function validateLink(address: string, link: LinkProfile): void {
  const bad = (field: string, want: string, got: unknown) =>
    new RangeError(`mem: ${address} link.${field} must be ${want}, got ${got}`);
  for (const f of ["uplinkBytesPerSec", "downlinkBytesPerSec"] as const) {
    if (!(Number.isFinite(link[f]) && link[f] > 0)) throw bad(f, "a finite number > 0", link[f]);
  }
  if (!(Number.isFinite(link.latencyMs) && link.latencyMs >= 0)) throw bad("latencyMs", "a finite number ≥ 0", link.latencyMs);
  const loss = link.loss ?? 0;
  if (!(loss >= 0 && loss < 1)) throw bad("loss", "in [0, 1)", loss);
}
