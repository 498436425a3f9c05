#!/usr/bin/env bun
/**
 * bun run bench swarm [--json] [--quick] [--seed S] [--skip-scale] [--skip-loopback]
 * bun run bench learn [--json] [--quick] [--seed S]
 * bun run bench robustness [--json] [--quick] [--seed S]
 * bun run bench importance [--json] [--quick] [--seeds N]
 * bun run bench tui [--json] [--quick]
 *
 * The swarm benchmark: all-gathers (every peer needs every other peer's update) in virtual time on emulated
 * links, a 200-peer virtual run for wall-time scale, and a real-socket loopback run against the raw WebSocket
 * ceiling measured in the same process. Prints progress to stderr and, with --json, one JSON line on stdout.
 */
import { heterogeneous, homogeneous } from "../bench/swarm-cases.ts";
import { runVirtualAllGather, type AllGatherResult } from "../sim/allgather.ts";
import { loopbackCase } from "../sim/allgather-real.ts";
import { runImportanceBench } from "../bench/importance.ts";
import { runImportanceCostBench } from "../bench/importance-cost.ts";
import { runLearnBench } from "../bench/learn.ts";
import { runRobustnessBench } from "../bench/robustness.ts";
import { runTuiBench } from "../bench/tui.tsx";
import { intFlag, parseArgs, UsageError } from "./args.ts";

const usage = `usage: bun run bench swarm [--json] [--quick] [--seed S] [--skip-scale] [--skip-loopback]
       bun run bench learn [--json] [--quick] [--seed S]
       bun run bench robustness [--json] [--quick] [--seed S]
       bun run bench importance [--json] [--quick] [--seeds N]
       bun run bench importance-cost [--json]
       bun run bench tui [--json] [--quick]

  swarm            all-gather benchmark
  robustness       fedavg vs trimmed mean, median, krum, multi-krum with 0/10/20% Byzantine peers (20 peers, MNIST)
  importance       importance methods vs random when the deadline leaves ~half the pieces (mean of 3 seeds)
  importance-cost  ms per importance score() call for each method on the MNIST MLP
  tui              the TUI at 100, 300 and 1000 peers: µs to fold an event, snapshot size, ms per frame
  learn            tfjs cost: SGD step and a 100-peer MNIST-shaped round (MLP), CNN epoch (wasm vs cpu), evaluation
  --json           print one JSON line with every number on stdout (progress goes to stderr)
  --quick          small configuration (8 peers, 64 KB model, loopback 6 peers) for smoke tests
  --seed S         seed for topology, device mix and update bytes (default 1)
  --skip-scale     skip the 200-peer virtual run
  --skip-loopback  skip the real-socket loopback run`;

function round3(x: number | undefined): number | null {
  return x === undefined ? null : Math.round(x * 1000) / 1000;
}

function caseJson(r: AllGatherResult) {
  return {
    name: r.name,
    peers: r.peers,
    modelBytes: r.modelBytes,
    pieceBytes: r.pieceBytes,
    completionMs: r.completionMs === undefined ? null : Math.round(r.completionMs),
    lowerBoundMs: Math.round(r.lowerBoundMs),
    ratio: round3(r.ratio),
    duplicateRatio: round3(r.duplicateRatio),
    overheadRatio: round3(r.overheadRatio),
    completedPeers: r.completedPeers,
    wallMs: Math.round(r.wallMs),
  };
}

async function swarmBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ["seed"], booleans: ["json", "quick", "skip-scale", "skip-loopback", "help"] });
  if (args.flags.has("help")) {
    console.log(usage);
    return 0;
  }
  const seed = intFlag(args, "seed", 1, 0);
  const quick = args.flags.has("quick");
  const say = (s: string) => process.stderr.write(s + "\n");
  const size = quick ? { peers: 8, modelBytes: 64_000 } : {};

  const cases = [];
  for (const make of [homogeneous, heterogeneous]) {
    const cfg = make({ ...size, seed });
    say(`[bench] ${cfg.name}: ${cfg.peers} peers, ${cfg.modelBytes} B model, virtual time …`);
    const r = await runVirtualAllGather(cfg);
    const j = caseJson(r);
    say(`[bench]   completion ${j.completionMs} ms vs lower bound ${j.lowerBoundMs} ms → ratio ${j.ratio}; duplicates ${j.duplicateRatio}, overhead ${j.overheadRatio} (wall ${j.wallMs} ms)`);
    cases.push(j);
  }

  let scale = null;
  if (!args.flags.has("skip-scale")) {
    const cfg = { ...homogeneous({ seed, peers: quick ? 40 : 200, modelBytes: 100_000 }), name: "scale" };
    say(`[bench] scale: ${cfg.peers} peers, ${cfg.modelBytes} B model, virtual time …`);
    const r = await runVirtualAllGather(cfg);
    scale = caseJson(r);
    say(`[bench]   ${scale.completedPeers}/${cfg.peers} complete in ${scale.completionMs} virtual ms, wall ${scale.wallMs} ms`);
  }

  let loopback = null;
  if (!args.flags.has("skip-loopback")) {
    const cfg = quick
      ? { peers: 6, modelBytes: 200_000, pieceBytes: 16_384, degree: 3, seed }
      : { peers: 16, modelBytes: 2_000_000, pieceBytes: 262_144, degree: 6, seed };
    say(`[bench] loopback: ${cfg.peers} real Bun WebSocket peers, ${cfg.modelBytes} B model, ${cfg.pieceBytes} B pieces …`);
    const r = await loopbackCase(cfg);
    loopback = {
      peers: r.peers,
      modelBytes: cfg.modelBytes,
      pieceBytes: cfg.pieceBytes,
      payloadBytes: r.payloadBytes,
      goodputBytesPerSec: Math.round(r.goodputBytesPerSec),
      rawSocketBytesPerSec: Math.round(r.rawSocketBytesPerSec),
      goodputRatio: round3(r.goodputRatio),
      duplicateRatio: round3(r.swarm.duplicateRatio),
    };
    say(`[bench]   goodput ${(r.goodputBytesPerSec / 1e6).toFixed(1)} MB/s vs raw ${(r.rawSocketBytesPerSec / 1e6).toFixed(1)} MB/s → ratio ${loopback.goodputRatio}`);
  }

  const out = { seed, cases, scale, loopback };
  if (args.flags.has("json")) console.log(JSON.stringify(out));
  return 0;
}

