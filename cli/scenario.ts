#!/usr/bin/env bun
/**
 * bun run scenario <file or name> [--peers N] [--rounds R] [--seed S] [--clock virtual|real] [--report FILE] [--html FILE]
 *                                 [--no-tui] [--db FILE | --no-db] [--monitor [HOST:]PORT]
 *                                 [--baseline fedavg|centralized [--baseline-only]] [--workers N] [--log-level L]
 *                                 [--part I/N [--tracker ws://HOST:PORT | --tracker-port P]]
 *
 * The product's front door: loads a scenario (scenarios/*.ts or any path) and runs it. In a terminal it shows
 * the live TUI; otherwise (or with --no-tui) it prints one line per round and a status line every few seconds.
 * Every run is recorded in a run database for `bun run tui --replay`. Exit codes: 0 success, 1 the run failed,
 * 2 bad input (flags or scenario), 130 stopped early (q in the TUI, Ctrl-C).
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { ScenarioError, applyOverrides, describeScenario, listScenarios, loadScenario } from "../scenarios/define.ts";
import { runScenario, type RunStatus } from "../sim/run-scenario.ts";
import { checkTopology } from "../scenarios/check-topology.ts";
import { runBaseline } from "../sim/baseline.ts";
import { describeBackend } from "../learn/backend.ts";
import { reportJson, roundLine } from "../sim/report.ts";
import { renderHtmlReport } from "../report/html.ts";
import type { PeerRoundRecord } from "../actors/peer-telemetry.ts";
import type { LogLevel } from "../runtime/log.ts";
import { exitWhenFlushed, intFlag, parseArgs, parseHostPort, UsageError } from "./args.ts";
import { canShowTui } from "./live-tui.tsx";
import { startWatchers, WatchSetupError } from "./run-watchers.ts";

const usage = () => `usage: bun run scenario <file or name> [options]

  <file or name>        a shipped scenario (${listScenarios().join(", ")}), e.g. mesh-100 or
                        mesh-100.ts or scenarios/mesh-100.ts, or a path to your own scenario file
  --peers N             override the scenario's peer count
  --rounds R            override the number of rounds
  --seed S              override the seed (data split, initial model, topology, everything)
  --clock virtual|real  virtual: simulated time and links (deterministic); real: WebSockets on loopback
  --report FILE         write the JSON report to FILE
  --html FILE           write an HTML report (accuracy and loss per round, completion times per round,
                        bytes per peer, coverage) with the charts inline
  --baseline KIND       also run a baseline on the same data: fedavg (ideal in-process FedAvg, same seed,
                        splits, initial model and local training) or centralized (one model, all data)
  --workers N           real clock: split the peers over N worker threads (default: 2 when the machine has
                        2 or more cores; a virtual run is always one thread)
  --baseline-only       run only the baseline (one line per round), not the swarm
  --no-tui              plain progress lines instead of the live terminal UI (the TUI shows only when
                        stdin and stdout are a terminal). TUI keys: ↑/↓ peer, tab view, p pause (a virtual
                        clock stops; a real run freezes only the picture), q quit (stops the run cleanly)
  --db FILE             record the run's telemetry here (default runs/<scenario>-seed<S>-<time>.db);
                        replay it with: bun run tui --replay FILE
  --no-db               do not record the run
  --monitor [HOST:]PORT serve live telemetry over WebSocket for: bun run tui --attach ws://HOST:PORT
                        (HOST defaults to 127.0.0.1; use 0.0.0.0 to let other hosts attach; PORT 0 picks one)
  --part I/N            real clock: host only part I of N of the peers in this process; part 1 runs the
                        tracker and prints its address, parts 2..N join it with --tracker. Each process
                        reports its own peers; bun run tui --attach A --attach B shows them as one swarm
  --tracker URL         with --part I/N (I > 1): the tracker part 1 printed (ws://HOST:PORT)
  --tracker-port P      with --part 1/N: listen for peers on this port (default: any free port)
  --listen HOST         real clock: the address this process's peers (and tracker) listen on and advertise;
                        default 127.0.0.1. Give an address other hosts can reach to run parts on several
                        hosts (not 0.0.0.0: it is also the address peers are told to dial)
  --log-level L         debug | info | warn | error (default warn; logs go to stderr)
  --help                this text

Without the TUI, progress goes to stderr and one line per round to stdout. Exit 0 on success, 1 if the run
failed, 2 on bad input, 130 if it was stopped early (its report then holds the rounds finished).`;

const logLevels = ["debug", "info", "warn", "error"] as const;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ["peers", "rounds", "seed", "clock", "report", "html", "baseline", "log-level", "workers", "db", "monitor", "part", "tracker", "tracker-port", "listen"], booleans: ["no-tui", "no-db", "help", "baseline-only"] });
  if (args.flags.has("help")) {
    console.log(usage());
    return 0;
  }
  if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? "name a scenario to run" : `one scenario at a time, got ${args.positionals.join(" ")}`);
  const clock = args.flags.get("clock");
  if (clock !== undefined && clock !== "virtual" && clock !== "real") throw new UsageError(`--clock must be virtual or real, got ${JSON.stringify(clock)}`);
  const baseline = args.flags.get("baseline");
  if (baseline !== undefined && baseline !== "fedavg" && baseline !== "centralized") throw new UsageError(`--baseline must be fedavg or centralized, got ${JSON.stringify(baseline)}`);
  const logLevel = args.flags.get("log-level") ?? "warn";
  if (!logLevels.includes(logLevel as LogLevel)) throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, got ${JSON.stringify(logLevel)}`);
  const baselineOnly = args.flags.has("baseline-only");
  if (baselineOnly && !baseline) throw new UsageError("--baseline-only needs --baseline fedavg or --baseline centralized");
  const reportPath = args.flags.get("report");
  const htmlPath = args.flags.get("html");
  if (htmlPath === true) throw new UsageError("--html needs a file name");
  if (reportPath === true) throw new UsageError("--report needs a file name");
  if (args.flags.has("db") && args.flags.has("no-db")) throw new UsageError("--db and --no-db contradict each other");
  const monitor = args.flags.has("monitor") ? parseHostPort(String(args.flags.get("monitor")), "--monitor") : undefined;
  const listen = parseListen(args.flags.get("listen"));
  const part = parsePart(args.flags.get("part"), args.flags.get("tracker"), args.flags.has("tracker-port") ? intFlag(args, "tracker-port", 0, 1) : undefined);

  const ref = args.positionals[0]!;
  const overrides = {
    peers: args.flags.has("peers") ? intFlag(args, "peers", 0, 2) : undefined,
    rounds: args.flags.has("rounds") ? intFlag(args, "rounds", 0, 1) : undefined,
    seed: args.flags.has("seed") ? intFlag(args, "seed", 0, 0) : undefined,
    clock: clock as "virtual" | "real" | undefined,
  };
  const scenario = applyOverrides(await loadScenario(ref), overrides);
  checkTopology(scenario);
  // Faults act on the peers of one process, so a scenario with faults runs in one thread unless told otherwise.
  const workers = args.flags.has("workers") ? intFlag(args, "workers", 1, 1) : scenario.clock === "real" && scenario.faults.length === 0 ? Math.min(2, availableParallelism()) : 1;
  if (workers > 1 && scenario.clock === "virtual") throw new UsageError("--workers needs the real clock: a virtual run is one deterministic event loop");
  if (listen !== undefined && scenario.clock === "virtual") throw new UsageError("--listen needs the real clock: a virtual run has no sockets");
  if (part && scenario.clock === "virtual") throw new UsageError("--part needs the real clock (--clock real): a virtual run is one event loop");
  if (part && part.of > scenario.peers) throw new UsageError(`--part ${part.index + 1}/${part.of}: ${scenario.peers} peers cannot be split into ${part.of} parts`);

  const say = (line: string) => process.stderr.write(line + "\n");
  const wall0 = performance.now();
  say(`[scenario] ${describeScenario(scenario)}`);
  if (baselineOnly) {
    say(`[baseline] ${baseline} only (no swarm run) …`);
    const b = await runBaseline(baseline!, scenario, (r, acc) => console.log(`baseline ${baseline} round ${r + 1}/${scenario.rounds}  acc ${acc.toFixed(4)}`));
    say(`[baseline] ${baseline} accuracy ${b.accuracy.toFixed(4)} in ${((performance.now() - wall0) / 1000).toFixed(1)} s of wall time`);
    if (typeof reportPath === "string") {
      writeFileSync(reportPath, reportJson({ scenario: scenario.name, seed: scenario.seed, clock: scenario.clock, peers: scenario.peers, backend: describeBackend(), rounds: [], final: null, baseline: b }));
      say(`[scenario] report written to ${reportPath}`);
    }
    return 0;
  }
  const dbPath = args.flags.has("no-db") ? undefined : typeof args.flags.get("db") === "string" ? (args.flags.get("db") as string) : defaultDbPath(scenario.name, scenario.seed);
  const w = await startWatchers({ tui: !args.flags.has("no-tui") && canShowTui(), dbPath, monitor });
  if (w.monitorUrl) say(`[scenario] monitor at ${w.monitorUrl} (attach: bun run tui --attach ${w.monitorUrl})`);
  if (workers > 1) w.say(`[scenario] ${workers} worker threads, ${scenario.peers} peers split between them`);
  const records: PeerRoundRecord[] = [];
  let lastT = 0;
  w.bus.subscribe((ev) => (lastT = Math.max(lastT, ev.t)));
  let report;
  try {
    report = await runScenario(scenario, {
      workers,
      onPeerRound: htmlPath ? (r) => void records.push(r) : undefined,
      source: { ref, overrides },
      logLevel: logLevel as LogLevel,
      logSink: w.say,
      telemetry: w.bus,
      control: w.control,
      part: part && { index: part.index, of: part.of, trackerAddress: part.tracker },
      trackerPort: part?.trackerPort,
      listenHost: listen,
      onTracker: part ? (address) => say(`[scenario] tracker at ${address} (other parts: bun run scenario ${ref} --part I/${part.of} --tracker ${address})`) : undefined,
      onRound: (row) => w.out(roundLine(row, scenario.rounds)),
      onStatus: w.tuiShown ? undefined : (st) => w.say(statusLine(st, scenario.rounds, performance.now() - wall0)),
      onFault: logLevel === "debug" || logLevel === "info" ? (peer, what) => w.say(`[fault] ${peer}: ${what}`) : undefined,
    });
    if (baseline && !report.stopped) {
      w.say(`[baseline] ${baseline} …`);
      const b = await runBaseline(baseline, scenario);
      report.baseline = b;
      w.bus.emit({ type: "baseline", t: lastT, kind: baseline, accuracy: b.accuracy });
    }
  } finally {
    await w.close();
  }
  if (report.stopped) say(`[scenario] ${report.stopped}: stopped early after ${report.rounds.length} of ${scenario.rounds} rounds`);
  say(`[scenario] backend ${report.backend}; ${report.rounds.length} rounds in ${((performance.now() - wall0) / 1000).toFixed(1)} s of wall time`);
  if (report.final) say(`[scenario] final accuracy ${report.final.accuracy.toFixed(4)}, loss ${report.final.loss.toFixed(4)}`);
  if (report.baseline) {
    const b = report.baseline;
    say(`[baseline] ${b.kind} accuracy ${b.accuracy.toFixed(4)}${report.final ? ` (swarm ${report.final.accuracy.toFixed(4)}, Δ ${((report.final.accuracy - b.accuracy) * 100).toFixed(2)} points)` : ""}`);
  }
  if (dbPath) say(`[scenario] run recorded in ${dbPath} (replay: bun run tui --replay ${dbPath})`);
  if (typeof reportPath === "string") {
    writeFileSync(reportPath, reportJson(report));
    say(`[scenario] report written to ${reportPath}`);
  }
  if (typeof htmlPath === "string") {
    writeFileSync(htmlPath, await renderHtmlReport(report, records, { description: scenario.description }));
    say(`[scenario] HTML report written to ${htmlPath}`);
  }
  if (report.stopped) return 130;
  const incomplete = report.rounds.length < scenario.rounds;
  if (incomplete) say(`[scenario] only ${report.rounds.length} of ${scenario.rounds} rounds finished`);
  return incomplete ? 1 : 0;
}

/** `--listen HOST`: an address peers can be told to dial, so not a wildcard. */
function parseListen(v: string | true | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === true || v === "") throw new UsageError("--listen needs an address (an IP or name of this host)");
  if (v === "0.0.0.0" || v === "::" || v === "[::]") throw new UsageError(`--listen ${v}: peers advertise this address for others to dial, so give one they can reach, not a wildcard`);
  return v.replace(/^\[|\]$/g, "");
}

