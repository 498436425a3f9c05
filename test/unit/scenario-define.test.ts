import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isPlugin } from "../../plugins/plugin.ts";
import { magnitude } from "../../plugins/importance/magnitude.ts";
import { mesh } from "../../plugins/topology/mesh.ts";
import { ring } from "../../plugins/topology/ring.ts";
import {
  applyOverrides,
  defineScenario,
  describeScenario,
  listScenarios,
  loadScenario,
  ScenarioError,
  validateScenario,
  type Scenario,
  type ScenarioInput,
} from "../../scenarios/define.ts";

const repo = resolve(import.meta.dir, "../..");
const defineTs = join(repo, "scenarios/define.ts");
const ringTs = join(repo, "plugins/topology/ring.ts");
const tmp = mkdtempSync(join(tmpdir(), "fltorrent-scenario-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = (): ScenarioInput => ({ name: "unit", peers: 4, rounds: 3, topology: ring() });

/** The ScenarioError `fn` throws (fails the test if it throws nothing or something else). */
function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error("expected a ScenarioError, nothing was thrown");
}

async function rejectionOf(p: Promise<unknown>): Promise<ScenarioError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error("expected a ScenarioError, the promise resolved");
}

let tempCount = 0;
function tempScenario(source: string): string {
  const file = join(tmp, `scenario-${++tempCount}.ts`);
  writeFileSync(file, source);
  return file;
}

/** Data parts only (plugin factories are functions, compared by brand elsewhere). */
const data = ({ topology: _t, importance: _i, devices: _d, aggregation: _a, faults: _f, ...rest }: Scenario) => rest;

