import type { PeerRoundRecord, PeerTelemetry } from "../actors/peer-telemetry.ts";
import type { LogLevel } from "../runtime/log.ts";
import type { ScenarioOverrides } from "../scenarios/define.ts";
import type { TelemetryEvent } from "../telemetry/events.ts";

/** How a worker finds the scenario: plugins are functions, so it loads the file itself. */
export interface ScenarioSource {
  ref: string;
  overrides: ScenarioOverrides;
}

/** Main thread → worker. */
export type ToWorker =
  | { t: "init"; source: ScenarioSource; ids: string[]; trackerAddress: string; logLevel: LogLevel; sample: boolean; listenHost?: string }
  | { t: "start" }
  | { t: "stop" };

/** Worker → main thread. */
export type FromWorker =
  | { t: "ready"; backend: string }
  | { t: "started" }
  | { t: "state"; peer: string; state: string; round: number }
  | { t: "round"; record: PeerRoundRecord }
  | { t: "fault"; peer: string; what: string }
  | { t: "ban"; peer: string; by: string; reason: string }
  | { t: "timeout"; peer: string; timer: string; state: string; round: number }
  | { t: "sampled"; events: TelemetryEvent[] }
  | { t: "log"; line: string }
  | { t: "finished"; peer: string; how: "done" | "failed" | "left" }
  | { t: "error"; message: string }
  | { t: "closed" };

/** Splits the roster into `n` contiguous slices of near-equal size. */
export function sliceRoster(ids: readonly string[], n: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < n; i++) out.push(ids.slice(Math.floor((i * ids.length) / n), Math.floor(((i + 1) * ids.length) / n)));
  return out.filter((s) => s.length > 0);
}

/**
 * A slice of the roster run by a worker thread (sim/peer-host-worker.ts): its own event loop, trainer and chunk
 * store, so a real-clock run uses more than one core. Its peers talk to everyone over loopback WebSockets like
 * peers in another process would; telemetry comes back as messages.
 */
export class WorkerHost {
  private readonly worker: Worker;
  private pending: { resolve: () => void; reject: (e: Error) => void; until: FromWorker["t"] } | undefined;
  backend = "";
  private closed = false;

  constructor(
    private readonly o: { source: ScenarioSource; ids: string[]; trackerAddress: string; logLevel: LogLevel; listenHost?: string; telemetry: PeerTelemetry; onSample?: (events: TelemetryEvent[]) => void; onLog?: (line: string) => void; onError: (e: Error) => void },
  ) {
    this.worker = new Worker(new URL("./peer-host-worker.ts", import.meta.url).href);
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => this.onMessage(ev.data);
    this.worker.onerror = (ev) => this.fail(new Error(`worker for ${o.ids[0]}…${o.ids.at(-1)}: ${(ev as ErrorEvent).message ?? "crashed"}`));
  }

  /** Builds the worker's peers (data, trainer, transports), then starts them. */
  async start(): Promise<void> {
    await this.request({ t: "init", source: this.o.source, ids: this.o.ids, trackerAddress: this.o.trackerAddress, logLevel: this.o.logLevel, sample: this.o.onSample !== undefined, listenHost: this.o.listenHost }, "ready");
    await this.request({ t: "start" }, "started");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.race([this.request({ t: "stop" }, "closed"), new Promise<void>((r) => setTimeout(r, 5000))]);
    } catch {
      // Closing after a failure: the worker is terminated below either way.
    }
    this.worker.terminate();
  }

  private request(msg: ToWorker, until: FromWorker["t"]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject, until };
      this.worker.postMessage(msg);
    });
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) p.reject(e);
    else this.o.onError(e);
  }

  private onMessage(m: FromWorker): void {
    const tel = this.o.telemetry;
    switch (m.t) {
      case "state":
        return tel.state?.(m.peer, m.state, m.round);
      case "round":
        return tel.round?.(m.record);
      case "fault":
        return tel.fault?.(m.peer, m.what);
      case "ban":
        return tel.ban?.(m.peer, m.by, m.reason);
      case "timeout":
        return tel.timeout?.(m.peer, m.timer, m.state, m.round);
      case "sampled":
        return this.o.onSample?.(m.events);
      case "log":
        return (this.o.onLog ?? ((line: string) => process.stderr.write(line + "\n")))(m.line);
      case "finished":
        return tel.finished?.(m.peer, m.how);
      case "error":
        return this.fail(new Error(m.message));
      case "ready":
        this.backend = m.backend;
        break;
    }
    if (this.pending?.until === m.t) {
      const p = this.pending;
      this.pending = undefined;
      p.resolve();
    }
  }
}
