import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// `bun run scenario` as a user runs it: exit codes, messages that name the problem, per-round lines, the report.
const cli = resolve(import.meta.dir, "../../cli/scenario.ts");
const define = resolve(import.meta.dir, "../../scenarios/define.ts");

async function scenario(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  // Not recorded unless a test asks (--db): runs/ in the checkout is for people's runs.
  const db = args.includes("--db") || args.includes("--no-db") ? [] : ["--no-db"];
  const proc = Bun.spawn([process.execPath, cli, ...args, ...db], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { out, err, code };
}

describe("bun run scenario", () => {
  test("--help prints usage with the shipped scenarios and exits 0", async () => {
    const r = await scenario("--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("usage: bun run scenario");
    expect(r.out).toContain("mesh-100");
    expect(r.out).toContain("--baseline");
  });

  test("bad input exits 2 with a message naming the problem", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-cli-"));
    const badFile = join(dir, "bad.ts");
    writeFileSync(badFile, `import { defineScenario } from ${JSON.stringify(define)};\nimport { ring } from ${JSON.stringify(resolve(import.meta.dir, "../../plugins/topology/ring.ts"))};\nexport default { name: "bad", peers: -3, rounds: 1, topology: ring() };\n`);
    const oddMesh = join(dir, "odd-mesh.ts");
    writeFileSync(oddMesh, `import { defineScenario } from ${JSON.stringify(define)};\nimport { mesh } from ${JSON.stringify(resolve(import.meta.dir, "../../plugins/topology/mesh.ts"))};\nexport default defineScenario({ name: "odd", peers: 5, rounds: 1, topology: mesh({ degree: 3 }) });\n`);
    const cases: Array<[string[], RegExp]> = [
      [[oddMesh], /topology: cannot be built for 5 peers: mesh: 5 peers × degree 3 is odd/],
      [["tiny", "--peers", "3", "--rounds", "1", "--seed", "4294967296"], /--seed|seed/],
      [[], /name a scenario/],
      [["no-such-scenario"], /no-such-scenario[\s\S]*tiny/],
      [["tiny", "--bogus"], /unknown option --bogus/],
      [["tiny", "--clock", "sundial"], /--clock must be virtual or real/],
      [["tiny", "--peers", "1"], /--peers must be an integer ≥ 2/],
      [["tiny", "--rounds", "x"], /--rounds must be an integer/],
      [["tiny", "--baseline", "magic"], /--baseline must be fedavg or centralized/],
      [["tiny", "--workers", "2"], /--workers needs the real clock/],
      [["tiny", "--baseline-only"], /--baseline-only needs --baseline/],
      [["tiny", "--html"], /--html needs a value/],
      [[badFile], /peers/],
    ];
    for (const [args, message] of cases) {
      const r = await scenario(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toMatch(message);
    }
  });

  test("a run prints one line per round and writes the report; --baseline fedavg matches the swarm", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-cli-"));
    const file = join(dir, "report.json");
    const html = join(dir, "report.html");
    const r = await scenario("scenarios/tiny.ts", "--rounds", "2", "--report", file, "--baseline", "fedavg", "--html", html);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^round 1\/2 {2}acc \d\.\d{4} {2}loss \d+\.\d{4} {2}coverage min 100\.0% med 100\.0%/);
    const report = JSON.parse(readFileSync(file, "utf8"));
    expect(Object.keys(report)).toEqual(["scenario", "seed", "clock", "peers", "backend", "rounds", "final", "baseline"]);
    expect(report).toMatchObject({ scenario: "tiny", seed: 1, clock: "virtual", peers: 4 });
    expect(Object.keys(report.rounds[0]).sort()).toEqual(
      ["accuracy", "coverage", "degradedPeers", "duplicateBytes", "loss", "lowerBoundMs", "overheadBytes", "payloadBytes", "peers", "round", "roundMs", "swarmMs"].sort(),
    );
    expect(report.baseline.kind).toBe("fedavg");
    expect(report.baseline.accuracy).toBe(report.final.accuracy);
    const page = readFileSync(html, "utf8");
    expect(page).toContain("tiny");
    expect(page.match(/<svg/g)?.length).toBe(6); // accuracy, loss, completion, received, sent, coverage
  });

  test("--baseline centralized --baseline-only trains one model on all the data, one line per round", async () => {
    const r = await scenario("tiny", "--baseline", "centralized", "--baseline-only");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(/^baseline centralized round 2\/2 {2}acc (0\.[5-9]|1\.0)/);
  });
});
