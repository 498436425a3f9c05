/** Shared fixtures of the memory transport tests: a virtual world of nodes, recorders and numbered frames. */
import { expect } from "bun:test";
import { MemoryNetwork } from "../../net/memory.ts";
import type { Conn, LinkProfile, Transport } from "../../net/transport.ts";
import { VirtualClock } from "../../runtime/clock.ts";
import { SeededRng } from "../../runtime/rng.ts";

/** Default framing is 6 bytes, so a 94-byte frame is 100 bytes on the wire. */
export const wire100 = 94;
export const fast: LinkProfile = { uplinkBytesPerSec: 1e9, downlinkBytesPerSec: 1e9, latencyMs: 0 };
/** 100 wire bytes through a fast (1e9 B/s) link: 1e-4 ms. Store-and-forward adds it to every hop. */
export const fastHop = 1e-4;

/** Each time equals its expectation to 6 decimals (virtual times are float sums). */
export function expectTimes(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]!).toBeCloseTo(want[i]!, 6);
}

export interface Rx {
  frames: Array<{ t: number; id: number; bytes: number }>;
  closes: Array<{ t: number; reason: string }>;
  drains: number[];
}

export function world(seed = 1) {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(seed) });
  const accepted = new Map<string, Conn[]>();
  const add = async (name: string, link: LinkProfile): Promise<Transport> => {
    const t = net.node(`mem://${name}`, link);
    accepted.set(t.address, []);
    await t.listen((c) => accepted.get(t.address)!.push(c));
    return t;
  };
  /** Dials and runs the clock until the dial settles; returns [dialer end, listener end]. */
  const connect = async (from: Transport, to: Transport): Promise<[Conn, Conn]> => {
    const p = from.dial(to.address);
    await clock.run();
    const mine = await p;
    const theirs = accepted.get(to.address)!.at(-1)!;
    expect(theirs.remoteAddress).toBe(from.address);
    return [mine, theirs];
  };
  const rec = (c: Conn): Rx => {
    const rx: Rx = { frames: [], closes: [], drains: [] };
    c.attach({
      frame: (f) => rx.frames.push({ t: clock.now(), id: f[0]! | (f[1]! << 8), bytes: f.byteLength }),
      close: (reason) => rx.closes.push({ t: clock.now(), reason }),
      drain: () => rx.drains.push(clock.now()),
    });
    return rx;
  };
  return { clock, net, add, connect, rec };
}

export function frame(id: number, bytes = wire100): Uint8Array {
  const f = new Uint8Array(bytes);
  f[0] = id & 0xff;
  f[1] = id >> 8;
  return f;
}

