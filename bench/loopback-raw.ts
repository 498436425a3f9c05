/**
 * Raw loopback ceiling: `pairs` Bun WebSocket client→server connections in this one process blast pre-built
 * binary frames (no codec, no swarm, no transport wrapper) until `totalBytes` have been received in total.
 * Senders respect backpressure: a client stops while its bufferedAmount is above the high-water mark and resumes
 * when a poll sees it fall. The number bounds what any protocol over Bun WebSockets can reach on this host.
 *
 *   node_modules/.bin/bun bench/loopback-raw.ts [pairs] [frameBytes] [totalBytes]
 */

export interface RawLoopbackOptions {
  /** Client→server connections sending concurrently. */
  pairs: number;
  /** Bytes per WebSocket message. */
  frameBytes: number;
  /** Payload bytes to receive, summed over all connections, before the clock stops. */
  totalBytes: number;
}

export interface RawLoopbackResult {
  /** Payload bytes received (≥ totalBytes: whole frames). */
  bytes: number;
  ms: number;
  bytesPerSec: number;
}

/** A sender pauses while its socket holds more than this unsent: enough to keep the kernel busy between polls. */
const highWaterBytes = 4 * 1024 * 1024;

/** The bench must end; a stall (lost frames, dead server) fails instead of hanging. */
const stallMs = 120_000;

export async function measureRawLoopback(opts: RawLoopbackOptions): Promise<RawLoopbackResult> {
  const { pairs, frameBytes, totalBytes } = opts;
  for (const [name, v] of Object.entries({ pairs, frameBytes, totalBytes })) {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`measureRawLoopback: ${name} must be a positive integer, got ${v}`);
  }
  const framesTotal = Math.ceil(totalBytes / frameBytes);
  let received = 0;
  let finish: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("", { status: 426 })),
    websocket: {
      maxPayloadLength: frameBytes + 1024,
      perMessageDeflate: false,
      idleTimeout: 0,
      open: (ws) => {
        ws.binaryType = "uint8array";
      },
      message: (_ws, message) => {
        received += typeof message === "string" ? message.length : message.byteLength;
        if (received >= totalBytes) finish?.();
      },
    },
  });

  const BunClient = WebSocket as unknown as new (url: string, opts: Bun.WebSocketOptions) => WebSocket;
  const clients = await Promise.all(
    Array.from({ length: pairs }, () => {
      const ws = new BunClient(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: false });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.onopen = () => resolve(ws);
        ws.onerror = () => reject(new Error(`raw loopback: client could not connect to port ${server.port}`));
      });
    }),
  );

  const frame = new Uint8Array(frameBytes);
  for (let i = 0; i < frameBytes; i++) frame[i] = (i * 131) & 0xff;
  // Spread the frames evenly; the first `framesTotal % pairs` clients send one more.
  const remaining = clients.map((_, i) => Math.floor(framesTotal / pairs) + (i < framesTotal % pairs ? 1 : 0));

  let stalled = false;
  const stallTimer = setTimeout(() => {
    stalled = true;
    finish?.();
  }, stallMs);

  const t0 = performance.now();
  const pump = () => {
    let blocked = false;
    for (let i = 0; i < clients.length; i++) {
      const ws = clients[i]!;
      while (remaining[i]! > 0 && ws.bufferedAmount <= highWaterBytes) {
        ws.send(frame);
        remaining[i]!--;
      }
      if (remaining[i]! > 0) blocked = true;
    }
    // No drain event on the client: poll once per event-loop turn, after the sockets have had their I/O.
    if (blocked && received < totalBytes && !stalled) setImmediate(pump);
  };
  pump();
  await done;
  const ms = performance.now() - t0;
  clearTimeout(stallTimer);

  for (const ws of clients) ws.close();
  await server.stop(true);
  if (stalled) throw new Error(`raw loopback: stalled at ${received} of ${totalBytes} bytes after ${stallMs} ms`);
  return { bytes: received, ms, bytesPerSec: (received / ms) * 1000 };
}

if (import.meta.main) {
  const [pairs = 16, frameBytes = 64 * 1024, totalBytes = 512 * 1024 * 1024] = process.argv
    .slice(2)
    .map((a) => Number(a));
  const r = await measureRawLoopback({ pairs, frameBytes, totalBytes });
  console.log(
    JSON.stringify({
      bench: "loopback-raw",
      runtime: `bun ${Bun.version}`,
      pairs,
      frameBytes,
      totalBytes,
      bytes: r.bytes,
      ms: Math.round(r.ms * 10) / 10,
      bytesPerSec: Math.round(r.bytesPerSec),
      MiBPerSec: Math.round((r.bytesPerSec / 1024 / 1024) * 10) / 10,
    }),
  );
}
