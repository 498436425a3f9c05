import type { MemoryFaults } from "../../net/memory.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { Rng } from "../../runtime/rng.ts";

/** What a fault may do to one peer. */
export interface FaultTarget {
  readonly id: string;
  /** Dies at once: no goodbye, sessions drop, the machine stops. Its neighbours see `link.down`. */
  crash(reason: string): void;
  /**
   * Rewrites the update this peer publishes from now on (a Byzantine peer): given the round's starting model
   * and the trained one, returns what to publish. The peer still hashes and serves it like an honest update.
   */
  tamperUpdates(fn: (before: Float32Array, after: Float32Array) => Float32Array): void;
}

/** The run as faults see it. Faults act through these handles and the clock only, so they replay by seed. */
export interface FaultWorld {
  clock: Clock;
  /** This fault's own random stream (split from the scenario seed). */
  rng: Rng;
  /** The peers of this process, in roster order. */
  peers: readonly FaultTarget[];
  /** Link-level faults of the memory network (virtual clock only; undefined over real sockets). */
  net: MemoryFaults | undefined;
  /** Address of a peer in `net` (memory network). */
  addressOf(peer: string): string;
  /** Called whenever a peer's round machine changes state. */
  onState(listener: (peer: string, state: string, round: number) => void): void;
}

export interface FaultPlugin {
  readonly name: string;
  /** Arms the fault (timers, state listeners). Called once, before the peers start. */
  install(world: FaultWorld): void;
}

/** Faults get nothing at the factory's second stage; the world comes at `install`. */
export type FaultDeps = Record<string, never>;

export type FaultFactory = (deps: FaultDeps) => FaultPlugin;

/** Picks round(fraction × n) distinct peers by the rng (deterministic), in roster order. */
export function pickFraction<T>(items: readonly T[], fraction: number, rng: Rng): T[] {
  const n = Math.round(fraction * items.length);
  const idx = rng.shuffle(items.map((_, i) => i)).slice(0, n).sort((a, b) => a - b);
  return idx.map((i) => items[i]!);
}

/** Option check shared by fault factories: a fraction in [0, 1]. */
export function checkFraction(plugin: string, field: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`${plugin}.${field}: expected a number in [0, 1], got ${String(v)}`);
  return v;
}

export function checkRound(plugin: string, field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`${plugin}.${field}: expected an integer ≥ 0, got ${String(v)}`);
  return v;
}