async function learnBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ["seed"], booleans: ["json", "quick", "help"] });
  if (args.flags.has("help")) {
    console.log(usage);
    return 0;
  }
  const say = (s: string) => process.stderr.write(s + "\n");
  say(`[bench] learn: tfjs training and evaluation cost${args.flags.has("quick") ? " (quick)" : ""} …`);
  const r = await runLearnBench({ quick: args.flags.has("quick"), seed: intFlag(args, "seed", 1, 0) });
  for (const [k, v] of Object.entries(r)) say(`[bench]   ${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  if (args.flags.has("json")) console.log(JSON.stringify(r));
  return 0;
}

async function flBench(argv: string[], which: "robustness" | "importance"): Promise<number> {
  const args = parseArgs(argv, { values: ["seed", "seeds"], booleans: ["json", "quick", "help"] });
  if (args.flags.has("help")) {
    console.log(usage);
    return 0;
  }
  const say = (s: string) => process.stderr.write(s + "\n");
  const quick = args.flags.has("quick");
  say(`[bench] ${which}${quick ? " (quick)" : ""}: federated runs on the virtual clock …`);
  const r =
    which === "robustness"
      ? await runRobustnessBench({ quick, seed: intFlag(args, "seed", 1, 0), say })
      : await runImportanceBench({ quick, seeds: args.flags.has("seeds") ? intFlag(args, "seeds", 1, 1) : undefined, say });
  if (args.flags.has("json")) console.log(JSON.stringify(r));
  return 0;
}

async function importanceCostBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], booleans: ["json", "help"] });
  if (args.flags.has("help")) {
    console.log(usage);
    return 0;
  }
  process.stderr.write("[bench] importance-cost: ms per score() call on the MNIST MLP, 80-example shard …\n");
  const r = await runImportanceCostBench();
  for (const [k, v] of Object.entries(r)) process.stderr.write(`[bench]   ${k}: ${v}\n`);
  if (args.flags.has("json")) console.log(JSON.stringify(r));
  return 0;
}

async function tuiBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], booleans: ["json", "quick", "help"] });
  if (args.flags.has("help")) {
    console.log(usage);
    return 0;
  }
  const peers = args.flags.has("quick") ? [20, 100] : [100, 300, 1000];
  process.stderr.write(`[bench] tui: all-gather-shaped telemetry for ${peers.join(", ")} peers, 3 rounds …\n`);
  const cases = runTuiBench({ peers, frames: args.flags.has("quick") ? 2 : 10 });
  for (const c of cases) {
    const frames = Object.entries(c.frameMs)
      .map(([tab, ms]) => `${tab} ${ms} ms`)
      .join(", ");
    process.stderr.write(`[bench]   ${c.peers} peers: ${c.events} events, ${c.reduceUsPerEvent} µs/event (${c.eventsPerSec}/s), snapshot ${c.snapshotEvents} events; frame: ${frames}\n`);
  }
  if (args.flags.has("json")) console.log(JSON.stringify({ cases }));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [which, ...rest] = argv;
  if (!which || which === "--help" || which === "-h") {
    console.log(usage);
    return which ? 0 : 2;
  }
  if (which === "swarm") return swarmBench(rest);
  if (which === "learn") return learnBench(rest);
  if (which === "robustness") return flBench(rest, "robustness");
  if (which === "importance") return flBench(rest, "importance");
  if (which === "importance-cost") return importanceCostBench(rest);
  if (which === "tui") return tuiBench(rest);
  throw new UsageError(`unknown benchmark "${which}" (known: swarm, learn, robustness, importance, importance-cost, tui)`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`bench: ${e.message}\n\n${usage}`);
    process.exitCode = 2;
  } else throw e;
}
