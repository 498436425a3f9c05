import {
  type RawSocket,
  type StandardSocket,
  standardRawSocket,
  type WebSocketTransportOptions,
  type WsConn,
  WsTransportBase,
  wireStandardSocket,
} from "./websocket.ts";

/** The slice of the Deno namespace this file uses (the project type-checks against Bun's types only). */
interface DenoNetAddr {
  hostname: string;
  port: number;
}
interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  shutdown(): Promise<void>;
}
interface DenoApi {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: DenoNetAddr) => void },
    handler: (req: Request, info: { remoteAddr: DenoNetAddr }) => Response | Promise<Response>,
  ): DenoHttpServer;
  upgradeWebSocket(req: Request): { socket: StandardSocket; response: Response };
}

function deno(): DenoApi {
  const d = (globalThis as { Deno?: DenoApi }).Deno;
  if (!d) throw new Error("websocket-deno: the Deno global is missing (not running under Deno)");
  return d;
}

/**
 * Deno: Deno.serve + Deno.upgradeWebSocket for accepting, the global WebSocket client for dialing.
 * Both sides are standard WebSockets, so drain is detected by polling bufferedAmount on the injected clock.
 */
export class DenoWebSocketTransport extends WsTransportBase {
  private server: DenoHttpServer | undefined;

  constructor(opts: WebSocketTransportOptions = {}) {
    super(opts);
  }

  protected async startServer(onOpen: (raw: RawSocket, remoteAddress: string) => WsConn | undefined): Promise<number> {
    const d = deno();
    const server = d.serve({ hostname: this.host, port: this.port, onListen: () => {} }, (req, info) => {
      if (this.closing) return new Response("transport closed", { status: 503 });
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("expected a WebSocket upgrade", { status: 426 });
      }
      // remoteAddr is readable only until the upgrade takes the request over.
      const host = info.remoteAddr.hostname;
      const remoteAddress = `${host.includes(":") ? `[${host}]` : host}:${info.remoteAddr.port}`;
      const { socket, response } = d.upgradeWebSocket(req);
      socket.binaryType = "arraybuffer";
      let conn: WsConn | undefined;
      wireStandardSocket(socket, () => conn);
      socket.onopen = () => {
        conn = onOpen(standardRawSocket(socket), remoteAddress);
      };
      socket.onclose = (ev) => conn?.remoteClosed(ev.code, ev.reason);
      return response;
    });
    this.server = server;
    return server.addr.port;
  }

  protected async stopServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.shutdown();
  }

  protected openClient(url: string): StandardSocket {
    return new WebSocket(url) as unknown as StandardSocket;
  }
}
