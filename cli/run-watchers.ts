/**
 * Everything that watches a scenario run from the CLI: the telemetry bus, the run database (replayable with
 * `bun run tui --replay`), an optional monitor endpoint (`bun run tui --attach`), the TUI when the terminal
 * has one, and Ctrl-C. While the TUI owns the screen, progress and log lines are held back and printed once it
 * is gone, so nothing the run said is lost.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { RunControl } from "../sim/run-control.ts";
import { Compactor } from "../telemetry/compactor.ts";
import { createTelemetryBus, type TelemetrySink, type TelemetrySource } from "../telemetry/events.ts";
import { startMonitor } from "../telemetry/monitor-server.ts";
import { RunDb } from "../telemetry/run-db.ts";
import { mountTui, type LiveTui } from "./live-tui.tsx";

/** Lines held back while the TUI draws: the tail that matters; the run DB has the rest. */
export const heldLinesMax = 400;

/** A watcher could not start (the run DB cannot be written there, the monitor port is taken): bad input, not a crash. */
export class WatchSetupError extends Error {
  override readonly name = "WatchSetupError";
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface WatchOptions {
  tui: boolean;
  /** Run database file. @default none */
  dbPath?: string;
  /** Serve telemetry here for `bun run tui --attach`. @default none */
  monitor?: { hostname: string; port: number };
}

export interface Watchers {
  bus: TelemetrySink & TelemetrySource;
  control: RunControl;
  /** Progress for people (stderr), held back while the TUI shows. */
  say(line: string): void;
  /** Results (stdout), held back while the TUI shows. */
  out(line: string): void;
  readonly tuiShown: boolean;
  readonly monitorUrl: string | undefined;
  /** Takes the TUI down, prints what was held back, flushes and closes the DB and the monitor. */
  close(): Promise<void>;
}

export async function startWatchers(o: WatchOptions): Promise<Watchers> {
  const control = new RunControl();
  const bus = createTelemetryBus((e) => held.push({ err: true, line: `[telemetry] a listener failed: ${(e as Error)?.message ?? e}` }));
  const held: Array<{ err: boolean; line: string }> = [];
  let heldDropped = 0;
  let tui: LiveTui | undefined;
  const write = (err: boolean, line: string) => {
    if (!tui) return void (err ? process.stderr : process.stdout).write(line + "\n");
    if (held.length >= heldLinesMax) {
      held.shift();
      heldDropped++;
    }
    held.push({ err, line });
  };

  let db: RunDb | undefined;
  if (o.dbPath !== undefined) {
    try {
      if (o.dbPath !== ":memory:") mkdirSync(dirname(o.dbPath), { recursive: true });
      db = await RunDb.create(o.dbPath, {
        onDrop: () => write(true, `[telemetry] run database ${o.dbPath} is falling behind; events are being dropped`),
        onError: (e) => write(true, `[telemetry] writing ${o.dbPath} failed: ${messageOf(e)}`),
      });
    } catch (e) {
      throw new WatchSetupError(`cannot record the run in ${o.dbPath} (--db FILE picks another file, --no-db records nothing): ${messageOf(e)}`);
    }
    bus.subscribe((ev) => db!.emit(ev));
  }
  // Late subscribers (the TUI mounting, a monitor client) start from a compacted picture of the run so far.
  const compactor = new Compactor();
  bus.subscribe((ev) => compactor.emit(ev));
  const source: TelemetrySource = {
    subscribe(listener) {
      for (const ev of compactor.snapshot()) listener(ev);
      return bus.subscribe(listener);
    },
  };
  let monitor: Awaited<ReturnType<typeof startMonitor>> | undefined;
  if (o.monitor) {
    try {
      monitor = await startMonitor({ source: bus, hostname: o.monitor.hostname, port: o.monitor.port, compactor });
    } catch (e) {
      await db?.close().catch(() => undefined);
      throw new WatchSetupError(`--monitor ${o.monitor.hostname}:${o.monitor.port}: cannot listen there (${messageOf(e)})`);
    }
  }

  // Ctrl-C without a TUI (with one, the TUI reads it as a key): stop cleanly; a second one exits at once.
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    write(true, "[scenario] interrupted: stopping the peers (Ctrl-C again to exit at once)");
    control.stop("interrupted");
  };
  process.on("SIGINT", onSigint);

  if (o.tui) {
    tui = mountTui({
      source,
      onQuit: () => control.stop("stopped by user"),
      onPauseChange: (paused) => control.setPaused(paused),
    });
  }

  let closing: Promise<void> | undefined;
  return {
    bus,
    control,
    say: (line) => write(true, line),
    out: (line) => write(false, line),
    tuiShown: tui !== undefined,
    monitorUrl: monitor?.url,
    close() {
      closing ??= (async () => {
        process.off("SIGINT", onSigint);
        if (tui) {
          await tui.close();
          tui = undefined;
          if (heldDropped > 0) process.stderr.write(`[scenario] (${heldDropped} earlier lines not kept)\n`);
          for (const h of held.splice(0)) (h.err ? process.stderr : process.stdout).write(h.line + "\n");
        }
        await monitor?.close();
        await db?.close();
      })();
      return closing;
    },
  };
}