describe("defineScenario", () => {
  test("fills every default", () => {
    const s = defineScenario(base());
    expect(data(s)).toEqual({
      name: "unit",
      description: "",
      peers: 4,
      rounds: 3,
      seed: 1,
      clock: "virtual",
      transport: "memory",
      backend: "auto",
      model: { kind: "mlp", hidden: [128] },
      data: { source: "mnist", split: { kind: "dirichlet", alpha: 0.5 }, testPerDigit: 200 },
      training: { epochs: 2, batchSize: 10, learningRate: 0.2 },
      swarm: { maxChunkFloats: 16384, minCompletion: 0.7, deadlineMs: 60000, graceMs: 15000, scope: "all" },
      timeouts: { joinMs: 10000, joinRetries: 5, connectMs: 10000, connectRetries: 6, trainMs: 120000 },
    });
    expect(isPlugin(s.topology, "topology") && s.topology.pluginName).toBe("ring");
    expect(isPlugin(s.importance, "importance") && s.importance.pluginName).toBe("random");
    expect(isPlugin(s.devices, "devices") && s.devices.pluginOptions).toBe("edge_server");
    expect(isPlugin(s.aggregation, "aggregation") && s.aggregation.pluginName).toBe("fedavg");
    expect(s.faults).toEqual([]);
    expect(describeScenario(s)).toBe(
      "unit: 4 peers × 3 rounds, seed 1, virtual clock over memory, mlp[128] on mnist dirichlet(0.5), topology ring({ degree: 2 }), " +
        'importance random(), devices uniform("edge_server"), aggregation fedavg()',
    );
  });

  test("a real clock defaults the transport to websocket", () => {
    expect(defineScenario({ ...base(), clock: "real" }).transport).toBe("websocket");
  });

  test("partial nested objects merge with the defaults", () => {
    const s = defineScenario({
      ...base(),
      swarm: { deadlineMs: 5000 },
      training: { learningRate: 0.05 },
      timeouts: { trainMs: 1000 },
      model: { hidden: [32, 16] },
      data: { split: { alpha: 0.1 } },
      importance: magnitude(),
    });
    expect(s.swarm).toEqual({ maxChunkFloats: 16384, minCompletion: 0.7, deadlineMs: 5000, graceMs: 15000, scope: "all" });
    expect(s.training).toEqual({ epochs: 2, batchSize: 10, learningRate: 0.05 });
    expect(s.timeouts.trainMs).toBe(1000);
    expect(s.timeouts.joinMs).toBe(10000);
    expect(s.model).toEqual({ kind: "mlp", hidden: [32, 16] });
    expect(s.data).toEqual({ source: "mnist", split: { kind: "dirichlet", alpha: 0.1 }, testPerDigit: 200 });
    expect(isPlugin(s.importance, "importance") && s.importance.pluginName).toBe("magnitude");

    const t = defineScenario({ ...base(), peers: 10, model: { kind: "cnn" }, data: { source: "synthetic", split: { kind: "iid" }, features: 8 } });
    expect(t.model).toEqual({ kind: "cnn" });
    expect(t.data).toEqual({ source: "synthetic", split: { kind: "iid" }, trainExamples: 1000, testExamples: 200, features: 8, classes: 4 });
  });

  test("undefined means unset, as in TypeScript", () => {
    const s = defineScenario({ ...base(), seed: undefined, swarm: { graceMs: undefined }, importance: undefined });
    expect(s.seed).toBe(1);
    expect(s.swarm.graceMs).toBe(15000);
  });

  test("a resolved scenario validates to itself", () => {
    const s = defineScenario({ ...base(), clock: "real", data: { source: "synthetic", trainExamples: 50 } });
    expect(data(validateScenario(s))).toEqual(data(s));
    expect(data(validateScenario({ ...s }))).toEqual(data(s));
  });

  const bad: Array<[string, Record<string, unknown>, string[]]> = [
    ["peers: -1", { peers: -1 }, ["peers: expected an integer in [2, 1000], got -1"]],
    ["peers: 2.5", { peers: 2.5 }, ["peers: expected an integer in [2, 1000], got 2.5"]],
    ["rounds: \"x\"", { rounds: "x" }, ['rounds: expected an integer in [1, 10000], got "x"']],
    ["seed: -1", { seed: -1 }, ["seed: expected an integer in [0, 4294967295]"]],
    ["name with capitals", { name: "Mesh 100" }, ['scenario "Mesh 100": name: expected a name of lowercase letters']],
    ["swarm.minCompletion: 1.5", { swarm: { minCompletion: 1.5 } }, ['scenario "unit": swarm.minCompletion: expected a number in (0, 1], got 1.5']],
    ["swarm.minCompletion: 0", { swarm: { minCompletion: 0 } }, ["swarm.minCompletion: expected a number in (0, 1], got 0"]],
    ["swarm.deadlineMs: 0", { swarm: { deadlineMs: 0 } }, ["swarm.deadlineMs: expected an integer in [1, "]],
    ["swarm.maxChunkFloats too big", { swarm: { maxChunkFloats: 2 ** 21 } }, ["swarm.maxChunkFloats: expected an integer in [1, 1048576]"]],
    ["training.learningRate: 0", { training: { learningRate: 0 } }, ["training.learningRate: expected a finite number > 0, got 0"]],
    ["timeouts.joinRetries: 0", { timeouts: { joinRetries: 0 } }, ["timeouts.joinRetries: expected an integer in [1, 1000], got 0"]],
    ["data.split.alpha: 0", { data: { split: { alpha: 0 } } }, ["data.split.alpha: expected a finite number > 0, got 0"]],
    ["data.split.kind", { data: { split: { kind: "zipf" } } }, ['data.split.kind: expected "iid" | "dirichlet", got "zipf"']],
    ["model.hidden[1]: 0", { model: { hidden: [8, 0] } }, ["model.hidden[1]: expected an integer in [1, 65536], got 0"]],
    ["model.hidden on a cnn", { model: { kind: "cnn", hidden: [8] } }, ['model.hidden: only an "mlp" has hidden layers']],
    ["alpha on an iid split", { data: { split: { kind: "iid", alpha: 1 } } }, ['data.split.alpha: only a "dirichlet" split has alpha']],
    ["synthetic classes: 1", { data: { source: "synthetic", classes: 1 } }, ["data.classes: expected an integer in [2, 256], got 1"]],
    ["synthetic too few examples", { data: { source: "synthetic", trainExamples: 3 } }, ["data.trainExamples: expected at least one example per peer (≥ 4), got 3"]],
    ["mnist with a synthetic field", { data: { features: 3 } }, ['data.features: only "synthetic" data has features, got source "mnist"']],
    ["unknown key rouns", { rouns: 3 }, ['rouns: unknown key; did you mean "rounds"?']],
    ["unknown nested key", { swarm: { colour: "red" } }, ["swarm.colour: unknown key (known: maxChunkFloats, minCompletion, deadlineMs, graceMs, scope)"]],
    ["topology: magnitude()", { topology: magnitude() }, ["topology: expected a topology plugin such as mesh({ degree: 6 }), got importance plugin magnitude"]],
    ["topology: mesh (not called)", { topology: mesh }, ["topology: expected a topology plugin", "got function mesh, which has no plugin brand"]],
    ["topology missing", { topology: undefined }, ["topology: missing; expected a topology plugin"]],
    ["devices: a number", { devices: 3 }, ["devices: expected a devices plugin such as uniform(\"edge_server\"), got 3"]],
    ["clock: sundial", { clock: "sundial" }, ['clock: expected "virtual" | "real", got "sundial"']],
    ["memory transport with a real clock", { clock: "real", transport: "memory" }, ['transport: "memory" needs clock "virtual"']],
    ["websocket transport with a virtual clock", { transport: "websocket" }, ['transport: "websocket" needs clock "real"']],
  ];
  for (const [label, patch, fragments] of bad) {
    test(`rejects ${label}, naming the field`, () => {
      const err = errorOf(() => defineScenario({ ...base(), ...patch } as unknown as ScenarioInput));
      for (const f of fragments) expect(err.message).toContain(f);
      expect(err.message.startsWith(`scenario ${JSON.stringify(patch["name"] ?? "unit")}: `)).toBe(true);
    });
  }

  test("reports every bad field at once, with paths in `issues`", () => {
    const err = errorOf(() => defineScenario({ ...base(), peers: 1, swarm: { minCompletion: 2 }, rouns: 1 } as unknown as ScenarioInput));
    expect(err.scenario).toBe("unit");
    expect(err.issues.map((i) => i.path).sort()).toEqual(["peers", "rouns", "swarm.minCompletion"]);
    expect(err.message.split("\n")).toHaveLength(3);
  });

  test("mistakes TypeScript can see are type errors too", () => {
    // @ts-expect-error rouns is not a key
    expect(() => defineScenario({ ...base(), rouns: 3 })).toThrow(ScenarioError);
    // @ts-expect-error an importance plugin in the topology slot
    expect(() => defineScenario({ ...base(), topology: magnitude() })).toThrow(ScenarioError);
    // @ts-expect-error clock must be "virtual" | "real"
    expect(() => defineScenario({ ...base(), clock: "sundial" })).toThrow(ScenarioError);
    // @ts-expect-error topology is required
    expect(() => defineScenario({ name: "unit", peers: 4, rounds: 3 })).toThrow("topology: missing");
    // @ts-expect-error a cnn has no hidden layers
    expect(() => defineScenario({ ...base(), model: { kind: "cnn", hidden: [3] } })).toThrow("model.hidden");
  });

  test("a non-object is rejected", () => {
    expect(errorOf(() => validateScenario(3)).message).toContain("expected an object");
  });
});

