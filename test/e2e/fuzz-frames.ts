/**
 * Frame generators for the live-peer fuzzer (fuzz-live-peer.test.ts): valid traffic shaped by what the victim
 * holds, and the bad inputs DESIGN §5 says must cost the sender a strike and nothing else. Every generator is a
 * pure function of its Rng, so a seed replays the same frames. Positions inside a frame are never hard-coded:
 * a valid message is encoded with sentinel values and the sentinels are looked up in the decoded array, so the
 * codec stays the only place that knows layouts.
 */
import { Packr } from "msgpackr";
import { type Rng, SeededRng } from "../../runtime/rng.ts";
import { encode } from "../../swarm/codec.ts";
import { sha256 } from "../../swarm/hash.ts";
import { chunksPerManifestMax, frameBytesMax, idLengthMax, originsPerSwarmMax, roundMax, roundsAheadMax } from "../../swarm/limits.ts";
import { buildManifest } from "../../swarm/manifest.ts";
import type { Manifest, Message } from "../../swarm/messages.ts";

export type FrameKind =
  | "random"
  | "mutated"
  | "truncated"
  | "wrong-type"
  | "wrong-arity"
  | "huge-length"
  | "out-of-range"
  | "bad-bitfield"
  | "bad-hash"
  | "far-round"
  | "bad-round"
  | "unknown-origin"
  | "duplicate-hello"
  | "oversize"
  | "unsolicited"
  | "valid";

export interface GeneratedFrame {
  kind: FrameKind;
  frame: Uint8Array;
}

/** One origin's update as the fuzzer knows it: the bytes, so pieces can be sent right or wrong. */
export interface Update {
  origin: string;
  pieces: readonly Uint8Array[];
  manifest: Manifest;
}

/** What the generators know of the victim. */
export interface FrameTarget {
  swarmId: string;
  auth: string;
  victimId: string;
  /** The victim's current round. */
  current: number;
  /** Updates whose manifests the victim holds in the current round (its own, its honest neighbours'). */
  known: readonly Update[];
  /** The attacker's own peer id. */
  self: string;
}

/** The same packer options as the codec, for frames the codec would never write. */
const raw = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false });

const layoutHash = sha256(new TextEncoder().encode("fuzz-layout"));

// ---- fake origins: updates attackers announce (deterministic per name, so any attacker can serve them) ----

/** Fake origins an attacker may announce; few, so the victim's picker stays cheap (it scans needed pieces). */
export const fakeNamesMax = 8;
const fakeCache = new Map<string, Update>();

export function isFakeOrigin(origin: string): boolean {
  return /^fake-\d+$/.test(origin) && Number(origin.slice(5)) < fakeNamesMax;
}

/** Pieces of a fake origin are a function of its name; its manifest is the same in every round but the round field. */
export function fakeUpdate(origin: string, round: number): Update {
  const key = `${origin}@${round}`;
  let u = fakeCache.get(key);
  if (u) return u;
  const rng = new SeededRng(`fake:${origin}`);
  const count = 1 + rng.int(12);
  const pieceBytes = 16 + rng.int(1024);
  const pieces = Array.from({ length: count }, (_, i) => randomBytes(rng, i === count - 1 ? 1 + rng.int(pieceBytes) : pieceBytes));
  const importance = pieces.map(() => rng.next() * 10);
  u = { origin, pieces, manifest: buildManifest({ round, origin, layoutHash, sampleCount: 1 + rng.int(100), pieces, importance }) };
  fakeCache.set(key, u);
  return u;
}

/** Origins that never get a manifest (plus ids at the edges of what the codec accepts). */
const ghostNames = [
  ...Array.from({ length: 16 }, (_, i) => `ghost-${i}`),
  "x".repeat(idLengthMax),
  "é漢字🙂",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "0",
  "-1",
  "\u0000",
  " ",
];
/** Ids the codec refuses. */
const badIds = ["", "x".repeat(idLengthMax + 1), "y".repeat(1000)];

// ---- byte-level helpers ----

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** msgpack type markers a mutation likes to drop in: nil, never-used, bools, bins, floats, fixext, str8, arrays, maps. */
const markers = [0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xca, 0xcb, 0xd4, 0xd5, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x80, 0x8f, 0xa0, 0xbf, 0xff, 0xe0];

