/**
 * Deno compatibility check for the WebSocket transport: a round trip through Deno.serve and Deno's WebSocket
 * client, plus drain, close and dial failure. Exits non-zero on any failure.
 *
 *   node_modules/.bin/deno run -A test/compat/deno-websocket.ts
 */
import type { Conn } from "../../net/transport.ts";
import { createWebSocketTransport, drainLowWaterBytes } from "../../net/websocket.ts";
import { DenoWebSocketTransport } from "../../net/websocket-deno.ts";

/** The whole check must finish well inside this; a hang is a failure, not a stuck CI job. */
const deadlineMs = 30_000;

type Exit = (code: number) => never;
const exit: Exit = (code) => (globalThis as unknown as { Deno: { exit: Exit } }).Deno.exit(code);

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/** Attaches to a conn and resolves waits on its events. */
function probe(conn: Conn) {
  const frames: Uint8Array[] = [];
  const closes: string[] = [];
  let drains = 0;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  conn.attach({
    frame: (f) => {
      frames.push(f.slice());
      notify();
    },
    close: (r) => {
      closes.push(r);
      notify();
    },
    drain: () => {
      drains++;
      notify();
    },
  });
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      if (pred()) return resolve();
      const w = () => {
        if (pred()) {
          waiters.delete(w);
          resolve();
        }
      };
      waiters.add(w);
    });
  return { conn, frames, closes, until, drains: () => drains };
}

function frameOf(bytes: number, seed: number): Uint8Array {
  const f = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) f[i] = (i * 13 + seed) & 0xff;
  return f;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function main(): Promise<void> {
  const server = await createWebSocketTransport();
  check(server instanceof DenoWebSocketTransport, "createWebSocketTransport picks the Deno implementation");
  const accepted: Conn[] = [];
  let onAccept = () => {};
  const address = await server.listen((c) => {
    accepted.push(c);
    onAccept();
  });
  check(/^ws:\/\/127\.0\.0\.1:\d+$/.test(address), `loopback address, got ${address}`);

  const dialer = await createWebSocketTransport();
  const a = probe(await dialer.dial(address));
  if (accepted.length === 0) await new Promise<void>((r) => (onAccept = r));
  const b = probe(accepted[0]!);

  // Round trip: the acceptor echoes every frame back.
  const sent = [frameOf(1024 * 1024, 1), ...Array.from({ length: 500 }, (_, i) => frameOf(1 + (i % 97), i))];
  let echoed = 0;
  const echo = () => {
    while (echoed < b.frames.length) b.conn.send(b.frames[echoed++]!);
  };
  for (const f of sent) check(a.conn.send(f), "send on an open conn");
  await b.until(() => (echo(), b.frames.length === sent.length));
  await a.until(() => a.frames.length === sent.length);
  sent.forEach((f, i) => check(same(a.frames[i]!, f), `echoed frame ${i} intact and in order`));

  // Burst: bufferedBytes rises past the low-water mark and drain fires once it falls back.
  const burst = frameOf(1024 * 1024, 9);
  const before = b.frames.length;
  const drainsBefore = a.drains();
  for (let i = 0; i < 16; i++) a.conn.send(burst);
  check(a.conn.bufferedBytes > drainLowWaterBytes, `a 16 MiB burst shows in bufferedBytes, got ${a.conn.bufferedBytes}`);
  await a.until(() => a.drains() > drainsBefore);
  check(a.conn.bufferedBytes <= drainLowWaterBytes, "drain at or below the low-water mark");
  await b.until(() => b.frames.length === before + 16);

  // Close: once on each side, with the reason carried across.
  a.conn.close("compat done");
  await b.until(() => b.closes.length > 0);
  check(a.closes.length === 1 && b.closes.length === 1, "close fires once per side");
  check(b.closes[0]!.includes("compat done"), `remote close reason, got ${b.closes[0]}`);

  await server.close();
  const err = await dialer.dial(address).then(
    () => undefined,
    (e: unknown) => e,
  );
  check(err instanceof Error && err.message.includes(`dial ${address} failed`), `dial to a closed port rejects, got ${err}`);
  await dialer.close();
  console.log(JSON.stringify({ ok: true, address, framesEchoed: sent.length }));
}

const deadline = setTimeout(() => {
  console.error(`deno-websocket: no result within ${deadlineMs} ms`);
  exit(2);
}, deadlineMs);

main().then(
  () => {
    clearTimeout(deadline);
    exit(0);
  },
  (e: unknown) => {
    console.error("deno-websocket:", e instanceof Error ? (e.stack ?? e.message) : e);
    exit(1);
  },
);
