/**
 * Model coverage of the round machine: `bun bench/machine-coverage.ts` prints one JSON line with the size of
 * the xstate/graph walk (test/machines/round-model.ts), the state nodes and transitions it covered, the
 * number of simple runs, and what each part cost. Asserts nothing; the model-based tests do.
 */
import { roundEventTypes } from "../machines/round.ts";
import {
  coverageOf,
  deadEnds,
  isTimeout,
  modelInput,
  pathsThenTimeout,
  replayMismatches,
  simpleRunInput,
  simpleRuns,
  walkRound,
} from "../test/machines/round-model.ts";

export async function runMachineCoverage(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const walk = walkRound();
  const walkMs = performance.now() - t0;
  const { stateNodes, transitions, stateTransitions, modelStates, edges, shortestPaths } = coverageOf(walk);

  const t1 = performance.now();
  const replayed = [...walk.paths, ...pathsThenTimeout(walk)];
  let replayMismatchCount = 0;
  for (const path of replayed) replayMismatchCount += (await replayMismatches(path, modelInput)).length;
  const replayMs = performance.now() - t1;

  const t2 = performance.now();
  const runs = roundEventTypes.map((extra) => simpleRuns(extra));
  const simpleMs = performance.now() - t2;
  const t3 = performance.now();
  let simpleMismatchCount = 0;
  for (const run of runs.flat()) simpleMismatchCount += (await replayMismatches(run, simpleRunInput)).length;
  const simpleReplayMs = performance.now() - t3;

  const ms = (x: number) => Math.round(x);
  return {
    bench: "machine-coverage",
    input: modelInput,
    modelStates,
    edges,
    shortestPaths,
    maxPathEvents: Math.max(...walk.paths.map((p) => p.steps.length - 1)),
    stateNodes: { visited: stateNodes.visited, total: stateNodes.total },
    transitions: { taken: transitions.taken, total: transitions.total },
    stateTransitions: { taken: stateTransitions.taken, total: stateTransitions.total },
    deadEnds: deadEnds(walk).length,
    stuckWithoutEvents: deadEnds(walk, (e) => isTimeout(e.event)).length,
    replayedPaths: replayed.length,
    replayMismatches: replayMismatchCount,
    simpleRuns: runs.reduce((n, r) => n + r.length, 0),
    simpleRunMismatches: simpleMismatchCount,
    walkMs: ms(walkMs),
    replayMs: ms(replayMs),
    simplePathsMs: ms(simpleMs),
    simpleReplayMs: ms(simpleReplayMs),
  };
}

if (import.meta.main) console.log(JSON.stringify(await runMachineCoverage()));
