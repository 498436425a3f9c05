#!/usr/bin/env bun
/**
 * bun run scenario <file or name> [--peers N] [--rounds R] [--seed S] [--clock virtual|real] [--report FILE] [--html FILE]
 *                                 [--no-tui] [--baseline fedavg|centralized [--baseline-only]]
 *                                 [--workers N] [--log-level L]
 *
 * The product's front door: loads a scenario (scenarios/*.ts or any path), runs it, prints one line per round
 * (and a status line every few seconds), optionally writes the JSON report. Exit codes: 0 success, 1 the run
 * failed, 2 bad input (flags or scenario).
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
import { intFlag, parseArgs, UsageError } from "./args.ts";

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
  --no-tui              plain progress lines (the default until the terminal UI lands)
  --log-level L         debug | info | warn | error (default warn; logs go to stderr)
  --help                this text

Progress goes to stderr, one line per round to stdout. Exit 0 on success, 1 if the run failed, 2 on bad input.`;

const logLevels = ["debug", "info", "warn", "error"] as const;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ["peers", "rounds", "seed", "clock", "report", "html", "baseline", "log-level", "workers"], booleans: ["no-tui", "help", "baseline-only"] });
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
  if (workers > 1) say(`[scenario] ${workers} worker threads, ${scenario.peers} peers split between them`);
  const records: PeerRoundRecord[] = [];
  const report = await runScenario(scenario, {
    workers,
    onPeerRound: htmlPath ? (r) => void records.push(r) : undefined,
    source: { ref, overrides },
    logLevel: logLevel as LogLevel,
    onRound: (row) => console.log(roundLine(row, scenario.rounds)),
    onStatus: (st) => say(statusLine(st, scenario.rounds, performance.now() - wall0)),
    onFault: logLevel === "debug" || logLevel === "info" ? (peer, what) => say(`[fault] ${peer}: ${what}`) : undefined,
  });
  say(`[scenario] backend ${report.backend}; ${report.rounds.length} rounds in ${((performance.now() - wall0) / 1000).toFixed(1)} s of wall time`);
  if (report.final) say(`[scenario] final accuracy ${report.final.accuracy.toFixed(4)}, loss ${report.final.loss.toFixed(4)}`);

  if (baseline) {
    say(`[baseline] ${baseline} …`);
    const b = await runBaseline(baseline, scenario);
    report.baseline = b;
    say(`[baseline] ${baseline} accuracy ${b.accuracy.toFixed(4)}${report.final ? ` (swarm ${report.final.accuracy.toFixed(4)}, Δ ${((report.final.accuracy - b.accuracy) * 100).toFixed(2)} points)` : ""}`);
  }
  if (typeof reportPath === "string") {
    writeFileSync(reportPath, reportJson(report));
    say(`[scenario] report written to ${reportPath}`);
  }
  if (typeof htmlPath === "string") {
    writeFileSync(htmlPath, await renderHtmlReport(report, records, { description: scenario.description }));
    say(`[scenario] HTML report written to ${htmlPath}`);
  }
  const incomplete = report.rounds.length < scenario.rounds;
  if (incomplete) say(`[scenario] only ${report.rounds.length} of ${scenario.rounds} rounds finished`);
  return incomplete ? 1 : 0;
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
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof ScenarioError) {
      process.stderr.write(`error: ${e.message}\n${e instanceof UsageError ? "run with --help for usage\n" : ""}`);
      process.exit(2);
    }
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