/** A frame with a few bytes flipped, replaced, cut, inserted, deleted or duplicated. */
export function mutate(rng: Rng, frame: Uint8Array): Uint8Array {
  let b: Uint8Array = new Uint8Array(frame);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = b.length === 0 ? 0 : rng.int(b.length);
    switch (rng.int(7)) {
      case 0:
        if (b.length) b[at]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length) b[at] = rng.bool() ? rng.pick(markers) : rng.int(256);
        break;
      case 2:
        b = b.slice(0, at);
        break;
      case 3:
        b = concat(b, randomBytes(rng, 1 + rng.int(16)));
        break;
      case 4:
        b = concat(b.slice(0, at), randomBytes(rng, 1 + rng.int(4)), b.slice(at));
        break;
      case 5:
        b = concat(b.slice(0, at), b.slice(at + 1 + rng.int(4)));
        break;
      case 6: // duplicate a run (repeated fields, doubled headers)
        b = concat(b.slice(0, at), b.slice(at, at + 1 + rng.int(8)), b.slice(at));
        break;
    }
  }
  return b;
}

/** Values of every msgpack type, for the wrong-type generator. */
function oddValue(rng: Rng): unknown {
  switch (rng.int(20)) {
    case 0: return null;
    case 1: return rng.bool();
    case 2: return -1 - rng.int(1000);
    case 3: return 2 ** 32 + rng.int(1000);
    case 4: return 2 ** 53 + 2;
    case 5: return rng.next() * 100;
    case 6: return rng.pick([NaN, Infinity, -Infinity, -0]);
    case 7: return "";
    case 8: return "s".repeat(1 + rng.int(300));
    case 9: return new Uint8Array(0);
    case 10: return randomBytes(rng, 1 + rng.int(64));
    case 11: return [];
    case 12: return [1, "a", null];
    case 13: return {};
    case 14: return { a: 1, round: 3 };
    case 15: return new Date(rng.int(2 ** 31));
    case 16: return BigInt(2) ** BigInt(63) + BigInt(rng.int(1000));
    case 17: return rng.int(2 ** 31);
    case 18: return -(2 ** 31) - rng.int(1000);
    default: return [[[[[[]]]]]];
  }
}

// ---- the generator ----

const sentinelIndex = 7_654_321;
const sentinelRound = 987_654_321;

/** One oversize frame for every attacker (4 MiB; the victim never writes to frames). */
let sharedOversize: Uint8Array | undefined;

/**
 * Frames for one attacker, bad and good. `garbage()` draws one bad frame of a random kind; `benign()` one frame the
 * victim must take without a strike (valid traffic for its state as `target` describes it, far rounds, unknown
 * origins). Whether a frame is an offence in the end is the test's call, from the codec and the victim's state.
 */
export class FrameGen {
  constructor(
    private readonly rng: Rng,
    private readonly t: FrameTarget,
    /** Frames over frameBytesMax: false over WebSocket, where the server closes the socket instead (tested apart). */
    private readonly allowOversize = true,
  ) {}

  /** One bad frame: its kind says what was meant; whether it is bad for the victim is the test's call. */
  garbage(): GeneratedFrame {
    const r = this.rng;
    switch (r.int(16)) {
      case 0: return { kind: "random", frame: this.randomFrame() };
      case 1:
      case 2: return { kind: "mutated", frame: mutate(r, this.validFrame()) };
      case 3: return { kind: "truncated", frame: this.truncated() };
      case 4: return { kind: "wrong-type", frame: this.wrongType() };
      case 5: return { kind: "wrong-arity", frame: this.wrongArity() };
      case 6: return { kind: "huge-length", frame: this.hugeLength() };
      case 7: return { kind: "out-of-range", frame: this.outOfRange() };
      case 8: return { kind: "bad-bitfield", frame: this.badBitfield() };
      case 9: return { kind: "bad-hash", frame: this.badHash() };
      case 10: return { kind: "bad-round", frame: this.badRound() };
      case 11: return { kind: "unknown-origin", frame: this.unknownOrigin(true) };
      case 12: return { kind: "duplicate-hello", frame: this.duplicateHello() };
      case 13: return { kind: "unsolicited", frame: this.unsolicited() };
      case 14: return this.allowOversize && r.bool(0.2) ? { kind: "oversize", frame: this.oversizeFrame() } : { kind: "random", frame: this.randomFrame() };
      default: return { kind: "mutated", frame: mutate(r, this.validFrame()) };
    }
  }

  /** One frame an honest peer could send, or one the victim must take without a strike (far rounds, unknown origins). */
  benign(): GeneratedFrame {
    const r = this.rng;
    const roll = r.int(10);
    if (roll < 4) return { kind: "valid", frame: this.validFrame(true) };
    if (roll < 7) return { kind: "far-round", frame: this.farRound() };
    return { kind: "unknown-origin", frame: this.unknownOrigin(false) };
  }

