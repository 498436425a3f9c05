/**
 * A run's telemetry from another process: the client side of telemetry/monitor-server.ts, as a TelemetrySource.
 *
 * Nothing that arrives is trusted: a frame that does not decode, has another wire version or holds an invalid
 * event is counted in `rejected` and reported through `onStatus` (as `error`), never thrown. After a connection
 * drops it reconnects with backoff until `close()`; each connection starts with a snapshot beginning with
 * run.started, which starts a view over (tui/view-model.ts), so a reconnected view converges on the run.
 */
import { globalScheduler, type Scheduler } from "../runtime/scheduler.ts";
import type { TelemetryEvent, TelemetrySource } from "./events.ts";
import { decodeMonitorFrame } from "./monitor-wire.ts";

/** First reconnect wait: a restarted monitor on the same host is back within a few hundred ms. */
export const reconnectFirstMs = 500;
/** The wait doubles per failed attempt up to this, so a monitor that comes back is noticed within 5 s. */
export const reconnectMaxMs = 5000;
/** Close code for a client that leaves on purpose (RFC 6455: normal closure). */
const closeNormal = 1000;

export interface MonitorStatus {
  state: "connecting" | "open" | "closed";
  /** Why the connection closed, or what was rejected while it stayed in `state`. */
  error?: string;
}

export interface AttachOptions {
  /** Connection changes and rejected input. Exceptions it throws are ignored. */
  onStatus?(status: MonitorStatus): void;
  /** Reconnect after the connection drops. @default true */
  reconnect?: boolean;
  /** Timer for reconnect backoff. @default globalScheduler */
  scheduler?: Scheduler;
}

export interface AttachedMonitor extends TelemetrySource {
  /** Closes the connection and stops reconnecting; subscribers get nothing more. */
  close(): void;
  /** Frames and events rejected so far. */
  readonly rejected: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Connects to a monitor at `url` (ws:// or wss://; anything else throws an Error naming it) and starts at once:
 * subscribe in the same tick to see the first snapshot.
 */
export function attachMonitor(url: string, opts: AttachOptions = {}): AttachedMonitor {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`attachMonitor: ${JSON.stringify(url)} is not a URL (expected ws://host:port)`);
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new Error(`attachMonitor: ${JSON.stringify(url)} is not a ws:// or wss:// URL`);
  const reconnect = opts.reconnect ?? true;
  const scheduler = opts.scheduler ?? globalScheduler;
  const listeners = new Set<(event: TelemetryEvent) => void>();
  let socket: WebSocket | undefined;
  let timer: { handle: unknown } | undefined;
  let state: MonitorStatus["state"] = "connecting";
  let closed = false;
  let rejected = 0;
  let backoffMs = reconnectFirstMs;

  const report = (status: MonitorStatus) => {
    try {
      opts.onStatus?.(status);
    } catch {
      // A status display that fails must not take the feed down with it.
    }
  };

  const reject = (why: string) => {
    rejected++;
    report({ state, error: `rejected ${why}` });
  };

  const deliver = (ev: TelemetryEvent) => {
    for (const listener of [...listeners]) {
      try {
        listener(ev);
      } catch (e) {
        report({ state, error: `listener threw: ${message(e)}` });
      }
    }
  };

  const onFrame = (data: unknown) => {
    if (!(data instanceof ArrayBuffer)) return reject(`frame: expected binary, got ${typeof data === "string" ? "text" : typeof data}`);
    let decoded;
    try {
      decoded = decodeMonitorFrame(new Uint8Array(data));
    } catch (e) {
      return reject(message(e));
    }
    for (const why of decoded.rejected) reject(why);
    for (const ev of decoded.events) {
      if (closed) return;
      deliver(ev);
    }
  };

  const retry = () => {
    if (closed || !reconnect) return;
    const waitMs = backoffMs;
    backoffMs = Math.min(backoffMs * 2, reconnectMaxMs);
    timer = { handle: scheduler.setTimeout(connect, waitMs) };
  };

  const lost = (error: string | undefined) => {
    socket = undefined;
    state = "closed";
    report(error === undefined ? { state } : { state, error });
    retry();
  };

  function connect(): void {
    timer = undefined;
    if (closed) return;
    state = "connecting";
    report({ state });
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      return lost(message(e));
    }
    ws.binaryType = "arraybuffer";
    socket = ws;
    let error: string | undefined;
    ws.onopen = () => {
      if (socket !== ws) return;
      backoffMs = reconnectFirstMs;
      state = "open";
      report({ state });
    };
    ws.onmessage = (ev) => {
      if (socket === ws) onFrame(ev.data);
    };
    ws.onerror = (ev) => {
      error = (ev as { message?: string }).message || "connection error";
    };
    ws.onclose = (ev) => {
      if (socket !== ws) return;
      lost(error ?? (ev.code === closeNormal ? undefined : `closed (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`));
    };
  }

  connect();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) scheduler.clearTimeout(timer.handle);
      timer = undefined;
      const ws = socket;
      socket = undefined;
      ws?.close(closeNormal);
      state = "closed";
      report({ state });
    },
    get rejected() {
      return rejected;
    },
  };
}
