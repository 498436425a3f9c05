import type { MemoryFaults } from "../../net/memory.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { Rng } from "../../runtime/rng.ts";
import type { LinkProfile } from "../../net/transport.ts";

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
  /**
   * Rewrites every piece this peer serves from now on (own or relayed): given the stored bytes, returns what goes on
   * the wire. `fn` must copy before changing anything. Receivers check pieces against the origin's manifest.
   */
  tamperServed(fn: (data: Uint8Array) => Uint8Array): void;
  /** Leaves gracefully (`peer.leave`): the machine ends in `left`, sessions and the tracker link close. */
  leave(): void;
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
  /** Called whenever a peer's round machine changes state (also `failed` when a peer crashes). */
  onState(listener: (peer: string, state: string, round: number) => void): void;
  /** Tells the run's fault telemetry what this fault did to a peer ("link down", "left: battery empty"). */
  report(peer: string, what: string): void;
  /** The access link the scenario's devices give a peer (what `net.setLink` changes). */
  linkOf(peer: string): LinkProfile;
  /**
   * Brings a crashed peer back `afterMs` from now as a new process with the same id: a fresh round machine and
   * transport, the same device and data shard; it joins through the tracker again, starts at round 0 and catches
   * up. The target in `peers` stays valid (it acts on the newest incarnation; hooks set on it carry over). The run
   * does not end while a comeback is pending. A peer that is not crashed by then (done, left) stays as it is.
   */
  respawn(peer: string, afterMs: number): void;
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

/** Option check: a duration in ms, finite and > 0 (or ≥ 0 with `zero`). */
export function checkMs(plugin: string, field: string, v: unknown, zero = false): number {
  const ok = typeof v === "number" && Number.isFinite(v) && (zero ? v >= 0 : v > 0);
  if (!ok) throw new Error(`${plugin}.${field}: expected a time in ms ${zero ? "≥ 0" : "> 0"}, got ${String(v)}`);
  return v;
}

/** Option check: a probability in [0, 1]. */
export function checkProbability(plugin: string, field: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`${plugin}.${field}: expected a probability in [0, 1], got ${String(v)}`);
  return v;
}

/** States a peer never leaves. */
export const finalStates: ReadonlySet<string> = new Set(["done", "failed", "left"]);

/** The memory network, or a clear error for a fault that cannot act on real sockets. */
export function needMemoryNet(plugin: string, world: FaultWorld): MemoryFaults {
  if (!world.net) throw new Error(`${plugin}: needs the memory network (virtual clock); real sockets cannot be shaped or cut from inside the run`);
  return world.net;
}
