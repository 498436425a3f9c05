import { describe, expect, test } from "bun:test";
import { decode, encode } from "../../swarm/codec.ts";
import { toHex } from "../../swarm/hash.ts";
import { type Message, messageTypes } from "../../swarm/messages.ts";
import { ProtocolError } from "../../swarm/protocol-error.ts";
import { type Rng, SeededRng } from "../../runtime/rng.ts";

/** Replay with FUZZ_SEED=<seed> node_modules/.bin/bun test test/unit/codec-fuzz.test.ts */
const seed = process.env.FUZZ_SEED === undefined ? 0xc0dec : Number(process.env.FUZZ_SEED);
const casesPerKind = 20_000;

const digest = (b: number) => new Uint8Array(32).fill(b);
const valid: Message[] = [
  { t: "hello", round: 0, swarmId: "swarm-1", peerId: "p0001", auth: "secret" },
  {
    t: "manifest",
    round: 7,
    origin: "p0002",
    layoutHash: digest(1),
    sampleCount: 120,
    sig: new Uint8Array(0),
    chunks: [0, 1, 2].map((index) => ({ index, bytes: 4096, sha256: digest(index + 2), importance: index * 0.5 })),
  },
  { t: "bitfield", round: 7, have: { p0001: new Uint8Array([0xff, 0x80]), p0002: new Uint8Array([0xa0]) } },
  { t: "have", round: 7, origin: "p0002", index: 9 },
  { t: "interested", round: 7 },
  { t: "not-interested", round: 7 },
  { t: "choke", round: 7 },
  { t: "unchoke", round: 7 },
  { t: "request", round: 7, origin: "p0003", index: 300 },
  { t: "cancel", round: 7, origin: "p0003", index: 300 },
  { t: "piece", round: 7, origin: "p0003", index: 300, data: new Uint8Array(64).map((_, i) => i) },
  { t: "keepalive", round: 7 },
];
const frames = valid.map(encode);

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

/** A valid frame with a few bytes flipped, replaced, cut off, inserted or appended. */
function mutate(rng: Rng, frame: Uint8Array): Uint8Array {
  let b: Uint8Array = new Uint8Array(frame);
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const at = b.length === 0 ? 0 : rng.int(b.length);
    switch (rng.int(6)) {
      case 0: // flip one bit
        if (b.length) b[at]! ^= 1 << rng.int(8);
        break;
      case 1: // replace a byte (often with a msgpack type marker)
        if (b.length) b[at] = rng.bool() ? rng.pick([0xc0, 0xc1, 0xc2, 0xc4, 0xc5, 0xca, 0xcb, 0xd4, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x80, 0xa0, 0xff]) : rng.int(256);
        break;
      case 2: // truncate
        b = b.slice(0, at);
        break;
      case 3: // extend with garbage
        b = concat(b, randomBytes(rng, 1 + rng.int(16)));
        break;
      case 4: // insert garbage in the middle
        b = concat(concat(b.slice(0, at), randomBytes(rng, 1 + rng.int(4))), b.slice(at));
        break;
      case 5: // delete a run
        b = concat(b.slice(0, at), b.slice(at + 1 + rng.int(4)));
        break;
    }
  }
  return b;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

interface Outcome {
  decoded: number;
  rejected: number;
}

/**
 * decode() must return a well-formed message or throw ProtocolError — never another error — and whatever it
 * accepts must encode again to a frame it accepts.
 */
function check(input: Uint8Array, label: string, out: Outcome): void {
  const where = () => `${label}, FUZZ_SEED=${seed}, input ${toHex(input.subarray(0, 256))}`;
  let msg: Message;
  try {
    msg = decode(input);
  } catch (e) {
    if (!(e instanceof ProtocolError)) {
      throw new Error(`decode threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)} (${where()})`);
    }
    out.rejected++;
    return;
  }
  out.decoded++;
  if (!messageTypes.includes(msg.t) || !Number.isInteger(msg.round) || msg.round < 0) {
    throw new Error(`decode returned a malformed message ${JSON.stringify(msg)} (${where()})`);
  }
  try {
    const again = decode(encode(msg));
    if (again.t !== msg.t) throw new Error(`type changed from ${msg.t} to ${again.t}`);
  } catch (e) {
    throw new Error(`accepted message does not round-trip: ${(e as Error).message} (${where()})`);
  }
}

describe(`codec fuzz (FUZZ_SEED=${seed})`, () => {
  test("the valid corpus decodes", () => {
    for (const f of frames) expect(() => decode(f)).not.toThrow();
  });

  test(`${casesPerKind} random byte strings: a message or a ProtocolError`, () => {
    const rng = new SeededRng(seed).split("random");
    const out: Outcome = { decoded: 0, rejected: 0 };
    for (let i = 0; i < casesPerKind; i++) {
      // Mostly short inputs, some starting with a plausible frame header (array of 2..7 with a known code).
      const n = rng.int(rng.bool(0.9) ? 48 : 600);
      const b = randomBytes(rng, n);
      if (n >= 2 && rng.bool(0.5)) {
        b[0] = 0x92 + rng.int(6);
        b[1] = rng.int(14);
      }
      check(b, `random case ${i}`, out);
    }
    expect(out.decoded + out.rejected).toBe(casesPerKind);
    expect(out.rejected).toBeGreaterThan(0);
  });

  test(`${casesPerKind} mutated valid frames: a message or a ProtocolError`, () => {
    const rng = new SeededRng(seed).split("mutate");
    const out: Outcome = { decoded: 0, rejected: 0 };
    for (let i = 0; i < casesPerKind; i++) {
      const k = rng.int(frames.length);
      check(mutate(rng, frames[k]!), `mutation ${i} of ${valid[k]!.t}`, out);
    }
    expect(out.decoded + out.rejected).toBe(casesPerKind);
    // Mutations are small: some must still decode, most must not.
    expect(out.decoded).toBeGreaterThan(0);
    expect(out.rejected).toBeGreaterThan(out.decoded);
  });
});
