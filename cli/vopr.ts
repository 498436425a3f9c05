#!/usr/bin/env bun
/**
 * bun run vopr [--seeds N] [--from F] [--seed S] [--peers MIN-MAX] [--json] [--verbose] [--log]
 *
 * The whole-swarm model checker (TigerBeetle's VOPR, FoundationDB's simulator): every seed draws a swarm, a tiny
 * learning task and a fault schedule, runs it on the virtual clock through a safety phase with faults and a
 * liveness phase with the network healed, and checks the properties of DESIGN §11. A failing seed prints the
 * violated property and the command that replays it, event for event.
 */
import { defaultPeerRange, voprPeersMax, type PeerRange } from "../sim/vopr/draw.ts";
import { formatFailure, formatSeed, formatSummary, summarise } from "../sim/vopr/report.ts";
import { runVoprSeed, type VoprResult } from "../sim/vopr/run.ts";
import { intFlag, parseArgs, UsageError, type ParsedArgs } from "./args.ts";

const usage = `usage: bun run vopr [--seeds N] [--from F] [--peers MIN-MAX] [--json] [--verbose]
       bun run vopr --seed S [--peers MIN-MAX] [--json] [--log]

  --seeds N        run N seeds, F … F+N−1 (default 100)
  --from F         first seed of the batch (default 1; any uint32 explores new cases)
  --seed S         run (replay) seed S alone and print what it drew
  --peers MIN-MAX  peers a seed draws, uniformly (default ${defaultPeerRange.min}-${defaultPeerRange.max}, at most ${voprPeersMax});
                   part of the case: replay a seed with the range it ran with
  --json           print one JSON line with the batch's numbers on stdout (progress goes to stderr)
  --verbose        one line per seed on stderr
  --log            with --seed: the run's debug log on stderr

Each seed: 3–12 peers (--peers), a random topology (ring, mesh, full, star, tree, small world, Erdős–Rényi) and
device mix, synthetic data and a tiny MLP, a few rounds with short deadlines; faults drawn from the seed (frame
loss, duplication and delay spikes; partitions: halves, one peer isolated, a bridge; links clogged one by one and
restored in random order; crashes and restarts in any machine state; leaves; corrupt pieces; Byzantine updates),
then the network heals and every live peer must finish the next round.
Checked: no unverified piece stored or aggregated, holdings only grow, honest peers with the same pieces hold the
same model, every queue within its named limit, liveness after the heal, no exception.
Exit status: 0 all passed, 1 a seed failed, 2 usage.`;

const seedMax = 0xffff_ffff;

function peerRange(args: ParsedArgs): PeerRange {
  const v = args.flags.get("peers");
  if (v === undefined) return defaultPeerRange;
  const m = typeof v === "string" ? /^(\d+)-(\d+)$/.exec(v) : null;
  const range = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
  if (!range || range.min < 2 || range.min > range.max || range.max > voprPeersMax) {
    throw new UsageError(`--peers must be MIN-MAX with 2 ≤ MIN ≤ MAX ≤ ${voprPeersMax}, got ${JSON.stringify(v)}`);
  }
  return range;
}

function seedFlag(args: ParsedArgs, name: string, fallback: number): number {
  const n = intFlag(args, name, fallback, 0);
  if (n > seedMax) throw new UsageError(`--${name} must be a uint32 (≤ ${seedMax}), got ${n}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ["seeds", "from", "seed", "peers"], booleans: ["json", "verbose", "log", "help"] });
  if (args.flags.has("help")) {
    console.log(usage);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const range = peerRange(args);
  const single = args.flags.has("seed");
  if (single && (args.flags.has("seeds") || args.flags.has("from"))) throw new UsageError("--seed replays one seed; it does not combine with --seeds or --from");
  if (args.flags.has("log") && !single) throw new UsageError("--log needs --seed (one run's log)");
  const first = single ? seedFlag(args, "seed", 0) : seedFlag(args, "from", 1);
  const count = single ? 1 : intFlag(args, "seeds", 100, 1);
  if (first + count - 1 > seedMax) throw new UsageError(`--from ${first} with --seeds ${count} runs past the largest seed ${seedMax}`);
  const json = args.flags.has("json");
  const say = (s: string) => process.stderr.write(s + "\n");
  const out = (s: string) => (json ? say(s) : console.log(s));

  const results: VoprResult[] = [];
  const started = performance.now();
  for (let seed = first; seed < first + count; seed++) {
    const r = await runVoprSeed(seed, {
      peers: range,
      logLevel: args.flags.has("log") ? "debug" : "warn",
      logSink: args.flags.has("log") ? say : undefined,
    });
    results.push(r);
    if (args.flags.has("verbose") || single) say(formatSeed(r));
    if (!r.ok) out(formatFailure(r, range));
    else if (single) {
      say(`  scenario: ${r.scenario}`);
      for (const line of r.schedule) say(`    ${line}`);
    }
    const done = results.length;
    if (!single && !args.flags.has("verbose") && done % 50 === 0 && done < count) say(`vopr: ${done}/${count} seeds …`);
  }
  const summary = summarise(results, range, performance.now() - started);
  if (json) console.log(JSON.stringify(summary));
  else console.log(formatSummary(summary));
  return summary.failed.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`vopr: ${e.message}\n\n${usage}`);
    process.exitCode = 2;
  } else throw e;
}
