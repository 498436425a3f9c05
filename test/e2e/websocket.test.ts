import { afterEach, describe, expect, test } from "bun:test";
import { RealClock } from "../../runtime/clock.ts";
import { frameBytesMax } from "../../swarm/limits.ts";
import { Shaper } from "../../net/shaper.ts";
import type { Conn, Transport } from "../../net/transport.ts";
import { createWebSocketTransport, drainLowWaterBytes, type WsConn } from "../../net/websocket.ts";

/** How long an awaited condition may take before the test fails with its description. */
const waitMs = 15_000;

/** Everything that happens on one conn, plus event-driven waits on it (no sleeps). */
class Probe {
  readonly frames: Uint8Array[] = [];
  readonly closes: string[] = [];
  drains = 0;
  /** Called on every drain, after counting it. */
  onDrain: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly conn: Conn, attach = true) {
    if (attach) this.attach();
  }

  attach(): void {
    this.conn.attach({
      frame: (f) => {
        this.frames.push(f.slice());
        this.notify();
      },
      close: (r) => {
        this.closes.push(r);
        this.notify();
      },
      drain: () => {
        this.drains++;
        this.onDrain?.();
        this.notify();
      },
    });
  }

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  until(pred: () => boolean, what: string): Promise<void> {
    return waitUntil(pred, what, this.waiters);
  }
}

function waitUntil(pred: () => boolean, what: string, waiters: Set<() => void>): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pred()) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out waiting for ${what}`));
    }, waitMs);
    waiters.add(check);
  });
}

/** A listening transport whose accepted conns are handed out in order. */
class Server {
  readonly accepted: Conn[] = [];
  private readonly waiters = new Set<() => void>();
  constructor(readonly transport: Transport, readonly address: string) {}

  static async start(shaper?: Shaper): Promise<Server> {
    const transport = await createWebSocketTransport(shaper ? { shaper } : {});
    opened.push(transport);
    let server: Server | undefined;
    const pending: Conn[] = [];
    const address = await transport.listen((c) => {
      if (server) server.push(c);
      else pending.push(c);
    });
    server = new Server(transport, address);
    for (const c of pending) server.push(c);
    return server;
  }

  private push(c: Conn): void {
    this.accepted.push(c);
    for (const w of [...this.waiters]) w();
  }

  async nth(i: number): Promise<Conn> {
    await waitUntil(() => this.accepted.length > i, `accepted conn #${i}`, this.waiters);
    return this.accepted[i]!;
  }
}

async function client(shaper?: Shaper): Promise<Transport> {
  const t = await createWebSocketTransport(shaper ? { shaper } : {});
  opened.push(t);
  return t;
}

const opened: Transport[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.close()));
});

function pattern(bytes: number, seed: number): Uint8Array {
  const f = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) f[i] = (i * 31 + seed * 7) & 0xff;
  return f;
}

function smallFrame(i: number): Uint8Array {
  const f = new Uint8Array(4 + (i % 50));
  new DataView(f.buffer).setUint32(0, i);
  f.fill(i & 0xff, 4);
  return f;
}

