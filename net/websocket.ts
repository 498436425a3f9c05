import { type Clock, RealClock } from "../runtime/clock.ts";
import type { Shaper } from "./shaper.ts";
import type { Conn, Transport } from "./transport.ts";
import { closeCodes, dialTimeoutMs, type RawSocket, type StandardSocket, standardRawSocket, wireStandardSocket, WsConn } from "./websocket-conn.ts";

export * from "./websocket-conn.ts";

/**
 * WebSocket transport: one binary WebSocket message per frame, loopback by default. The runtime picks the
 * server (Bun.serve or Deno.serve); both use the standard WebSocket client to dial. This file holds what the
 * two share: the transport base and the dial path (the connection itself is in websocket-conn.ts).
 */
export interface WebSocketTransportOptions {
  /** Interface to listen on. Keep it on loopback unless peers run on other hosts. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Device uplink shaper shared by every connection of this transport. @default none (unshaped) */
  shaper?: Shaper;
  /** Time source for dial timeouts and drain polling. @default new RealClock() */
  clock?: Clock;
}

export abstract class WsTransportBase implements Transport {
  address = "";
  protected readonly host: string;
  protected readonly port: number;
  protected readonly clock: Clock;
  protected readonly shaper: Shaper | undefined;
  protected readonly conns = new Set<WsConn>();
  protected closing = false;
  private listening = false;
  private nextId = 1;
  /** Dials still opening, so close() can abort them. */
  private readonly opening = new Set<() => void>();

  constructor(opts: WebSocketTransportOptions) {
    this.host = opts.host ?? "127.0.0.1";
    this.port = opts.port ?? 0;
    this.clock = opts.clock ?? new RealClock();
    this.shaper = opts.shaper;
  }

  /** Starts the runtime's server; resolves with the bound port. */
  protected abstract startServer(onOpen: (raw: RawSocket, remoteAddress: string) => WsConn | undefined): Promise<number>;
  protected abstract stopServer(): Promise<void>;
  protected abstract openClient(url: string): StandardSocket;

  async listen(onConn: (conn: Conn) => void): Promise<string> {
    if (this.closing) throw new Error("websocket transport: listen after close");
    if (this.listening) throw new Error("websocket transport: listen called twice");
    this.listening = true;
    let port: number;
    try {
      port = await this.startServer((raw, remoteAddress) => {
        if (this.closing) {
          raw.close(closeCodes.goingAway, "transport closed");
          return undefined;
        }
        const conn = this.makeConn("in", remoteAddress, raw);
        onConn(conn);
        return conn;
      });
    } catch (e) {
      this.listening = false;
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`websocket transport: cannot listen on ${this.host}:${this.port}: ${why}`);
    }
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    this.address = `ws://${host}:${port}`;
    return this.address;
  }

  dial(address: string): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`dial ${address} failed: ${why}`));
      if (this.closing) return fail("transport closed");
      let url: URL;
      try {
        url = new URL(address);
      } catch {
        return fail("not a URL (expected ws://host:port)");
      }
      if (url.protocol !== "ws:" && url.protocol !== "wss:") return fail("not a ws:// or wss:// address");
      let ws: StandardSocket;
      try {
        ws = this.openClient(address);
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
      ws.binaryType = "arraybuffer";
      let conn: WsConn | undefined;
      let settled = false;
      const settle = (why?: string) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        this.opening.delete(abort);
        if (why === undefined) return;
        try {
          ws.close();
        } catch {
          // Closing a socket that never opened may throw; it is gone either way.
        }
        fail(why);
      };
      const abort = () => settle("transport closed");
      this.opening.add(abort);
      const timer = this.clock.setTimeout(() => settle(`no answer within ${dialTimeoutMs} ms`), dialTimeoutMs);
      wireStandardSocket(ws, () => conn);
      ws.onopen = () => {
        if (settled) return;
        settle();
        conn = this.makeConn("out", address, standardRawSocket(ws));
        resolve(conn);
      };
      ws.onerror = (ev) => settle(describeError(ev) ?? "connection error");
      ws.onclose = (ev) => {
        if (conn) conn.remoteClosed(ev.code, ev.reason);
        else settle(`closed before opening (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`);
      };
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const abort of [...this.opening]) abort();
    for (const conn of [...this.conns]) conn.close("transport closed");
    if (this.listening) await this.stopServer();
  }

  private makeConn(side: "in" | "out", remoteAddress: string, raw: RawSocket): WsConn {
    const conn = new WsConn(`ws-${side}-${this.nextId++}`, remoteAddress, raw, {
      clock: this.clock,
      shaper: this.shaper,
      onClosed: (c) => this.conns.delete(c),
    });
    this.conns.add(conn);
    return conn;
  }
}

function describeError(ev: { message?: string; error?: unknown }): string | undefined {
  const err = ev.error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === "string" ? err.code : undefined;
  const message = ev.message || (typeof err?.message === "string" ? err.message : undefined);
  if (code && message && !message.includes(code)) return `${code}: ${message}`;
  return message || code;
}

/** Creates the WebSocket transport for the running runtime (Bun.serve under Bun, Deno.serve under Deno). */
export async function createWebSocketTransport(opts: WebSocketTransportOptions = {}): Promise<Transport> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) {
    const { BunWebSocketTransport } = await import("./websocket-bun.ts");
    return new BunWebSocketTransport(opts);
  }
  if (g.Deno !== undefined) {
    const { DenoWebSocketTransport } = await import("./websocket-deno.ts");
    return new DenoWebSocketTransport(opts);
  }
  throw new Error("websocket transport: needs Bun or Deno (no Bun or Deno global found)");
}
