import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { countRunEvents } from "../../telemetry/run-db-read.ts";

// The TUI in a real terminal: tmux gives the run a pty; send-keys types, capture-pane reads the screen.
const root = resolve(import.meta.dir, "../..");
const hasTmux = Bun.spawnSync(["sh", "-c", "command -v tmux"]).exitCode === 0;
const session = `fltorrent-tui-${process.pid}`;

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const screen = () => tmux("capture-pane", "-p", "-t", session);

/** Polls the screen until `want` matches (bounded), and returns the screen. */
async function waitFor(want: RegExp, what: string, ms = 30_000): Promise<string> {
  const until = performance.now() + ms;
  let last = "";
  while (performance.now() < until) {
    last = screen();
    if (want.test(last)) return last;
    await Bun.sleep(100);
  }
  throw new Error(`waiting for ${what} (${want}); the screen was:\n${last}`);
}

test.skipIf(!hasTmux)("scenario TUI in a terminal: start, select a peer, pause the virtual clock, quit cleanly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fltorrent-tmux-"));
  const db = join(dir, "run.db");
  const report = join(dir, "report.json");
  const done = join(dir, "exit-code");
  // Many rounds of the tiny scenario: it cannot finish before the keys arrive. The exit code lands in a file;
  // the pane stays open afterwards so the restored terminal can be read.
  const cmd = `cd ${root} && ${process.execPath} cli/scenario.ts tiny --rounds 2000 --db ${db} --report ${report}; echo $? > ${done}; echo EXITED; sleep 60`;
  tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd);
  try {
    // Start: the header names the scenario and the clock; the peers table lists the four peers.
    let s = await waitFor(/fltorrent · tiny · virtual clock[\s\S]*p003/, "the TUI with all four peers");
    expect(s).toContain("[peers]");

    // Pause: the header says so, and virtual time stands still (the round shown stops changing).
    tmux("send-keys", "-t", session, "p");
    s = await waitFor(/PAUSED/, "the pause");
    const roundOf = (text: string) => /round (\d+)\/2000/.exec(text)?.[1];
    const pausedRound = roundOf(s);
    expect(pausedRound).toBeDefined();
    await Bun.sleep(1500); // time passes for the person; the run must not move
    expect(roundOf(screen())).toBe(pausedRound!);

    // Select: two steps down selects the third peer.
    tmux("send-keys", "-t", session, "Down", "Down");
    s = await waitFor(/selected p002/, "the selection of p002");

    // Another view, then resume: the rounds move on again.
    tmux("send-keys", "-t", session, "Tab");
    await waitFor(/\[swarm\]/, "the swarm tab");
    tmux("send-keys", "-t", session, "p");
    await waitFor(new RegExp(`round (?!${pausedRound}/)\\d+/2000`), "rounds moving after resume");

    // Quit: the run stops cleanly, the terminal comes back with the summary, the exit code says "stopped".
    tmux("send-keys", "-t", session, "q");
    s = await waitFor(/EXITED/, "the process to exit");
    expect(s).toContain("stopped by user: stopped early after");
    expect(s).not.toContain("fltorrent · tiny"); // the alternate screen is gone
    expect(readFileSync(done, "utf8").trim()).toBe("130");
    const r = JSON.parse(readFileSync(report, "utf8"));
    expect(r.stopped).toBe("stopped by user");
    expect(r.rounds.length).toBeGreaterThan(0);
    expect(r.rounds.length).toBeLessThan(2000);
    // The run database holds the run up to the stop, ending with run.finished.
    expect(existsSync(db)).toBe(true);
    expect(await countRunEvents(db)).toBeGreaterThan(0);
  } finally {
    Bun.spawnSync(["tmux", "kill-session", "-t", session]);
  }
}, 120_000);

test.skipIf(!hasTmux)("tui --replay in a terminal: a recorded run plays to its end, the learning tab shows its rounds, q exits 0", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fltorrent-tmux-"));
  const db = join(dir, "run.db");
  const done = join(dir, "exit-code");
  const rec = Bun.spawnSync([process.execPath, "cli/scenario.ts", "tiny", "--rounds", "3", "--db", db], { cwd: root, stdout: "pipe", stderr: "pipe" });
  expect(rec.exitCode).toBe(0);
  const cmd = `cd ${root} && ${process.execPath} cli/tui.ts --replay ${db} --speed max; echo $? > ${done}; echo EXITED; sleep 60`;
  tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd);
  try {
    await waitFor(/fltorrent · tiny · virtual clock[\s\S]*finished/, "the replay to reach the run's end");
    tmux("send-keys", "-t", session, "3");
    const s = await waitFor(/\[learning\][\s\S]*\n3 +1\.000/, "the learning tab with round 3");
    expect(s).toMatch(/\n1 +\d\.\d{3}/);
    tmux("send-keys", "-t", session, "q");
    await waitFor(/EXITED/, "the replay to exit");
    expect(readFileSync(done, "utf8").trim()).toBe("0");
  } finally {
    Bun.spawnSync(["tmux", "kill-session", "-t", session]);
  }
}, 120_000);
