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
  if (msg.t === "piece" && msg.data.byteLength >= directPieceBytesMin) return encodePiece(msg.round, msg.origin, msg.index, msg.data);
  return packr.pack(toWire(msg));
}

/** Pieces at least this big skip the general packer (which grows its buffer and copies twice). */
const directPieceBytesMin = 4096;
const emptyBin = new Uint8Array(0);

/**
 * A piece frame built with one allocation and one copy of the data: msgpack of [10, round, origin, index, data]
 * with the data as bin32 (valid msgpack for any length; decoders read it like any other bin).
 */
function encodePiece(round: number, origin: string, index: number, data: Uint8Array): Uint8Array {
  const head = packr.pack([layouts.piece.code, round, origin, index, emptyBin]);
  // The packed head ends with the empty bin (0xc4 0x00); replace it with a bin32 header and the data.
  const prefix = head.byteLength - 2;
  // allocUnsafe: every byte is written below, so skip zero-filling a fresh buffer per piece.
  const frame = Buffer.allocUnsafe(prefix + 5 + data.byteLength);
  frame.set(head.subarray(0, prefix), 0);
  frame[prefix] = 0xc6;
  frame.writeUInt32BE(data.byteLength, prefix + 1);
  frame.set(data, prefix + 5);
  return frame;
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

/**
 * Wire layouts: one msgpack array per frame, [code, round, ...fields] in the order below. Positional arrays keep
 * a `have` at ~14 bytes instead of ~34 with map keys; the codec is the only place that knows positions.
 */
const layouts: Record<MessageType, { code: number; fields: readonly string[] }> = {
  hello: { code: 0, fields: ["swarmId", "peerId", "auth"] }, //              [0, round, swarmId, peerId, auth]
  manifest: { code: 1, fields: ["origin", "layoutHash", "sampleCount", "chunks", "sig"] }, // chunks: [[bytes, sha256, importance]...]
  bitfield: { code: 2, fields: ["have"] }, //                                [2, round, {origin: bitset}]
  have: { code: 3, fields: ["origin", "index"] }, //                         [3, round, origin, index]
  interested: { code: 4, fields: [] }, //                                    [4, round]
  "not-interested": { code: 5, fields: [] }, //                              [5, round]
  choke: { code: 6, fields: [] }, //                                         [6, round]
  unchoke: { code: 7, fields: [] }, //                                       [7, round]
  request: { code: 8, fields: ["origin", "index"] }, //                      [8, round, origin, index]
  cancel: { code: 9, fields: ["origin", "index"] }, //                       [9, round, origin, index]
  piece: { code: 10, fields: ["origin", "index", "data"] }, //               [10, round, origin, index, data]
  keepalive: { code: 11, fields: [] }, //                                    [11, round]
};
const byCode: MessageType[] = [];
for (const [t, l] of Object.entries(layouts)) byCode[l.code] = t as MessageType;

function toWire(msg: Message): unknown[] {
  const l = layouts[msg.t];
  const m = msg as unknown as Obj;
  const out: unknown[] = [l.code, msg.round];
  for (const f of l.fields) {
    if (f === "chunks") out.push((msg as Extract<Message, { t: "manifest" }>).chunks.map((c) => [c.bytes, c.sha256, c.importance]));
    else out.push(m[f]);
  }
  return out;
}

function fromWire(raw: unknown): Obj {
  if (!Array.isArray(raw)) throw new ProtocolError(`expected an array frame, got ${kind(raw)}`);
  const code = raw[0];
  const t = typeof code === "number" ? byCode[code] : undefined;
  if (t === undefined) throw new ProtocolError(`unknown message type ${JSON.stringify(typeof code === "number" ? code : kind(code))}`, "t");
  const l = layouts[t];
  if (raw.length !== l.fields.length + 2) throw new ProtocolError(`${t}: ${raw.length - 1} fields, expected ${l.fields.length + 1}`);
  const o: Obj = { t, round: raw[1] };
  l.fields.forEach((f, i) => (o[f] = raw[i + 2]));
  if (t === "manifest" && Array.isArray(o.chunks)) {
    o.chunks = (o.chunks as unknown[]).map((c, index) => {
      if (!Array.isArray(c) || c.length !== 3) throw new ProtocolError("expected [bytes, sha256, importance]", `chunks[${index}]`);
      return { index, bytes: c[0], sha256: c[1], importance: c[2] };
    });
  }
  return o;
}


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

function validate(frame: unknown): Message {
  const raw = fromWire(frame);
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
