/**
 * A run's telemetry over WebSocket, for monitors in other processes (telemetry/monitor-client.ts).
 *
 * Each client first gets a snapshot (telemetry/compactor.ts: the latest of everything, starting with
 * run.started), then the live events in batches every `batchMs`. Frames: telemetry/monitor-wire.ts.
 *
 * Backpressure: a client whose unsent bytes would pass `maxBufferedBytes` stops getting live events and is
 * marked stale; once its socket has drained, it gets a fresh snapshot and live events again. So a slow client
 * costs the server at most about `maxBufferedBytes` plus one snapshot, and still converges on the run's view.
 * Backpressure under the cap (Bun's send returning -1) is tolerated: resyncing on every full socket buffer
 * would turn each burst into a whole snapshot.
 */
import type { Server, ServerWebSocket } from "bun";
import { globalScheduler, type Scheduler } from "../runtime/scheduler.ts";
import { Compactor } from "./compactor.ts";
import type { TelemetryEvent, TelemetrySource } from "./events.ts";
import { encodeMonitorFrame } from "./monitor-wire.ts";

/** 10 Hz: as often as a TUI renders (tui/use-swarm-view.ts renderIntervalMs); batching costs no more latency than that. */
export const monitorBatchMs = 100;
/** Unsent bytes per client before it is cut to snapshots: seconds of a busy run, far below what a host can spare. */
export const monitorBufferedBytesMax = 8 * 1024 * 1024;
/** Live events per frame: a flood goes out as several frames of this many instead of one unbounded frame. */
export const batchEventsMax = 4096;
/** Clients send nothing the server reads; a bigger message closes the connection (1009) before it is buffered. */
export const clientMessageBytesMax = 4096;
/** uWS's own cap on a client's unsent bytes sits this far above ours: a backstop that closes a client our checks missed. */
export const backstopBytes = 64 * 1024 * 1024;
/** Close code sent to clients when the monitor closes (RFC 6455: going away). */
const closeGoingAway = 1001;
/** On close, how long clients get to take the last frames and answer the close: a run's end is worth a second, not more. */
const closeDrainMs = 1000;
const closePollMs = 10;

export interface MonitorOptions {
  /** The run's telemetry; the monitor subscribes at once and keeps the latest of everything for late clients. */
  source: TelemetrySource;
  /** Interface to listen on; keep it on loopback unless monitors run on other hosts. @default "127.0.0.1" */
  hostname?: string;
  /** Port to listen on; 0 picks a free one (see `Monitor.port`). */
  port: number;
  /** Live events are sent at most this often. @default monitorBatchMs */
  batchMs?: number;
  /** A client's unsent bytes past which it gets snapshots instead of live events. @default monitorBufferedBytesMax */
  maxBufferedBytes?: number;
  /** Timer for batching. @default globalScheduler */
  scheduler?: Scheduler;
  /**
   * A compactor the caller already feeds from `source` (subscribed before the monitor), so a process that keeps
   * one for its own late subscribers does not fold every event twice. @default the monitor's own
   */
  compactor?: Compactor;
}

export interface Monitor {
  /** ws://host:port, for attachMonitor. */
  readonly url: string;
  readonly port: number;
  /** Clients connected now. */
  clients(): number;
  /** Snapshots sent to clients that had fallen behind (not counting the one each client gets on connect). */
  resyncs(): number;
  /** Stops listening, closes every client and lets go of the source. */
  close(): Promise<void>;
}

interface ClientData {
  /** Missed live events: waits for its socket to drain, then gets a snapshot. */
  stale: boolean;
}

type Client = ServerWebSocket<ClientData>;

function checkOptions(opts: MonitorOptions): void {
  const { port, batchMs, maxBufferedBytes } = opts;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`startMonitor: port must be an integer in 0..65535, got ${port}`);
  if (batchMs !== undefined && !(Number.isFinite(batchMs) && batchMs > 0)) throw new Error(`startMonitor: batchMs must be > 0, got ${batchMs}`);
  if (maxBufferedBytes !== undefined && !(Number.isInteger(maxBufferedBytes) && maxBufferedBytes > 0)) {
    throw new Error(`startMonitor: maxBufferedBytes must be an integer > 0, got ${maxBufferedBytes}`);
  }
}

