import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import type { Rng } from "../runtime/rng.ts";
import type { ChokerOptions } from "./choker.ts";
import type { Manifest, PeerId } from "./messages.ts";
import type { PickerOptions } from "./picker.ts";
import type { ProtocolError } from "./protocol-error.ts";
import type { PieceStore } from "./store-port.ts";

/** Swarm timing tunables. */
export interface SwarmTimingOptions {
  /** Periodic tick: rechoke, keepalive, stale-request sweep. @default 1000 */
  tickIntervalMs: number;
  /** Send a keepalive when nothing was sent for this long. @default 15000 */
  keepaliveIntervalMs: number;
  /** Close a session that said nothing for this long. @default 60000 */
  idleTimeoutMs: number;
  /**
   * Close a session whose hello has not come for this long: a lost hello must not hold a link until the idle
   * timeout (neither side sends keepalives before the handshake), so the dialler redials instead. @default 5000
   */
  handshakeTimeoutMs: number;
  /** Expected wait assumed for a request before any RTT is measured. @default 1000 */
  initialRequestWaitMs: number;
  /** Requests to a session that delivered no piece for this long are given up and asked elsewhere. @default 30000 */
  requestTimeoutMs: number;
}

export const defaultTiming: SwarmTimingOptions = {
  tickIntervalMs: 1000,
  keepaliveIntervalMs: 15_000,
  idleTimeoutMs: 60_000,
  handshakeTimeoutMs: 5000,
  initialRequestWaitMs: 1000,
  requestTimeoutMs: 30_000,
};

export interface SwarmNodeOptions {
  peerId: PeerId;
  swarmId: string;
  /** Shared token checked in hello. @default "" */
  auth?: string;
  clock: Clock;
  rng: Rng;
  store: PieceStore;
  log?: Logger;
  picker?: Partial<PickerOptions>;
  choker?: Partial<ChokerOptions>;
  timing?: Partial<SwarmTimingOptions>;
  /**
   * Origins whose updates this node gathers (and relays manifests of); others' manifests are dropped on
   * arrival. Gossip (scope "neighbours") accepts only the topology neighbours. @default every origin
   */
  acceptOrigin?: (origin: PeerId) => boolean;
  /**
   * Fault injection: rewrites each piece as it is served. Gets the stored bytes, which it must not mutate (copy
   * before changing anything); what it returns goes on the wire. Receivers check it against the manifest.
   * @default none (pieces go out as stored)
   */
  tamperServed?: (data: Uint8Array) => Uint8Array;
}

/** What the swarm tells its owner (the peer actor, a benchmark, telemetry). All optional. */
export interface SwarmEvents {
  /** A piece passed its hash check and is stored. `data` is only valid during the call. */
  piece?(round: number, origin: PeerId, index: number, data: Uint8Array): void;
  manifest?(round: number, manifest: Manifest): void;
  /** Every expected origin's every piece is held. */
  complete?(round: number, atMs: number): void;
  /** The round's deadline passed first: requesting stopped; what is held is what there is (partial coverage). */
  deadline?(round: number, coverage: { pieces: number; weighted: number }): void;
  /**
   * A neighbour sent a message for a round beyond our window (current + roundsAheadMax): it is ahead of us.
   * The message is dropped without a strike; a peer actor uses this to catch up.
   */
  roundAhead?(round: number, peer: string): void;
  strike?(peer: string, error: ProtocolError): void;
  ban?(peer: string, reason: string): void;
  sessionOpened?(peer: PeerId): void;
  sessionClosed?(peer: string, reason: string): void;
}

export interface SwarmCounters {
  /** Piece bytes that arrived, useful or not. */
  payloadIn: number;
  /** Piece bytes that were verified and were new to us. */
  usefulIn: number;
  /** Piece bytes that arrived for pieces we already held. */
  duplicateIn: number;
  /** Piece bytes that failed their hash or length check. */
  rejectedIn: number;
  payloadOut: number;
  /** Encoded frame bytes received / sent over all sessions (transport framing not included). */
  wireIn: number;
  wireOut: number;
  strikes: number;
  bans: number;
}