  /** A valid frame; `benign`: only messages a correct peer sends unprompted (no pieces, no second hello). */
  validFrame(benign = false): Uint8Array {
    return encode(this.validMessage(benign));
  }

  /** A fake origin's manifest for a round in the victim's window, and a bitfield claiming all of it. */
  announceFake(origin = this.fakeName(), round = this.windowRound()): Message[] {
    const u = fakeUpdate(origin, round);
    const all = new Uint8Array(Math.ceil(u.pieces.length / 8));
    for (let i = 0; i < u.pieces.length; i++) all[i >> 3]! |= 0x80 >> (i & 7);
    return [u.manifest, { t: "bitfield", round, have: { [origin]: all } }];
  }

  hello(peerId = this.t.self, round = this.t.current): Uint8Array {
    return encode({ t: "hello", round, swarmId: this.t.swarmId, peerId, auth: this.t.auth });
  }

  // ---- valid traffic ----

  private fakeName(): string {
    return `fake-${this.rng.int(fakeNamesMax)}`;
  }

  /** Rounds the victim keeps state for: current-1 .. current+roundsAheadMax, mostly the current one. */
  private windowRound(): number {
    return this.rng.bool(0.6) ? this.t.current : this.t.current - 1 + this.rng.int(roundsAheadMax + 2);
  }

  /** A known update (the victim's, an honest peer's, or a fake one) and one of its pieces. */
  private someUpdate(): Update {
    const r = this.rng;
    if (this.t.known.length > 0 && r.bool(0.7)) return r.pick(this.t.known);
    return fakeUpdate(this.fakeName(), this.t.current);
  }

  validMessage(benign = false): Message {
    const r = this.rng;
    const round = this.t.current;
    const u = this.someUpdate();
    const index = r.int(u.pieces.length);
    switch (r.int(benign ? 9 : 12)) {
      case 0: return { t: "keepalive", round };
      case 1: return { t: r.pick(["interested", "not-interested", "choke", "unchoke"] as const), round };
      case 2:
      case 3: return { t: "have", round, origin: u.origin, index };
      case 4: return { t: "bitfield", round, have: { [u.origin]: this.bits(u.pieces.length) } };
      case 5: return { t: "request", round, origin: u.origin, index };
      case 6: return { t: "cancel", round, origin: u.origin, index };
      case 7:
      case 8: return this.announceFake()[r.int(2)]!;
      case 9: return { t: "piece", round, origin: u.origin, index, data: u.pieces[index]! };
      case 10: return { t: "hello", round, swarmId: this.t.swarmId, peerId: this.t.self, auth: this.t.auth };
      default: return { t: "interested", round };
    }
  }

  /** A bitset of the right size for `count` pieces (random bits, spare bits clear). */
  private bits(count: number): Uint8Array {
    const b = new Uint8Array(Math.ceil(count / 8));
    for (let i = 0; i < count; i++) if (this.rng.bool()) b[i >> 3]! |= 0x80 >> (i & 7);
    return b;
  }

  // ---- bad traffic ----

  private randomFrame(): Uint8Array {
    const r = this.rng;
    const b = randomBytes(r, r.bool(0.9) ? r.int(48) : r.int(2000));
    if (b.length >= 2 && r.bool(0.6)) {
      b[0] = 0x92 + r.int(6); // an array of 2..7: looks like a frame
      b[1] = r.int(14);
    }
    return b;
  }

  private truncated(): Uint8Array {
    const f = encode(this.validMessage());
    return f.slice(0, this.rng.int(f.byteLength));
  }

  /** The valid frame's array as msgpack decodes it (positional fields), for surgery. */
  private wire(msg: Message): unknown[] {
    return raw.unpack(encode(msg)) as unknown[];
  }

  private wrongType(): Uint8Array {
    const r = this.rng;
    const w = this.wire(this.validMessage());
    const i = r.int(w.length);
    const field = w[i];
    // Manifest chunks and bitfield maps: sometimes reach inside instead.
    if (Array.isArray(field) && field.length > 0 && r.bool(0.6)) {
      const j = r.int(field.length);
      const inner = field[j];
      if (Array.isArray(inner) && inner.length > 0) inner[r.int(inner.length)] = oddValue(r);
      else field[j] = oddValue(r);
    } else if (field instanceof Object && !(field instanceof Uint8Array) && !Array.isArray(field) && r.bool(0.6)) {
      const m = field as Record<string, unknown>;
      const keys = Object.keys(m);
      if (keys.length > 0) m[r.pick(keys)] = oddValue(r);
      else m["k"] = oddValue(r);
    } else {
      w[i] = oddValue(r);
    }
    return raw.pack(w);
  }

