import { Packr } from "msgpackr";
import { describe, expect, test } from "bun:test";
import { pack } from "msgpackr";
import { decode, encode } from "../../swarm/codec.ts";
import type { Message } from "../../swarm/messages.ts";
import { ProtocolError } from "../../swarm/protocol-error.ts";

const sha = new Uint8Array(32).fill(7);
const samples: Message[] = [
  { t: "hello", round: 0, swarmId: "s1", peerId: "p1", auth: "" },
  { t: "manifest", round: 3, origin: "p1", layoutHash: sha, sampleCount: 80, sig: new Uint8Array(0), chunks: [{ index: 0, bytes: 10, sha256: sha, importance: 0.5 }] },
  { t: "bitfield", round: 3, have: { p1: new Uint8Array([0b10100000]) } },
  { t: "have", round: 3, origin: "p1", index: 0 },
  { t: "interested", round: 1 },
  { t: "not-interested", round: 1 },
  { t: "choke", round: 1 },
  { t: "unchoke", round: 1 },
  { t: "request", round: 1, origin: "p9", index: 4 },
  { t: "cancel", round: 1, origin: "p9", index: 4 },
  { t: "piece", round: 1, origin: "p9", index: 4, data: new Uint8Array([1, 2, 3, 4, 5]) },
  { t: "keepalive", round: 1 },
];

describe("codec", () => {
  test("every message type round-trips", () => {
    for (const m of samples) {
      const back = decode(encode(m));
      expect(back.t).toBe(m.t);
      expect(JSON.stringify(normalise(back))).toBe(JSON.stringify(normalise(m)));
    }
  });

  test("control messages stay small on the wire", () => {
    expect(encode({ t: "have", round: 3, origin: "p0001", index: 12 }).byteLength).toBeLessThanOrEqual(12);
    expect(encode({ t: "request", round: 3, origin: "p0001", index: 12 }).byteLength).toBeLessThanOrEqual(12);
  });

  test("piece data travels as raw bytes, not a number array", () => {
    const data = new Uint8Array(4096).fill(0xab);
    const frame = encode({ t: "piece", round: 0, origin: "a", index: 0, data });
    expect(frame.byteLength).toBeLessThan(4096 + 64);
  });

  test("big pieces (the direct bin32 path) round-trip bit-exactly and decode like any msgpack", () => {
    for (const n of [4096, 200_704, 1 << 20]) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (i * 31 + 7) & 0xff;
      const frame = encode({ t: "piece", round: 12345, origin: "p042", index: 7, data });
      expect(frame.byteLength).toBeLessThan(n + 32);
      const back = decode(frame);
      expect(back).toMatchObject({ t: "piece", round: 12345, origin: "p042", index: 7 });
      expect(Buffer.compare(Buffer.from((back as { data: Uint8Array }).data), Buffer.from(data))).toBe(0);
      // A generic msgpack decoder reads the same array.
      expect(new Packr({ useRecords: false }).unpack(frame)).toEqual([10, 12345, "p042", 7, data]);
    }
  });

  test("rejects wrong types, naming the field", () => {
    const bad = encode({ t: "have", round: 1, origin: "p", index: -1 } as Message);
    expect(() => decode(bad)).toThrow(ProtocolError);
    expect(() => decode(bad)).toThrow(/index/);
    const badSha = encode({ ...samples[1], chunks: [{ index: 0, bytes: 10, sha256: new Uint8Array(5), importance: 1 }] } as Message);
    expect(() => decode(badSha)).toThrow(/chunks\[0\]\.sha256/);
    const nanImp = encode({ ...samples[1], chunks: [{ index: 0, bytes: 10, sha256: sha, importance: Number.NaN }] } as Message);
    expect(() => decode(nanImp)).toThrow(/importance/);
    expect(() => decode(pack([99, 1]))).toThrow(/unknown message type/);
    expect(() => decode(pack({ t: "have", round: 1 }))).toThrow(/expected an array frame/);
    expect(() => decode(pack([3, 1, "p"]))).toThrow(/fields/);
    expect(() => decode(new Uint8Array(0))).toThrow(ProtocolError);
  });
});

function normalise(m: unknown): unknown {
  if (m instanceof Uint8Array) return Array.from(m);
  if (Array.isArray(m)) return m.map(normalise);
  if (m && typeof m === "object") {
    const o = m as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, normalise(o[k])]));
  }
  return m;
}
