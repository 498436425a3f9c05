import { fisher, l2, magnitude, random, snip } from "../plugins/importance/index.ts";
import type { PluginFactory } from "../plugins/plugin.ts";
import { defineScenario } from "../scenarios/define.ts";
import { runScenario } from "../sim/run-scenario.ts";
import { flBase, mean, r4 } from "./fl-cases.ts";

export interface ImportanceBenchOptions {
  quick?: boolean;
  seeds?: number;
  say?: (line: string) => void;
}

/**
 * Importance methods against random when the swarm deadline lets only about half of the pieces arrive: every
 * peer aggregates what it holds at the deadline (minCompletion 0.4), so which chunks the picker fetched first
 * decides the model. Accuracy per round (mean over seeds), the coverage reached, and the wall time per run
 * (which includes the method's scoring cost; see `bun run bench learn` for the cost per call).
 */
export async function runImportanceBench(o: ImportanceBenchOptions = {}): Promise<Record<string, unknown>> {
  const peers = o.quick ? 10 : 20;
  const rounds = o.quick ? 3 : 10;
  const seeds = o.seeds ?? (o.quick ? 1 : 3);
  const methods: Array<[string, PluginFactory<"importance">]> = [
    ["random", random()],
    ["magnitude", magnitude()],
    ["l2", l2()],
    ["snip", snip()],
    ["fisher", fisher()],
  ];
  // 16 chunks per update (the 784×128 kernel in 13 parts): enough pieces for an order to matter. The
  // all-gather's lower bound here is ≈ 0.65 s (20 peers) or ≈ 0.3 s (10 peers); the deadline is about half.
  const swarm = { maxChunkFloats: 8192, minCompletion: 0.4, deadlineMs: o.quick ? 150 : 300, graceMs: 2000 };
  const out: Array<Record<string, unknown>> = [];
  for (const [name, importance] of methods) {
    const curves: number[][] = [];
    const coverage: number[] = [];
    let wallMs = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const wall0 = performance.now();
      const s = defineScenario({ ...flBase({ peers, rounds, seed }), name: "importance", importance, swarm });
      const report = await runScenario(s, { logSink: () => {} });
      wallMs += performance.now() - wall0;
      curves.push(report.rounds.map((r) => r.accuracy));
      coverage.push(mean(report.rounds.map((r) => r.coverage.median)));
    }
    const accuracy = curves[0]!.map((_, i) => r4(mean(curves.map((c) => c[i]!))));
    o.say?.(`[bench]   ${name}: final ${accuracy.at(-1)} · median coverage ${r4(mean(coverage))} · ${(wallMs / seeds / 1000).toFixed(1)} s per run`);
    out.push({ method: name, final: accuracy.at(-1), accuracy, coverageMedian: r4(mean(coverage)), wallMsPerRun: Math.round(wallMs / seeds) });
  }
  return { peers, rounds, seeds, swarm, methods: out };
}