  private wrongArity(): Uint8Array {
    const r = this.rng;
    const w = this.wire(this.validMessage());
    if (r.bool()) w.push(oddValue(r));
    else w.splice(r.int(w.length), 1);
    if (r.bool(0.2)) w[0] = r.pick([12, 13, 255, -1, "have", 3.5]); // unknown codes
    return raw.pack(w);
  }

  /** A frame that stops, mid-field, at a header claiming gigabytes (bin/str/array/map/ext). */
  private hugeLength(): Uint8Array {
    const r = this.rng;
    const w = this.wire(this.validMessage());
    const keep = r.int(w.length + 1);
    const n = r.pick([0xffffffff, 0x80000000, 0x40000000, frameBytesMax + 1, 1_000_000_000, 0x7fffffff]);
    const u32 = new Uint8Array(4);
    new DataView(u32.buffer).setUint32(0, n);
    const header = r.pick([
      concat(Uint8Array.of(0xc6), u32), // bin32
      concat(Uint8Array.of(0xdb), u32), // str32
      concat(Uint8Array.of(0xdd), u32), // array32
      concat(Uint8Array.of(0xdf), u32), // map32
      concat(Uint8Array.of(0xc9), u32, Uint8Array.of(r.int(256))), // ext32
      Uint8Array.of(0xc5, 0xff, 0xff), // bin16
      Uint8Array.of(0xd9, 0xff), // str8
      Uint8Array.of(0xdc, 0xff, 0xff), // array16
    ]);
    const arrayHeader = r.bool(0.2) ? concat(Uint8Array.of(0xdd), u32) : Uint8Array.of(0x90 + Math.min(15, w.length));
    const fields = w.slice(0, keep).map((v) => raw.pack(v));
    return concat(arrayHeader, ...fields, header, randomBytes(r, r.int(64)));
  }

  /** have / request / cancel / piece naming a piece index past the origin's count, or not an index at all. */
  private outOfRange(): Uint8Array {
    const r = this.rng;
    const u = this.someUpdate();
    const count = u.pieces.length;
    const index = r.pick([count, count + 1 + r.int(100), chunksPerManifestMax - 1, chunksPerManifestMax, -1, 2 ** 31, 2 ** 53, 0.5, NaN]);
    const round = this.t.current;
    const msg: Message = r.pick<Message>([
      { t: "have", round, origin: u.origin, index: sentinelIndex },
      { t: "request", round, origin: u.origin, index: sentinelIndex },
      { t: "cancel", round, origin: u.origin, index: sentinelIndex },
      { t: "piece", round, origin: u.origin, index: sentinelIndex, data: u.pieces[0]! },
    ]);
    return this.replace(msg, sentinelIndex, index);
  }

  private badBitfield(): Uint8Array {
    const r = this.rng;
    const u = this.someUpdate();
    const count = u.pieces.length;
    const need = Math.ceil(count / 8);
    const round = this.t.current;
    const roll = r.int(6);
    if (roll === 0 && count % 8 !== 0) {
      const b = new Uint8Array(need);
      b[need - 1] = 0xff; // spare bits past the last piece set
      return encode({ t: "bitfield", round, have: { [u.origin]: b } });
    }
    if (roll === 1) return encode({ t: "bitfield", round, have: { [u.origin]: randomBytes(r, Math.ceil(chunksPerManifestMax / 8) + 1 + r.int(10)) } }); // longer than any manifest
    if (roll === 2) {
      // more origins than a swarm holds (the codec refuses), or many unknown ones (stashed, bounded)
      const n = r.bool(0.1) ? originsPerSwarmMax + 1 + r.int(10) : 1 + r.int(200);
      const have: Record<string, Uint8Array> = {};
      for (let i = 0; i < n; i++) have[`many-${r.int(1e9)}-${i}`] = Uint8Array.of(0x80);
      return encode({ t: "bitfield", round, have });
    }
    if (roll === 3) return encode({ t: "bitfield", round, have: { [u.origin]: this.bits(count), [r.pick(badIds)]: new Uint8Array(1) } });
    const len = r.pick([0, need - 1, need + 1, need + 2 + r.int(8)].filter((x) => x >= 0 && x !== need));
    return encode({ t: "bitfield", round, have: { [u.origin]: randomBytes(r, len) } });
  }