/** Starts serving `opts.source` to monitors; resolves once listening. */
export async function startMonitor(opts: MonitorOptions): Promise<Monitor> {
  checkOptions(opts);
  const hostname = opts.hostname ?? "127.0.0.1";
  const batchMs = opts.batchMs ?? monitorBatchMs;
  const maxBufferedBytes = opts.maxBufferedBytes ?? monitorBufferedBytesMax;
  const scheduler = opts.scheduler ?? globalScheduler;
  const compactor = opts.compactor ?? new Compactor();
  const feedCompactor = opts.compactor === undefined;
  const clients = new Set<Client>();
  let pending: TelemetryEvent[] = [];
  let timer: { handle: unknown } | undefined;
  let closed = false;
  let resyncs = 0;
  /** The encoded snapshot, shared by the clients that need one until the next event changes it. */
  let snapshotFrame: Uint8Array | undefined;

  const sendSnapshot = (ws: Client) => {
    ws.data.stale = false;
    // 0: dropped (the backstop); try again after the next drain.
    snapshotFrame ??= encodeMonitorFrame(compactor.snapshot());
    if (ws.sendBinary(snapshotFrame) === 0) ws.data.stale = true;
  };

  const sendLive = (ws: Client, frame: Uint8Array) => {
    if (ws.data.stale) return;
    const buffered = ws.getBufferedAmount();
    // An empty buffer always takes the frame, so a frame bigger than the cap cannot starve a client.
    if ((buffered > 0 && buffered + frame.byteLength > maxBufferedBytes) || ws.sendBinary(frame) === 0) ws.data.stale = true;
  };

  /** A stale client resyncs once half its cap has drained: room for the snapshot without waiting for empty. */
  const resyncIfDrained = (ws: Client) => {
    if (closed || !ws.data.stale || ws.getBufferedAmount() > maxBufferedBytes / 2) return;
    resyncs++;
    sendSnapshot(ws);
  };

  const flush = () => {
    if (timer !== undefined) scheduler.clearTimeout(timer.handle);
    timer = undefined;
    if (pending.length > 0) {
      const frame = encodeMonitorFrame(pending);
      pending = [];
      for (const ws of clients) sendLive(ws, frame);
    }
    // The drain handler resyncs stale clients; this catches one whose drain came before it was marked stale.
    for (const ws of clients) resyncIfDrained(ws);
    arm();
  };

  const arm = () => {
    if (closed || timer !== undefined) return;
    if (pending.length === 0 && ![...clients].some((ws) => ws.data.stale)) return;
    timer = { handle: scheduler.setTimeout(flush, batchMs) };
  };

  const server: Server<ClientData> = Bun.serve<ClientData>({
    hostname,
    port: opts.port,
    fetch: (req, srv) => {
      if (closed) return new Response("telemetry monitor closed\n", { status: 503 });
      if (srv.upgrade(req, { data: { stale: false } })) return undefined;
      return new Response(`fltorrent telemetry monitor: open a WebSocket here for msgpack {v, events} frames\n`, {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    },
    websocket: {
      maxPayloadLength: clientMessageBytesMax,
      backpressureLimit: maxBufferedBytes + backstopBytes,
      closeOnBackpressureLimit: true,
      perMessageDeflate: false,
      open: (ws) => {
        if (closed) return ws.close(closeGoingAway, "monitor closed");
        // Send what is pending to the others first: the snapshot already holds it, and must not be followed by it.
        flush();
        clients.add(ws);
        sendSnapshot(ws);
        arm();
      },
      // Clients have nothing to say; whatever they send (garbage included) is ignored.
      message: () => {},
      // Fires as the socket's buffer shrinks; flush resyncs a stale client once enough has drained.
      drain: (ws) => {
        if (ws.data.stale) flush();
      },
      close: (ws) => {
        clients.delete(ws);
      },
    },
  });
  const port = server.port;
  if (port === undefined) {
    await server.stop(true);
    throw new Error(`startMonitor: Bun.serve did not bind ${hostname}:${opts.port}`);
  }

  const unsubscribe = opts.source.subscribe((ev) => {
    if (feedCompactor) compactor.emit(ev);
    snapshotFrame = undefined;
    if (clients.size === 0) return; // the next client's snapshot holds it
    pending.push(ev);
    if (pending.length >= batchEventsMax) flush();
    else arm();
  });

  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `ws://${host}:${port}`,
    port,
    clients: () => clients.size,
    resyncs: () => resyncs,
    async close() {
      if (closed) return;
      unsubscribe();
      // The last events (a run's end) go out before the goodbye: send what is pending, give the sockets a
      // bounded while to drain and to answer the close, then stop.
      flush();
      closed = true;
      if (timer !== undefined) scheduler.clearTimeout(timer.handle);
      timer = undefined;
      const sleep = (ms: number) => new Promise<void>((resolve) => scheduler.setTimeout(resolve, ms));
      for (let waited = 0; waited < closeDrainMs && [...clients].some((ws) => ws.getBufferedAmount() > 0); waited += closePollMs) await sleep(closePollMs);
      for (const ws of [...clients]) ws.close(closeGoingAway, "monitor closed");
      for (let waited = 0; waited < closeDrainMs && clients.size > 0; waited += closePollMs) await sleep(closePollMs);
      clients.clear();
      await server.stop(true);
    },
  };
}
