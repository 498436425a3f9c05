import type { MemoryFaults } from "../../net/memory.ts";
import type { Clock } from "../../runtime/clock.ts";
import { finalStates, type FaultWorld } from "./types.ts";

interface Cut {
  a: string[];
  b: string[];
}

/** The cuts in force per memory network, shared by every fault plugin of a run. */
const books = new WeakMap<MemoryFaults, Set<Cut>>();

/**
 * Partitions `a` from `b` until the returned function lifts this cut (idempotent). `MemoryFaults.heal` lifts every
 * partition at once, so faults that cut and heal on their own schedules (partition, flapping, intermittent) go
 * through this book: lifting one cut heals the network and puts the others back in the same synchronous step, so no
 * frame or dial slips through a cut that is still in force.
 */
export function cut(net: MemoryFaults, a: string[], b: string[]): () => void {
  let book = books.get(net);
  if (!book) books.set(net, (book = new Set()));
  const mine: Cut = { a, b };
  book.add(mine);
  net.partition(a, b);
  return () => {
    if (!book.delete(mine)) return;
    net.heal();
    for (const c of book) net.partition(c.a, c.b);
  };
}

/** How long each cut lasts and the gap before it; undefined ends the cycle. */
export interface CutSchedule {
  /** Connected time before the next cut. */
  upMs(): number | undefined;
  /** Length of the cut that follows. */
  downMs(): number;
}

/**
 * Cuts one peer (`self`) from `others` again and again on `schedule`, healing in between, until `upMs` returns
 * undefined or `stop()` says so when a window begins. Peers redial their lost neighbours after each heal.
 * `onCut` is told each time the link goes down (for counting).
 */
export function cycleCuts(o: {
  net: MemoryFaults;
  clock: Clock;
  self: string;
  others: string[];
  schedule: CutSchedule;
  stop: () => boolean;
  onCut?: (downMs: number) => void;
}): void {
  const up = () => {
    const gap = o.schedule.upMs();
    if (gap === undefined) return;
    o.clock.setTimeout(down, gap);
  };
  const down = () => {
    if (o.stop()) return;
    const lift = cut(o.net, [o.self], o.others);
    const downMs = o.schedule.downMs();
    o.onCut?.(downMs);
    o.clock.setTimeout(() => {
      lift();
      up();
    }, downMs);
  };
  up();
}

/**
 * A predicate that turns true once every peer of the world is in a final state (done, failed, left): link faults
 * that repeat until the run ends stop re-arming then. A restarted peer counts as live again.
 */
export function runEnded(world: FaultWorld): () => boolean {
  const ended = new Set<string>();
  world.onState((peer, state) => {
    if (finalStates.has(state)) ended.add(peer);
    else ended.delete(peer);
  });
  return () => ended.size >= world.peers.length;
}

/** Addresses of every peer but `self`. */
export function othersOf(world: FaultWorld, self: string): string[] {
  return world.peers.filter((p) => p.id !== self).map((p) => world.addressOf(p.id));
}