  /** A piece of a known origin whose bytes are not the manifest's: one bit flipped, cut, padded or empty. */
  private badHash(): Uint8Array {
    const r = this.rng;
    const u = this.someUpdate();
    const index = r.int(u.pieces.length);
    const good = u.pieces[index]!;
    let data: Uint8Array;
    switch (r.int(4)) {
      case 0:
        data = new Uint8Array(good);
        data[r.int(data.length)]! ^= 1 << r.int(8);
        break;
      case 1:
        data = good.slice(0, Math.max(1, good.length - 1 - r.int(good.length)));
        break;
      case 2:
        data = concat(good, randomBytes(r, 1 + r.int(32)));
        break;
      default:
        data = new Uint8Array(0); // the codec wants at least one byte
    }
    return encode({ t: "piece", round: this.t.current, origin: u.origin, index, data });
  }

  /** Rounds no peer can be in: negative, past roundMax, fractional, not a number. */
  private badRound(): Uint8Array {
    const r = this.rng;
    const round = r.pick([-1, -2 - r.int(1000), -(2 ** 31), roundMax + 1, 2 ** 53, 1.5, NaN]);
    const msg = { ...this.validMessage(), round: sentinelRound } as Message;
    return this.replace(msg, sentinelRound, round);
  }

  /** A valid message for a round far ahead of the victim's window or long behind it. */
  private farRound(): Uint8Array {
    const r = this.rng;
    const c = this.t.current;
    const round = r.bool()
      ? r.pick([c + roundsAheadMax + 1, c + roundsAheadMax + 1 + r.int(100), roundMax, c + 1 + r.int(roundMax - c)])
      : r.int(Math.max(1, c - 1)); // 0 .. current-2: released rounds
    const msg = this.validMessage();
    if (msg.t === "hello" && round <= c + roundsAheadMax) return encode({ t: "keepalive", round }); // a second hello is an offence whatever its round
    if (msg.t === "manifest") return encode(fakeUpdate(msg.origin, round).manifest);
    return encode({ ...msg, round } as Message);
  }

  /** Messages naming origins nobody announced. `offending`: pieces and requests (strikes); else haves and bitfields (kept, bounded). */
  private unknownOrigin(offending: boolean): Uint8Array {
    const r = this.rng;
    const origin = r.bool(0.1) ? r.pick(badIds) : r.pick(ghostNames);
    const round = r.bool(0.8) ? this.t.current : this.windowRound();
    const index = r.int(64);
    if (offending) {
      return encode(
        r.pick<Message>([
          { t: "piece", round, origin, index, data: randomBytes(r, 1 + r.int(64)) },
          { t: "request", round, origin, index },
          { t: "cancel", round, origin, index },
        ]),
      );
    }
    return encode(r.bool() ? { t: "have", round, origin, index } : { t: "bitfield", round, have: { [origin]: randomBytes(r, r.int(9)) } });
  }

  private duplicateHello(): Uint8Array {
    const r = this.rng;
    const peerId = r.pick([this.t.self, this.t.victimId, `atk-other-${r.int(100)}`, ...(this.t.known.length ? [this.t.known[0]!.origin] : [])]);
    return encode({ t: "hello", round: this.windowRound(), swarmId: r.bool(0.8) ? this.t.swarmId : "other-swarm", peerId, auth: r.bool(0.8) ? this.t.auth : "wrong" });
  }

  /** Correct bytes of a known piece that nobody asked this attacker for. */
  private unsolicited(): Uint8Array {
    const u = this.someUpdate();
    const index = this.rng.int(u.pieces.length);
    return encode({ t: "piece", round: this.t.current, origin: u.origin, index, data: u.pieces[index]! });
  }

  /** A piece frame over frameBytesMax. */
  private oversizeFrame(): Uint8Array {
    sharedOversize ??= encode({ t: "piece", round: this.t.current, origin: "big", index: 0, data: new Uint8Array(frameBytesMax) });
    return sharedOversize;
  }

  /** Encodes `msg` with the field holding `sentinel` replaced by `value` (any msgpack value). */
  private replace(msg: Message, sentinel: number, value: unknown): Uint8Array {
    const w = this.wire(msg);
    const i = w.indexOf(sentinel);
    if (i < 0) throw new Error(`fuzz-frames: sentinel ${sentinel} not found in a ${msg.t} frame`);
    w[i] = value;
    return raw.pack(w);
  }
}

/** A frame one byte over the codec's limit, for transports that must refuse it before decoding. */
export function oversizeFrame(): Uint8Array {
  return new Uint8Array(frameBytesMax + 1).fill(0x91);
}
