import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readUntil, root, writeTinyReal } from "./cli-fixtures.ts";

// `bun run tui` without a terminal, and the run database `bun run scenario` records for it.

async function run(script: string, ...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const proc = Bun.spawn([process.execPath, join(root, "cli", script), ...args], { stdout: "pipe", stderr: "pipe", cwd: root });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { out, err, code };
}

describe("bun run tui", () => {
  test("a recorded run replays to the rounds its report has", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-tui-"));
    const db = join(dir, "run.db");
    const report = join(dir, "report.json");
    const r = await run("scenario.ts", "tiny", "--rounds", "3", "--db", db, "--report", report, "--baseline", "fedavg");
    expect(r.code).toBe(0);
    expect(r.err).toContain(`run recorded in ${db}`);
    const rounds = JSON.parse(readFileSync(report, "utf8")).rounds as Array<{ accuracy: number }>;

    const replay = await run("tui.ts", "--replay", db);
    expect(replay.code).toBe(0);
    const lines = replay.out.split("\n");
    expect(lines).toContain("peers: 4 seen of 4 · 4 done · 0 failed · 0 left · 0 live");
    const acc = lines.filter((l) => l.startsWith("round ")).map((l) => Number(/accuracy ([\d.]+)/.exec(l)![1]));
    expect(acc).toEqual(rounds.map((x) => Number(x.accuracy.toFixed(4))));
    expect(replay.out).toMatch(/baseline fedavg: accuracy [\d.]+/);
    expect(replay.out).toContain("finished");

    // One file, one run: recording over it is refused with the path named.
    const again = await run("scenario.ts", "tiny", "--rounds", "1", "--db", db);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain(db);
  }, 60_000);

  test("bad input names the problem", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-tui-"));
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not sqlite");
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /--attach ws:\/\/HOST:PORT or --replay FILE/],
      [["--replay", join(dir, "missing.db")], 1, /no run database at .*missing\.db/],
      [["--replay", junk], 1, /not a run database/],
      [["--replay", junk, "--speed", "0"], 2, /--speed must be a number > 0 or max/],
      [["--attach", "http://localhost:1"], 1, /http:\/\/localhost:1/],
      [["--attach"], 2, /--attach needs/],
      [["--attach", "ws://127.0.0.1:1", "--replay", junk], 2, /exclusive/],
      [["--bogus"], 2, /unknown option --bogus/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run("tui.ts", ...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.err).toMatch(message);
    }
    const help = await run("tui.ts", "--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("--replay FILE");
  }, 60_000);

  test("scenario --monitor serves the run; tui --attach (no terminal) follows it to the end", async () => {
    // A run long enough (virtual clock, many rounds) for the watcher to attach while it goes on.
    const rounds = 150;
    const scenario = Bun.spawn([process.execPath, join(root, "cli/scenario.ts"), "tiny", "--rounds", String(rounds), "--no-db", "--monitor", "0"], { stdout: "pipe", stderr: "pipe", cwd: root });
    const outText = new Response(scenario.stdout).text();
    // The monitor's address comes first thing on stderr.
    const url = await readUntil(scenario.stderr, /monitor at (ws:\/\/\S+)/);
    expect(url).toBeDefined();
    const attach = await run("tui.ts", "--attach", url!);
    expect(await scenario.exited).toBe(0);
    expect(attach.code).toBe(0);
    // Every round the run printed, with the same accuracy, whether it happened before or after the attach.
    const accOf = (text: string, re: RegExp) => text.split("\n").flatMap((l) => (re.test(l) ? [Number(/acc(?:uracy)? ([\d.]+)/.exec(l)![1]).toFixed(4)] : []));
    const runAcc = accOf(await outText, /^round +\d+\//);
    expect(runAcc.length).toBe(rounds);
    expect(accOf(attach.out, /^round \d+\/\d+ /)).toEqual(runAcc);
    expect(attach.out).toContain("peers: 4 seen of 4 · 4 done");
  }, 90_000);
});