describe("loadScenario", () => {
  const tinyFile = join(repo, "scenarios/tiny.ts");

  test("finds a shipped scenario by name, name.ts, scenarios/name.ts, relative and absolute path", async () => {
    const refs: Array<[string, string]> = [
      ["tiny", repo],
      ["tiny.ts", repo],
      ["scenarios/tiny.ts", repo],
      ["tiny", tmp],
      ["scenarios/tiny", tmp],
      ["../scenarios/tiny.ts", join(repo, "test")],
      [tinyFile, tmp],
    ];
    for (const [ref, cwd] of refs) {
      const s = await loadScenario(ref, cwd);
      expect(s.name).toBe("tiny");
      expect(s.peers).toBe(4);
      expect(s.data.source).toBe("synthetic");
    }
  });

  test("listScenarios names the shipped scenarios and nothing else", () => {
    const names = listScenarios();
    expect(names).toContain("tiny");
    for (const n of ["define", "types", "index"]) expect(names).not.toContain(n);
  });

  test("an unknown name lists the shipped scenarios", async () => {
    const err = await rejectionOf(loadScenario("no-such-scenario", tmp));
    expect(err.message).toContain('"no-such-scenario" not found');
    expect(err.message).toContain("shipped: ");
    expect(err.message).toContain("tiny");
  });

  test("a file without a default export is reported with the fix", async () => {
    const file = tempScenario(`export const x = 1;\n`);
    const err = await rejectionOf(loadScenario(file));
    expect(err.message).toContain(file);
    expect(err.message).toContain("has no default export; export default defineScenario({...})");
  });

  test("a file that does not parse names the file and the cause", async () => {
    const file = tempScenario(`export default {{ name: "broken", \n`);
    const err = await rejectionOf(loadScenario(file));
    expect(err.message).toContain(file);
    expect(err.message).toContain("failed to load");
    expect(err.cause).toBeDefined();
  });

  test("a plain default export is validated too", async () => {
    const file = tempScenario(
      `import { ring } from ${JSON.stringify(ringTs)};\nexport default { name: "plain", peers: 4, rounds: 1, topology: ring(), swarm: { minCompletion: 1.5 } };\n`,
    );
    const err = await rejectionOf(loadScenario(file));
    expect(err.message).toBe(`scenario "plain" (${file}): swarm.minCompletion: expected a number in (0, 1], got 1.5`);

    const ok = tempScenario(`import { ring } from ${JSON.stringify(ringTs)};\nexport default { name: "plain-ok", peers: 4, rounds: 1, topology: ring() };\n`);
    const s = await loadScenario(ok);
    expect(s.swarm.minCompletion).toBe(0.7);
    expect(s.transport).toBe("memory");
  });

  test("a defineScenario that throws while the file loads is reported with the file", async () => {
    const file = tempScenario(
      `import { defineScenario } from ${JSON.stringify(defineTs)};\nimport { ring } from ${JSON.stringify(ringTs)};\n` +
        `export default defineScenario({ name: "bad-peers", peers: 1, rounds: 1, topology: ring() });\n`,
    );
    const err = await rejectionOf(loadScenario(file));
    expect(err.message).toBe(`scenario "bad-peers" (${file}): peers: expected an integer in [2, 1000], got 1`);
  });

  test("a default export that is not a scenario is rejected", async () => {
    const file = tempScenario(`export default 42;\n`);
    expect((await rejectionOf(loadScenario(file))).message).toContain("the default export is not a scenario (got 42)");
  });

  test("a temp file using defineScenario loads like a shipped one", async () => {
    const file = tempScenario(
      `import { defineScenario } from ${JSON.stringify(defineTs)};\nimport { ring } from ${JSON.stringify(ringTs)};\n` +
        `export default defineScenario({ name: "from-tmp", peers: 6, rounds: 2, clock: "real", topology: ring({ degree: 4 }) });\n`,
    );
    const s = await loadScenario(file);
    expect(s.transport).toBe("websocket");
    expect(describeScenario(s)).toContain("topology ring({ degree: 4 })");
  });
});

