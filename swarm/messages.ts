/**
 * The wire message union (DESIGN §5). Every message carries `t` and `round`. One message per frame.
 * Byte fields (sha256, layoutHash, sig, bitsets, piece data) travel as msgpack bin, never as number arrays.
 */
export type PeerId = string;

/** hello: {t, round, swarmId, peerId, auth} — handshake; a wrong swarm or auth closes the session. */
export interface Hello {
  t: "hello";
  round: number;
  swarmId: string;
  peerId: PeerId;
  auth: string;
}

export interface ChunkMeta {
  index: number;
  /** Exact byte length of the piece. */
  bytes: number;
  /** SHA-256 of the piece bytes: the only thing that makes a piece acceptable. */
  sha256: Uint8Array;
  /** Importance score (≥ 0, finite) used to weight rarest-first. */
  importance: number;
}

/** manifest: {t, round, origin, layoutHash, sampleCount, chunks[], sig} — the origin's torrent for a round. */
export interface Manifest {
  t: "manifest";
  round: number;
  origin: PeerId;
  layoutHash: Uint8Array;
  sampleCount: number;
  chunks: ChunkMeta[];
  sig: Uint8Array;
}

/** bitfield: {t, round, have: {origin → bitset}} — what the sender holds, bit i = piece i (MSB first). */
export interface Bitfield {
  t: "bitfield";
  round: number;
  have: Record<PeerId, Uint8Array>;
}

/** have: {t, round, origin, index} — the sender just verified this piece. */
export interface Have {
  t: "have";
  round: number;
  origin: PeerId;
  index: number;
}

/** interested / not-interested / choke / unchoke: {t, round}. */
export interface Signal {
  t: "interested" | "not-interested" | "choke" | "unchoke";
  round: number;
}

/** request / cancel: {t, round, origin, index}. */
export interface PieceRef {
  t: "request" | "cancel";
  round: number;
  origin: PeerId;
  index: number;
}

/** piece: {t, round, origin, index, data} — checked against the origin's manifest sha256 before use. */
export interface Piece {
  t: "piece";
  round: number;
  origin: PeerId;
  index: number;
  data: Uint8Array;
}

/** keepalive: {t, round} — liveness. */
export interface Keepalive {
  t: "keepalive";
  round: number;
}

export type Message = Hello | Manifest | Bitfield | Have | Signal | PieceRef | Piece | Keepalive;
export type MessageType = Message["t"];

export const messageTypes: readonly MessageType[] = [
  "hello",
  "manifest",
  "bitfield",
  "have",
  "interested",
  "not-interested",
  "choke",
  "unchoke",
  "request",
  "cancel",
  "piece",
  "keepalive",
];

/** Bytes of a message that are payload (piece data); everything else on the wire is overhead. */
export function payloadBytesOf(msg: Message): number {
  return msg.t === "piece" ? msg.data.byteLength : 0;
}
