import type { Server, ServerWebSocket } from "bun";
import { frameBytesMax } from "../swarm/limits.ts";
import {
  type RawSocket,
  sendBufferBytesMax,
  type StandardSocket,
  type WebSocketTransportOptions,
  type WsConn,
  WsTransportBase,
} from "./websocket.ts";

interface SocketData {
  remoteAddress: string;
  conn: WsConn | undefined;
}

/** Server side of a Bun connection: uWS reports backpressure itself through the `drain` handler. */
function bunRawSocket(ws: ServerWebSocket<SocketData>): RawSocket {
  return {
    drainEvents: true,
    // -1: queued under backpressure (fine, bufferedAmount says so); 0: dropped; > 0: written.
    send: (frame) => ws.sendBinary(frame, false) !== 0,
    bufferedAmount: () => ws.getBufferedAmount(),
    close: (code, reason) => ws.close(code, reason),
  };
}

/** Bun: Bun.serve with uWS WebSockets for accepting, the global WebSocket client for dialing. */
export class BunWebSocketTransport extends WsTransportBase {
  private server: Server<SocketData> | undefined;

  constructor(opts: WebSocketTransportOptions = {}) {
    super(opts);
  }

  protected async startServer(onOpen: (raw: RawSocket, remoteAddress: string) => WsConn | undefined): Promise<number> {
    const server = Bun.serve<SocketData>({
      hostname: this.host,
      port: this.port,
      fetch: (req, srv) => {
        if (this.closing) return new Response("transport closed", { status: 503 });
        const ip = srv.requestIP(req);
        const remoteAddress = ip ? `${ip.family === "IPv6" ? `[${ip.address}]` : ip.address}:${ip.port}` : "unknown";
        if (srv.upgrade(req, { data: { remoteAddress, conn: undefined } })) return undefined;
        return new Response("expected a WebSocket upgrade", { status: 426 });
      },
      websocket: {
        // Bigger messages close the connection with 1009 before we ever see them.
        maxPayloadLength: frameBytesMax,
        // Our own check in WsConn.send closes first; this is the backstop so uWS never drops a frame silently.
        backpressureLimit: sendBufferBytesMax + frameBytesMax,
        closeOnBackpressureLimit: true,
        perMessageDeflate: false,
        open: (ws) => {
          ws.binaryType = "uint8array";
          ws.data.conn = onOpen(bunRawSocket(ws), ws.data.remoteAddress);
        },
        message: (ws, message) => {
          const conn = ws.data.conn;
          if (!conn) return;
          if (typeof message === "string") conn.receiveText();
          else conn.receive(message);
        },
        drain: (ws) => ws.data.conn?.writable(),
        close: (ws, code, reason) => ws.data.conn?.remoteClosed(code, reason),
      },
    });
    this.server = server;
    const port = server.port;
    if (port === undefined) throw new Error(`websocket transport: Bun.serve did not bind ${this.host}:${this.port}`);
    return port;
  }

  protected async stopServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop(true);
  }

  protected openClient(url: string): StandardSocket {
    // Bun's client takes an options bag (the DOM typing only knows protocols); no permessage-deflate offer.
    const BunClient = WebSocket as unknown as new (url: string, opts: Bun.WebSocketOptions) => StandardSocket;
    return new BunClient(url, { perMessageDeflate: false });
  }
}