describe("applyOverrides", () => {
  test("applies and validates the overrides", async () => {
    const tiny = await loadScenario("tiny");
    const s = applyOverrides(tiny, { peers: 8, rounds: 5, seed: 7 });
    expect([s.peers, s.rounds, s.seed]).toEqual([8, 5, 7]);
    expect(s.swarm).toEqual(tiny.swarm);
    expect(tiny.peers).toBe(4);
    const err = errorOf(() => applyOverrides(tiny, { peers: 0 }));
    expect(err.message).toBe('scenario "tiny" (overrides peers=0): peers: expected an integer in [2, 1000], got 0');
    expect(errorOf(() => applyOverrides(tiny, { seed: 2 ** 32 })).message).toContain("seed: expected an integer in [0, 4294967295]");
    expect(errorOf(() => applyOverrides(tiny, { peers: 500 })).message).toContain("data.trainExamples: expected at least one example per peer");
  });

  test("a new clock switches a defaulted transport, and back", async () => {
    const tiny = await loadScenario("tiny");
    const real = applyOverrides(tiny, { clock: "real" });
    expect([real.clock, real.transport]).toEqual(["real", "websocket"]);
    const virtual = applyOverrides(real, { clock: "virtual" });
    expect([virtual.clock, virtual.transport]).toEqual(["virtual", "memory"]);
  });

  test("an explicit memory transport with a real clock is an error", () => {
    const s = defineScenario({ ...base(), transport: "memory" });
    const err = errorOf(() => applyOverrides(s, { clock: "real" }));
    expect(err.message).toContain('scenario "unit" (overrides clock="real"): transport: "memory" needs clock "virtual"');
  });

  test("no overrides gives an equal scenario", () => {
    const s = defineScenario(base());
    expect(data(applyOverrides(s, {}))).toEqual(data(s));
  });
});
