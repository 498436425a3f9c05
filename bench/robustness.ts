import { krum, median, multiKrum, trimmedMean, fedavg } from "../plugins/aggregation/index.ts";
import { byzantine } from "../plugins/faults/byzantine.ts";
import type { PluginFactory } from "../plugins/plugin.ts";
import { defineScenario } from "../scenarios/define.ts";
import { runScenario } from "../sim/run-scenario.ts";
import { flBase, r4 } from "./fl-cases.ts";

export interface RobustnessOptions {
  quick?: boolean;
  seed?: number;
  /** Progress lines. */
  say?: (line: string) => void;
}

/**
 * fedavg against robust aggregators when 0%, 10% or 20% of the peers publish poisoned updates (sign-flipped
 * ×4: `before − 4Δ`). Every origin's pieces verify — lies are well-formed — so only the aggregation rule helps.
 * Final accuracy and the per-round curve for each pair, one seed, virtual clock.
 */
export async function runRobustnessBench(o: RobustnessOptions = {}): Promise<Record<string, unknown>> {
  const peers = o.quick ? 10 : 20;
  const rounds = o.quick ? 3 : 10;
  const seed = o.seed ?? 1;
  const f = Math.round(0.2 * peers);
  const rules: Array<[string, PluginFactory<"aggregation">]> = [
    ["fedavg", fedavg()],
    ["trimmedMean(0.2)", trimmedMean({ trim: 0.2 })],
    ["median", median()],
    [`krum(f=${f})`, krum({ f })],
    [`multiKrum(f=${f})`, multiKrum({ f })],
  ];
  const fractions = [0, 0.1, 0.2];
  const cases: Array<Record<string, unknown>> = [];
  for (const fraction of fractions) {
    for (const [name, aggregation] of rules) {
      const wall0 = performance.now();
      const s = defineScenario({
        ...flBase({ peers, rounds, seed }),
        name: "robustness",
        aggregation,
        faults: fraction > 0 ? [byzantine({ fraction, attack: "signFlip", factor: 4 })] : [],
      });
      const report = await runScenario(s, { logSink: () => {} });
      const acc = report.rounds.map((r) => r4(r.accuracy));
      o.say?.(`[bench]   byzantine ${fraction * 100}% · ${name}: final ${acc.at(-1)} (${((performance.now() - wall0) / 1000).toFixed(1)} s)`);
      cases.push({ byzantine: fraction, aggregation: name, final: acc.at(-1), accuracy: acc });
    }
  }
  return { peers, rounds, seed, attack: "signFlip ×4", cases };
}
