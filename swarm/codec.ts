import { Packr } from "msgpackr";
import {
  authLengthMax,
  chunksPerManifestMax,
  digestBytes,
  frameBytesMax,
  idLengthMax,
  importanceMax,
  originsPerSwarmMax,
  pieceBytesMax,
  roundMax,
  sigBytesMax,
} from "./limits.ts";
import type { ChunkMeta, Message, MessageType } from "./messages.ts";
import { ProtocolError } from "./protocol-error.ts";

/**
 * The one codec: msgpack, maps as plain objects, bins as bytes. `decode` returns a typed, validated message
 * or throws ProtocolError — never anything else, whatever the input.
 */
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false });

export function encode(msg: Message): Uint8Array {
  return packr.pack(msg);
}

export function decode(frame: Uint8Array): Message {
  if (!(frame instanceof Uint8Array)) throw new ProtocolError("frame is not bytes");
  if (frame.byteLength === 0) throw new ProtocolError("empty frame");
  if (frame.byteLength > frameBytesMax) throw new ProtocolError(`frame of ${frame.byteLength} bytes exceeds ${frameBytesMax}`);
  let raw: unknown;
  try {
    raw = packr.unpack(frame);
  } catch (e) {
    throw new ProtocolError(`malformed msgpack (${(e as Error)?.message ?? "unknown"})`);
  }
  return validate(raw);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function int(o: Obj, k: string, lo: number, hi: number, path = k): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isInteger(v)) throw new ProtocolError(`expected an integer, got ${kind(v)}`, path);
  if (v < lo || v > hi) throw new ProtocolError(`${v} is outside [${lo}, ${hi}]`, path);
  return v;
}

function str(o: Obj, k: string, maxLen: number, path = k): string {
  const v = o[k];
  if (typeof v !== "string") throw new ProtocolError(`expected a string, got ${kind(v)}`, path);
  if (v.length > maxLen) throw new ProtocolError(`string of ${v.length} chars exceeds ${maxLen}`, path);
  return v;
}

function id(o: Obj, k: string, path = k): string {
  const v = str(o, k, idLengthMax, path);
  if (v.length === 0) throw new ProtocolError("empty id", path);
  return v;
}

function bytes(o: Obj, k: string, lo: number, hi: number, path = k): Uint8Array {
  const v = o[k];
  if (!(v instanceof Uint8Array)) throw new ProtocolError(`expected bytes, got ${kind(v)}`, path);
  if (v.byteLength < lo || v.byteLength > hi) throw new ProtocolError(`${v.byteLength} bytes, expected ${lo}..${hi}`, path);
  return v;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "bytes";
  return typeof v;
}

function round(o: Obj): number {
  return int(o, "round", 0, roundMax);
}

function chunkMeta(v: unknown, i: number): ChunkMeta {
  const path = `chunks[${i}]`;
  if (!isObj(v)) throw new ProtocolError(`expected a map, got ${kind(v)}`, path);
  const index = int(v, "index", 0, chunksPerManifestMax - 1, `${path}.index`);
  if (index !== i) throw new ProtocolError(`chunk index ${index} out of order (expected ${i})`, `${path}.index`);
  const imp = v.importance;
  if (typeof imp !== "number" || !Number.isFinite(imp) || imp < 0 || imp > importanceMax) {
    throw new ProtocolError(`importance must be a finite number in [0, ${importanceMax}]`, `${path}.importance`);
  }
  return {
    index,
    bytes: int(v, "bytes", 1, pieceBytesMax, `${path}.bytes`),
    sha256: bytes(v, "sha256", digestBytes, digestBytes, `${path}.sha256`),
    importance: imp,
  };
}

const validators: Record<MessageType, (o: Obj) => Message> = {
  hello: (o) => ({
    t: "hello",
    round: round(o),
    swarmId: id(o, "swarmId"),
    peerId: id(o, "peerId"),
    auth: str(o, "auth", authLengthMax),
  }),
  manifest: (o) => {
    const chunks = o.chunks;
    if (!Array.isArray(chunks)) throw new ProtocolError(`expected an array, got ${kind(chunks)}`, "chunks");
    if (chunks.length === 0 || chunks.length > chunksPerManifestMax) {
      throw new ProtocolError(`${chunks.length} chunks, expected 1..${chunksPerManifestMax}`, "chunks");
    }
    return {
      t: "manifest",
      round: round(o),
      origin: id(o, "origin"),
      layoutHash: bytes(o, "layoutHash", digestBytes, digestBytes),
      sampleCount: int(o, "sampleCount", 0, Number.MAX_SAFE_INTEGER),
      chunks: chunks.map(chunkMeta),
      sig: bytes(o, "sig", 0, sigBytesMax),
    };
  },
  bitfield: (o) => {
    const have = o.have;
    if (!isObj(have)) throw new ProtocolError(`expected a map, got ${kind(have)}`, "have");
    const out: Record<string, Uint8Array> = Object.create(null);
    let n = 0;
    for (const [origin, bits] of Object.entries(have)) {
      if (++n > originsPerSwarmMax) throw new ProtocolError(`more than ${originsPerSwarmMax} origins`, "have");
      if (origin.length === 0 || origin.length > idLengthMax) throw new ProtocolError("bad origin id", `have.${origin.slice(0, 16)}`);
      if (!(bits instanceof Uint8Array)) throw new ProtocolError(`expected bytes, got ${kind(bits)}`, `have.${origin}`);
      if (bits.byteLength > Math.ceil(chunksPerManifestMax / 8)) throw new ProtocolError("bitset too long", `have.${origin}`);
      out[origin] = bits;
    }
    return { t: "bitfield", round: round(o), have: out };
  },
  have: (o) => ({ t: "have", round: round(o), origin: id(o, "origin"), index: int(o, "index", 0, chunksPerManifestMax - 1) }),
  interested: (o) => ({ t: "interested", round: round(o) }),
  "not-interested": (o) => ({ t: "not-interested", round: round(o) }),
  choke: (o) => ({ t: "choke", round: round(o) }),
  unchoke: (o) => ({ t: "unchoke", round: round(o) }),
  request: (o) => ({ t: "request", round: round(o), origin: id(o, "origin"), index: int(o, "index", 0, chunksPerManifestMax - 1) }),
  cancel: (o) => ({ t: "cancel", round: round(o), origin: id(o, "origin"), index: int(o, "index", 0, chunksPerManifestMax - 1) }),
  piece: (o) => ({
    t: "piece",
    round: round(o),
    origin: id(o, "origin"),
    index: int(o, "index", 0, chunksPerManifestMax - 1),
    data: bytes(o, "data", 1, pieceBytesMax),
  }),
  keepalive: (o) => ({ t: "keepalive", round: round(o) }),
};

function validate(raw: unknown): Message {
  if (!isObj(raw)) throw new ProtocolError(`expected a map, got ${kind(raw)}`);
  const t = raw.t;
  if (typeof t !== "string" || !Object.hasOwn(validators, t)) {
    throw new ProtocolError(`unknown message type ${JSON.stringify(typeof t === "string" ? t.slice(0, 32) : kind(t))}`, "t");
  }
  try {
    return validators[t as MessageType](raw);
  } catch (e) {
    if (e instanceof ProtocolError) throw new ProtocolError(`${t}: ${e.message}`);
    throw new ProtocolError(`${t}: ${(e as Error)?.message ?? "invalid"}`);
  }
}

/** Copies bytes into a fresh, aligned buffer (decoded bins can be unaligned views into the frame). */
export function ownBytes(view: Uint8Array): Uint8Array {
  const out = new Uint8Array(view.byteLength);
  out.set(view);
  return out;
}
