import { expect, test } from "bun:test";

// The swarm benchmark in its small configuration, run as a user would: the CLI, its JSON line and exit code.
test("bench swarm --quick --json prints every case with finished all-gathers", async () => {
  const proc = Bun.spawn([process.execPath, "cli/bench.ts", "swarm", "--quick", "--json"], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(code).toBe(0);
  expect(err).toContain("[bench] homogeneous");
  const line = out.trim().split("\n").at(-1)!;
  const r = JSON.parse(line);
  expect(r.cases.map((c: { name: string }) => c.name)).toEqual(["homogeneous", "heterogeneous"]);
  for (const c of [...r.cases, r.scale]) {
    expect(c.completedPeers).toBe(c.peers);
    expect(c.completionMs).toBeGreaterThanOrEqual(c.lowerBoundMs);
    expect(c.ratio).toBeCloseTo(c.completionMs / c.lowerBoundMs, 2);
  }
  expect(r.loopback.payloadBytes).toBe(6 * 5 * 200_000);
  expect(r.loopback.goodputRatio).toBeGreaterThan(0);
});

test("bench rejects unknown benchmarks and options with exit code 2", async () => {
  for (const args of [["nope"], ["swarm", "--bogus"], ["swarm", "--seed", "x"]]) {
    const proc = Bun.spawn([process.execPath, "cli/bench.ts", ...args], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown benchmark|unknown option|--seed must be/);
  }
});

test("bench tui --quick --json folds an all-gather's telemetry and draws every tab", async () => {
  const proc = Bun.spawn([process.execPath, "cli/bench.ts", "tui", "--quick", "--json"], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  const r = JSON.parse(out.trim().split("\n").at(-1)!);
  expect(r.cases.map((c: { peers: number }) => c.peers)).toEqual([20, 100]);
  for (const c of r.cases) {
    expect(c.events).toBeGreaterThan(c.peers * 3);
    expect(c.snapshotEvents).toBeLessThan(c.events);
    expect(Object.keys(c.frameMs).sort()).toEqual(["events", "learning", "peers", "swarm"]);
  }
}, 60_000);
