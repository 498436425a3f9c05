/**
 * Faults for the in-memory network. All are deterministic and take effect at send time (or, for partition and
 * crash, on the conns that exist when they are injected). A conn cut by a fault is `severed` at once, so frames
 * in flight both ways are dropped, and both ends get their close handler from a 0 ms timer.
 */
import type { Clock } from "../runtime/clock.ts";
import type { MemoryConn } from "./memory-conn.ts";
import type { MemoryNode } from "./memory.ts";
import type { LinkProfile } from "./transport.ts";

export interface FrameEvent {
  from: string;
  to: string;
  /** The frame as sent; the filter must not mutate it. */
  frame: Uint8Array;
}

/**
 * `drop` loses the frame (a test-only fault: the streams being emulated are reliable); `duplicate` sends it twice;
 * `delayMs` delivers it that much later, holding back the frames behind it on the same conn.
 */
export type FilterVerdict = "deliver" | "drop" | "duplicate" | { delayMs: number };
export type FrameFilter = (ev: FrameEvent) => FilterVerdict;

export interface MemoryFaults {
  /** Per-frame hook, consulted at send time; `undefined` removes it. */
  setFilter(fn: FrameFilter | undefined): void;
  /** Frames between the groups are dropped, their conns close with "partition", dials between them fail. */
  partition(groupA: string[], groupB: string[]): void;
  /** Removes every partition. */
  heal(): void;
  /** Closes the node's conns ("crash" on both ends), drops its frames in flight, stops its listener and dials. */
  crash(address: string): void;
  /** Lets a crashed node listen and dial again (its Transport calls `listen` anew). */
  restart(address: string): void;
  /** Holds frames sent from a to b (not dropped) until `unclog`. */
  clog(a: string, b: string): void;
  /** Releases the frames held from a to b, in the order they were sent, into the links as of now. */
  unclog(a: string, b: string): void;
  /** Changes a node's link from now on (frames already scheduled keep their times). */
  setLink(address: string, link: LinkProfile): void;
}

/** @internal shared with memory.ts */
export interface LinkFaultState {
  filter: FrameFilter | undefined;
}

interface Held {
  conn: MemoryConn;
  frame: Uint8Array;
  delayMs: number;
  duplicate: boolean;
}

type Transmit = (conn: MemoryConn, frame: Uint8Array, delayMs: number, bufBytes: number) => void;

/** @internal */
export class MemoryFaultsImpl implements MemoryFaults {
  readonly state: LinkFaultState = { filter: undefined };
  private partitions: Array<[Set<string>, Set<string>]> = [];
  private readonly held = new Map<string, Held[]>();

  constructor(
    private readonly clock: Clock,
    private readonly nodes: ReadonlyMap<string, MemoryNode>,
    private readonly transmit: Transmit,
  ) {}

  setFilter(fn: FrameFilter | undefined): void {
    this.state.filter = fn;
  }

  partition(groupA: string[], groupB: string[]): void {
    const a = new Set(groupA);
    const b = new Set(groupB);
    for (const x of a) if (b.has(x)) throw new Error(`mem: partition: ${x} is in both groups`);
    this.partitions.push([a, b]);
    for (const x of a) {
      const node = this.nodes.get(x);
      if (!node) continue;
      for (const c of node.conns) if (b.has(c.remoteAddress)) this.sever(c, "partition");
    }
  }

  heal(): void {
    this.partitions = [];
  }

  partitioned(x: string, y: string): boolean {
    for (const [a, b] of this.partitions) {
      if ((a.has(x) && b.has(y)) || (a.has(y) && b.has(x))) return true;
    }
    return false;
  }

  crash(address: string): void {
    const node = this.mustNode(address, "crash");
    node.crashed = true;
    node.listener = undefined;
    for (const c of node.conns) this.sever(c, "crash");
    // Its queues die with it: a restarted node starts with idle links.
    node.upFreeMs = node.downFreeMs = this.clock.now();
  }

  restart(address: string): void {
    this.mustNode(address, "restart").crashed = false;
  }

  clog(a: string, b: string): void {
    this.held.set(pairKey(a, b), this.held.get(pairKey(a, b)) ?? []);
    this.setClogged(a, b, true);
  }

  unclog(a: string, b: string): void {
    const key = pairKey(a, b);
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    this.setClogged(a, b, false);
    for (const h of held) {
      h.conn.heldBytes -= h.frame.byteLength;
      if (h.conn.closed || h.conn.severed) continue;
      this.transmit(h.conn, h.frame, h.delayMs, h.frame.byteLength);
      if (h.duplicate) this.transmit(h.conn, h.frame, 0, 0);
    }
  }

  setLink(address: string, link: LinkProfile): void {
    this.mustNode(address, "setLink").setLink(link);
  }

  /** @internal whether new conns from a to b start clogged */
  clogged(a: string, b: string): boolean {
    return this.held.has(pairKey(a, b));
  }

  /** @internal holds one frame of a clogged conn */
  hold(conn: MemoryConn, frame: Uint8Array, delayMs: number, duplicate: boolean): void {
    const list = this.held.get(pairKey(conn.localAddress, conn.remoteAddress));
    if (!list) throw new Error(`mem: ${conn.id} is clogged but ${conn.localAddress}→${conn.remoteAddress} holds nothing`);
    list.push({ conn, frame, delayMs, duplicate });
    conn.heldBytes += frame.byteLength;
  }

  private setClogged(a: string, b: string, on: boolean): void {
    const node = this.nodes.get(a);
    if (!node) return;
    for (const c of node.conns) if (c.remoteAddress === b) c.clogged = on;
  }

  /** Cuts both ends now; each gets `reason` from a 0 ms timer, in the order the conns were opened. */
  private sever(conn: MemoryConn, reason: string): void {
    if (conn.severed) return;
    for (const c of [conn, conn.peer]) {
      c.severed = true;
      const owner = this.nodes.get(c.localAddress)!;
      this.clock.setTimeout(() => {
        owner.conns.delete(c);
        c.end(reason);
      }, 0);
    }
  }

  private mustNode(address: string, op: string): MemoryNode {
    const n = this.nodes.get(address);
    if (!n) throw new Error(`mem: ${op}: no node at ${address}`);
    return n;
  }
}

function pairKey(a: string, b: string): string {
  return `${a}\n${b}`;
}