describe("bun run scenario --part", () => {
  test("two processes each host half of one swarm, joined through part 1's tracker; the second on its own address", async () => {
    // Deadlines long enough for the second process to start and join on a loaded machine.
    const file = writeTinyReal("tiny-parts", 3);
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-parts-"));
    const reports = [join(dir, "a.json"), join(dir, "b.json")];
    const first = Bun.spawn([process.execPath, join(root, "cli/scenario.ts"), file, "--part", "1/2", "--no-db", "--workers", "1", "--report", reports[0]!], { stdout: "pipe", stderr: "pipe", cwd: root });
    const tracker = await readUntil(first.stderr, /tracker at (ws:\/\/\S+)/);
    expect(tracker).toBeDefined();
    // Part 2 listens on another loopback address, as another host would: part 1's peers can reach its peers only
    // at the address they advertise (127.0.0.2), and the ring's links cross the parts.
    const second = await run("scenario.ts", file, "--part", "2/2", "--tracker", tracker!, "--listen", "127.0.0.2", "--no-db", "--workers", "1", "--report", reports[1]!);
    expect(second.code).toBe(0);
    expect(await first.exited).toBe(0);
    const [a, b] = reports.map((f) => JSON.parse(readFileSync(f, "utf8")));
    expect([a.part, b.part]).toEqual(["1/2", "2/2"]);
    expect(a.rounds.map((r: { peers: number }) => r.peers)).toEqual([2, 2, 2]);
    expect(b.rounds.map((r: { accuracy: number }) => r.accuracy)).toEqual(a.rounds.map((r: { accuracy: number }) => r.accuracy));
  }, 90_000);

  test("part flags are checked", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["tiny", "--part", "1/2"], /--part needs the real clock/],
      [["tiny", "--clock", "real", "--part", "3/2"], /--part must be I\/N with 1 ≤ I ≤ N/],
      [["tiny", "--clock", "real", "--part", "2/2"], /joins part 1's tracker: give --tracker/],
      [["tiny", "--clock", "real", "--part", "1/2", "--tracker", "ws://x:1"], /runs the tracker itself/],
      [["tiny", "--clock", "real", "--part", "2/2", "--tracker", "http://x"], /--tracker must be a ws:\/\/HOST:PORT URL/],
      [["tiny", "--clock", "real", "--tracker", "ws://x:1"], /go with --part/],
      [["tiny", "--clock", "real", "--listen", "0.0.0.0"], /not a wildcard/],
      [["tiny", "--listen", "127.0.0.1"], /--listen needs the real clock/],
      [["tiny", "--monitor", "host:port"], /--monitor must be PORT or HOST:PORT/],
      [["tiny", "--db", "x.db", "--no-db"], /contradict/],
    ];
    for (const [args, message] of cases) {
      const r = await run("scenario.ts", ...args, ...(args.includes("--no-db") ? [] : ["--no-db"]));
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toMatch(message);
    }
  }, 60_000);
});

describe("bun run scenario without a terminal", () => {
  test("Ctrl-C stops the run cleanly: exit 130, the report holds the finished rounds and says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-sigint-"));
    const report = join(dir, "report.json");
    const proc = Bun.spawn([process.execPath, join(root, "cli/scenario.ts"), "tiny", "--rounds", "5000", "--no-db", "--report", report], { stdout: "pipe", stderr: "pipe", cwd: root });
    const errText = new Response(proc.stderr).text();
    // Interrupt once the first round is printed.
    expect(await readUntil(proc.stdout, /^(round) +1\//m)).toBe("round");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await errText).toContain("interrupted: stopping the peers");
    const r = JSON.parse(readFileSync(report, "utf8"));
    expect(r.stopped).toBe("interrupted");
    expect(r.rounds.length).toBeGreaterThan(0);
    expect(r.rounds.length).toBeLessThan(5000);
  }, 60_000);
});

describe("watchers that cannot start are bad input, named", () => {
  test("a taken monitor port and an unwritable run database exit 2 with the flag and the reason", async () => {
    const taken = Bun.serve({ port: 0, fetch: () => new Response("taken") });
    try {
      const r = await run("scenario.ts", "tiny", "--no-db", "--monitor", String(taken.port));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--monitor 127.0.0.1:${taken.port}: cannot listen there`);
    } finally {
      taken.stop(true);
    }
    const dir = mkdtempSync(join(tmpdir(), "fltorrent-db-"));
    const notDb = join(dir, "notes.txt");
    writeFileSync(notDb, "not a database, and not to be overwritten");
    const r = await run("scenario.ts", "tiny", "--db", notDb);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot record the run in ${notDb}`);
    expect(readFileSync(notDb, "utf8")).toBe("not a database, and not to be overwritten");
  }, 60_000);
});
