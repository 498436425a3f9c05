#!/usr/bin/env bun
/**
 * bun run tui --attach ws://HOST:PORT [--attach ws://HOST2:PORT ...]
 * bun run tui --replay FILE [--speed N|max]
 *
 * The swarm TUI on its own: attached to the monitor endpoints of running scenarios (several endpoints, e.g.
 * several processes hosting parts of one swarm, show as one swarm), or replaying a run database. Without a
 * terminal it prints a plain summary instead (a replay: of the whole run; an attach: a line per round, until
 * the run finishes). Exit codes: 0 done, 1 failed (unreadable database, ...), 2 bad input.
 */
import { createTelemetryBus, type TelemetryEvent, type TelemetrySource } from "../telemetry/events.ts";
import { mergeSources } from "../telemetry/merge.ts";
import { attachMonitor } from "../telemetry/monitor-client.ts";
import { ReplayPlayer } from "../telemetry/replay.ts";
import { countRunEvents, readRunEvents } from "../telemetry/run-db-read.ts";
import { reduce, emptyView, type SwarmView } from "../tui/view-model.ts";
import { exitWhenFlushed, parseArgs, UsageError } from "./args.ts";
import { canShowTui, mountTui } from "./live-tui.tsx";
import { summaryLines } from "./view-summary.ts";

const usage = () => `usage: bun run tui --attach ws://HOST:PORT [--attach ws://HOST:PORT ...]
       bun run tui --replay FILE [--speed N|max]

  --attach URL     watch a running scenario started with --monitor [HOST:]PORT; give several to see the
                   peers of several processes as one swarm
  --replay FILE    play a recorded run (the run database every \`bun run scenario\` writes, see its --db)
  --speed N|max    replay at N times the recorded clock (default 10), or max: as fast as it draws
  --no-tui         print a plain summary instead of the terminal UI (also when there is no terminal)
  --help           this text

Keys: ↑/↓ select a peer, tab switch view, p pause (a replay stops playing), q quit.`;

async function main(argv: string[]): Promise<number> {
  const attach: string[] = [];
  // --attach may repeat: take those out before the one-value-per-flag parser sees the rest.
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--attach" || a.startsWith("--attach=")) {
      const v = a.includes("=") ? a.slice("--attach=".length) : argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError("--attach needs a ws://HOST:PORT URL");
      attach.push(v);
    } else rest.push(a);
  }
  const args = parseArgs(rest, { values: ["replay", "speed"], booleans: ["help", "no-tui"] });
  if (args.flags.has("help")) {
    console.log(usage());
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const replay = args.flags.get("replay");
  if (replay === undefined && attach.length === 0) throw new UsageError("say what to show: --attach ws://HOST:PORT or --replay FILE");
  if (replay !== undefined && attach.length > 0) throw new UsageError("--attach and --replay are exclusive: one source at a time");
  const speedFlag = args.flags.get("speed");
  if (speedFlag !== undefined && replay === undefined) throw new UsageError("--speed applies to --replay");
  const speed = speedFlag === undefined ? undefined : speedFlag === "max" ? "max" : Number(speedFlag);
  if (typeof speed === "number" && !(speed > 0 && Number.isFinite(speed))) throw new UsageError(`--speed must be a number > 0 or max, got ${JSON.stringify(speedFlag)}`);
  const tui = !args.flags.has("no-tui") && canShowTui();

  if (typeof replay === "string") return showReplay(replay, speed, tui);
  return showAttached(attach, tui);
}

async function showReplay(path: string, speed: number | "max" | undefined, tui: boolean): Promise<number> {
  const total = await countRunEvents(path);
  if (!tui) {
    // No terminal to animate: fold the whole run and print what it came to.
    let view = emptyView;
    for await (const ev of readRunEvents(path)) view = reduce(view, ev);
    for (const line of summaryLines(view, `${path}: ${total} events`)) console.log(line);
    return 0;
  }
  const player = new ReplayPlayer(readRunEvents(path), speed === undefined ? {} : { speed });
  const quit = Promise.withResolvers<void>();
  const ui = mountTui({ source: player, onQuit: () => quit.resolve(), onPauseChange: (p) => player.setPaused(p) });
  player.start();
  let failure: unknown;
  player.done.catch((e: unknown) => {
    failure = e;
    quit.resolve();
  });
  await quit.promise;
  await ui.close();
  if (failure) throw failure;
  return 0;
}

async function showAttached(urls: string[], tui: boolean): Promise<number> {
  const problems: string[] = [];
  // In the TUI, the monitor links' ups and downs show in its events log, stamped with the latest run time seen.
  const linkNotes = createTelemetryBus();
  let lastT = 0;
  const wasClosed = new Set<string>();
  const note = (url: string, s: { state: string; error?: string }) => {
    // Once per outage: the first close, then the reconnection (failed retries in between say nothing new).
    if (s.state === "closed") {
      if (wasClosed.has(url)) return;
      wasClosed.add(url);
    } else if (s.state !== "open" || !wasClosed.delete(url)) return;
    linkNotes.emit({ type: "fault", t: lastT, what: `monitor ${url}: ${s.state === "open" ? "reconnected" : `link closed${s.error ? ` (${s.error})` : ""}, retrying`}` });
  };
  const clients = urls.map((url) =>
    attachMonitor(url, {
      onStatus: (s) => {
        if (s.error) problems.push(`${url}: ${s.error}`);
        if (tui) note(url, s);
        else if (s.state !== "open") process.stderr.write(`[tui] ${url}: ${s.state}${s.error ? ` (${s.error})` : ""}\n`);
      },
    }),
  );
  const remote: TelemetrySource = clients.length === 1 ? clients[0]! : mergeSources(clients);
  const source: TelemetrySource = {
    subscribe(listener) {
      const offRemote = remote.subscribe((ev) => {
        lastT = Math.max(lastT, ev.t);
        listener(ev);
      });
      const offNotes = linkNotes.subscribe(listener);
      return () => {
        offRemote();
        offNotes();
      };
    },
  };
  const quit = Promise.withResolvers<void>();
  try {
    if (tui) {
      const ui = mountTui({ source, onQuit: () => quit.resolve() });
      await quit.promise;
      await ui.close();
    } else {
      let view: SwarmView = emptyView;
      let printed = -1;
      const off = source.subscribe((ev: TelemetryEvent) => {
        view = reduce(view, ev);
        for (const r of view.rounds) {
          if (r.round <= printed) continue;
          printed = r.round;
          console.log(`round ${r.round + 1}/${view.run?.rounds ?? "?"}  acc ${r.accuracy.toFixed(4)}  loss ${r.loss.toFixed(4)}  coverage min ${(r.coverage.min * 100).toFixed(1)}%`);
        }
        if (view.finished) quit.resolve();
      });
      process.once("SIGINT", () => quit.resolve());
      await quit.promise;
      off();
      for (const line of summaryLines(view, urls.join(" + "), { rounds: false })) console.log(line);
    }
  } finally {
    for (const c of clients) c.close();
  }
  if (problems.length > 0) process.stderr.write(`[tui] ${problems.length} problem(s) on the monitor link; first: ${problems[0]}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\nrun with --help for usage\n`);
      return exitWhenFlushed(2);
    }
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    return exitWhenFlushed(1);
  },
);