describe("WebSocket transport (loopback)", () => {
  test("listen gives a loopback ws:// address; dial and accept pair up", async () => {
    const server = await Server.start();
    expect(server.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(server.transport.address).toBe(server.address);
    const out = await (await client()).dial(server.address);
    const inbound = await server.nth(0);
    expect(out.remoteAddress).toBe(server.address);
    expect(inbound.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(out.closed).toBe(false);
    expect(inbound.closed).toBe(false);
    expect(out.id).not.toBe("");
    expect(inbound.id).not.toBe(out.id);
  });

  test("frames cross both ways intact and in order: a 1 MiB frame and 1000 small ones", async () => {
    const server = await Server.start();
    const a = new Probe(await (await client()).dial(server.address));
    const b = new Probe(await server.nth(0));
    const big = pattern(1024 * 1024, 1);
    const sent: Uint8Array[] = [big];
    for (let i = 0; i < 1000; i++) sent.push(smallFrame(i));
    for (const f of sent) {
      expect(a.conn.send(f)).toBe(true);
      expect(b.conn.send(f)).toBe(true);
    }
    await a.until(() => a.frames.length === sent.length, "frames at the dialer");
    await b.until(() => b.frames.length === sent.length, "frames at the acceptor");
    for (const p of [a, b]) {
      expect(p.frames[0]!.byteLength).toBe(big.byteLength);
      expect(Buffer.compare(p.frames[0]!, big)).toBe(0);
      expect(p.frames.every((f) => f instanceof Uint8Array)).toBe(true);
      for (let i = 1; i < sent.length; i++) expect(p.frames[i]).toEqual(sent[i]!);
    }
  });

  test("a burst fills bufferedBytes and drain fires once it falls to the low-water mark (both sides)", async () => {
    const server = await Server.start();
    const a = new Probe(await (await client()).dial(server.address));
    const b = new Probe(await server.nth(0));
    const frame = pattern(1024 * 1024, 2);
    const count = 32;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const drainsBefore = from.drains;
      const framesBefore = to.frames.length;
      for (let i = 0; i < count; i++) expect(from.conn.send(frame)).toBe(true);
      expect(from.conn.bufferedBytes).toBeGreaterThan(drainLowWaterBytes);
      await from.until(() => from.drains > drainsBefore, "drain");
      expect(from.conn.bufferedBytes).toBeLessThanOrEqual(drainLowWaterBytes);
      await to.until(() => to.frames.length === framesBefore + count, "burst delivered");
    }
  });

  test("remote close fires close exactly once on each side; send afterwards returns false", async () => {
    const server = await Server.start();
    const dialer = await client();
    const a = new Probe(await dialer.dial(server.address));
    const b = new Probe(await server.nth(0));
    a.conn.close("test done");
    expect(a.closes).toEqual(["test done"]);
    expect(a.conn.closed).toBe(true);
    expect(a.conn.send(new Uint8Array(1))).toBe(false);
    await b.until(() => b.closes.length > 0, "remote close");
    expect(b.closes[0]).toContain("test done");
    expect(b.conn.closed).toBe(true);
    expect(b.conn.send(new Uint8Array(1))).toBe(false);
    b.conn.close();
    await Promise.all([dialer.close(), server.transport.close()]);
    expect(a.closes).toHaveLength(1);
    expect(b.closes).toHaveLength(1);
  });

  test("transport close ends every conn and stops the listener", async () => {
    const server = await Server.start();
    const dialer = await client();
    const a = new Probe(await dialer.dial(server.address));
    const b = new Probe(await server.nth(0));
    await server.transport.close();
    expect(b.closes).toEqual(["transport closed"]);
    await a.until(() => a.closes.length > 0, "close at the dialer");
    expect(a.closes).toHaveLength(1);
    await expect(dialer.dial(server.address)).rejects.toThrow(server.address);
  });

  test("dialing a closed port rejects with an error naming the address", async () => {
    const gone = await Server.start();
    await gone.transport.close();
    const t = await client();
    const err = await t.dial(gone.address).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`dial ${gone.address} failed`);
    await expect(t.dial("not a url")).rejects.toThrow(/dial not a url failed: not a URL/);
    await expect(t.dial("http://127.0.0.1:1")).rejects.toThrow(/not a ws:\/\//);
  });

  test("listening on a port already in use rejects naming the address", async () => {
    const taken = await Server.start();
    const port = Number(new URL(taken.address).port);
    const t = await createWebSocketTransport({ port });
    opened.push(t);
    await expect(t.listen(() => {})).rejects.toThrow(`cannot listen on 127.0.0.1:${port}`);
  });

  test("frames that arrive before attach are delivered in order on attach", async () => {
    const server = await Server.start();
    const a = new Probe(await (await client()).dial(server.address));
    const inbound = await server.nth(0);
    const frames = Array.from({ length: 10 }, (_, i) => smallFrame(i));
    for (const f of frames) a.conn.send(f);
    a.conn.close("sent and gone");
    const waiters = new Set<() => void>();
    const poll = setInterval(() => waiters.forEach((w) => w()), 1);
    try {
      await waitUntil(() => inbound.closed || (inbound as WsConn).framesReceived === 10, "frames at the unattached conn", waiters);
    } finally {
      clearInterval(poll);
    }
    expect((inbound as WsConn).framesReceived).toBe(10);
    const b = new Probe(inbound); // attach now: buffered frames, then the buffered close, synchronously
    expect(b.frames).toEqual(frames);
    await b.until(() => b.closes.length === 1, "close after the buffered frames");
    expect(b.closes[0]).toContain("sent and gone");
  });

  test("an oversized frame from a peer closes that connection; the listener keeps serving", async () => {
    const server = await Server.start();
    const raw = new WebSocket(server.address);
    raw.binaryType = "arraybuffer";
    await new Promise((resolve, reject) => {
      raw.onopen = resolve;
      raw.onerror = reject;
    });
    const victim = new Probe(await server.nth(0));
    const rawClosed = new Promise<number>((resolve) => (raw.onclose = (ev) => resolve(ev.code)));
    raw.send(new Uint8Array(frameBytesMax + 1));
    await victim.until(() => victim.closes.length > 0, "close of the flooded conn");
    expect(victim.closes[0]).toMatch(/too big|too large/i);
    expect(await rawClosed).toBe(1009);
    // Still serving.
    const a = new Probe(await (await client()).dial(server.address));
    const b = new Probe(await server.nth(1));
    a.conn.send(smallFrame(7));
    await b.until(() => b.frames.length === 1, "frame after the bad peer");
    expect(a.closes).toEqual([]);
  });

  test("an oversized frame arriving at the dialer closes its conn", async () => {
    const rogue = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("", { status: 426 })),
      websocket: { message() {}, open: (ws) => void ws.sendBinary(new Uint8Array(frameBytesMax + 1)) },
    });
    try {
      const a = new Probe(await (await client()).dial(`ws://127.0.0.1:${rogue.port}`));
      await a.until(() => a.closes.length > 0, "close at the dialer");
      expect(a.closes[0]).toMatch(/frame too large/);
      expect(a.frames).toEqual([]);
    } finally {
      await rogue.stop(true);
    }
  });

  test("sending an oversized frame closes the conn instead of throwing", async () => {
    const server = await Server.start();
    const a = new Probe(await (await client()).dial(server.address));
    const b = new Probe(await server.nth(0));
    expect(a.conn.send(new Uint8Array(frameBytesMax + 1))).toBe(false);
    expect(a.closes[0]).toMatch(/frame too large to send/);
    await b.until(() => b.closes.length > 0, "remote close");
    expect(b.frames).toEqual([]);
  });

  test("a text frame is a protocol violation that closes the conn", async () => {
    const server = await Server.start();
    const raw = new WebSocket(server.address);
    await new Promise((resolve) => (raw.onopen = resolve));
    const b = new Probe(await server.nth(0));
    raw.send("hello");
    await b.until(() => b.closes.length > 0, "close on text");
    expect(b.closes[0]).toMatch(/text frame/);
  });

  test("with a shaper, bufferedBytes counts shaper-queued bytes and frames still arrive in order", async () => {
    const shaper = new Shaper({ clock: new RealClock(), uplinkBytesPerSec: 20 * 1024 * 1024, burstBytes: 0 });
    const server = await Server.start();
    const a = new Probe(await (await client(shaper)).dial(server.address));
    const b = new Probe(await server.nth(0));
    const frames = Array.from({ length: 8 }, (_, i) => pattern(128 * 1024, i));
    for (const f of frames) a.conn.send(f);
    expect(a.conn.bufferedBytes).toBe(8 * 128 * 1024); // nothing left the bucket yet
    expect(shaper.queuedBytes).toBe(8 * 128 * 1024);
    await a.until(() => a.drains > 0, "drain through the shaper");
    await b.until(() => b.frames.length === frames.length, "shaped frames");
    expect(b.frames).toEqual(frames);
    expect(shaper.queuedBytes).toBe(0);
  });

  test("with a shaper, a small frame's release drains the conn: a sender keeping one frame in flight goes on", async () => {
    // Sessions send the next frame only once the transport holds none (swarm/session.ts sendHighWaterBytes):
    // without this drain, frames under the low-water mark would wait in the sender forever.
    const shaper = new Shaper({ clock: new RealClock(), uplinkBytesPerSec: 1024 * 1024, latencyMs: 2 });
    const server = await Server.start();
    const a = new Probe(await (await client(shaper)).dial(server.address));
    const b = new Probe(await server.nth(0));
    const frames = Array.from({ length: 20 }, (_, i) => pattern(1000, i));
    let next = 0;
    const pump = () => {
      while (next < frames.length && a.conn.bufferedBytes === 0) a.conn.send(frames[next++]!);
    };
    const drainsBefore = a.drains;
    a.onDrain = pump;
    pump();
    await b.until(() => b.frames.length === frames.length, "every frame, one in flight at a time");
    expect(b.frames).toEqual(frames);
    expect(a.drains - drainsBefore).toBeGreaterThanOrEqual(frames.length - 1);
  });
});