/** `--part I/N` with its tracker flags: part 1 runs the tracker, the others must name it. */
function parsePart(v: string | true | undefined, tracker: string | true | undefined, trackerPort: number | undefined) {
  if (v === undefined) {
    if (tracker !== undefined || trackerPort !== undefined) throw new UsageError("--tracker and --tracker-port go with --part I/N");
    return undefined;
  }
  const m = /^(\d+)\/(\d+)$/.exec(String(v));
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(i >= 1 && n >= 1 && i <= n)) throw new UsageError(`--part must be I/N with 1 ≤ I ≤ N, got ${JSON.stringify(v)}`);
  if (tracker === true) throw new UsageError("--tracker needs the address part 1 printed (ws://HOST:PORT)");
  if (i === 1 && tracker !== undefined) throw new UsageError("--part 1/N runs the tracker itself; --tracker is for the other parts");
  if (i > 1 && tracker === undefined) throw new UsageError(`--part ${i}/${n} joins part 1's tracker: give --tracker ws://HOST:PORT`);
  if (i > 1 && trackerPort !== undefined) throw new UsageError("--tracker-port is for part 1, which runs the tracker");
  if (tracker !== undefined && !/^wss?:\/\/[^\s/]+/.test(tracker)) throw new UsageError(`--tracker must be a ws://HOST:PORT URL, got ${JSON.stringify(tracker)}`);
  return { index: i - 1, of: n, tracker, trackerPort };
}

/** Where a run is recorded when --db is not given: one new file per run, named so `ls runs/` reads as a history. */
function defaultDbPath(scenario: string, seed: number): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `runs/${scenario}-seed${seed}-${stamp}.db`;
}

function statusLine(st: RunStatus, rounds: number, wallMs: number): string {
  const states = Object.entries(st.states)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const r = st.rounds.min === Infinity ? "-" : st.rounds.min === st.rounds.max ? `${st.rounds.min + 1}` : `${st.rounds.min + 1}–${st.rounds.max + 1}`;
  return `[status] clock ${(st.nowMs / 1000).toFixed(1)} s, wall ${(wallMs / 1000).toFixed(1)} s: round ${r}/${rounds}; ${states}`;
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof WatchSetupError) {
      process.stderr.write(`error: ${e.message}\n${e instanceof UsageError ? "run with --help for usage\n" : ""}`);
      return exitWhenFlushed(2);
    }
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    return exitWhenFlushed(1);
  },
);
