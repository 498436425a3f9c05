import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

// STYLE principle 1: actors, machines, swarm, plugins and learn get time, randomness and I/O through ports.
const guarded = ["actors", "machines", "swarm", "plugins", "learn"];
const forbidden: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, "Date.now"],
  [/\bMath\.random\s*\(/, "Math.random"],
  [/\bperformance\.now\s*\(/, "performance.now"],
  [/(^|[^.\w])setTimeout\s*\(/, "bare setTimeout (use clock.setTimeout)"],
  [/(^|[^.\w])setInterval\s*\(/, "setInterval"],
  [/globalThis\.setTimeout/, "globalThis.setTimeout"],
  [/new\s+WebSocket\s*\(/, "a socket"],
  [/\bBun\.serve\s*\(/, "a socket"],
];

function files(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (/\.tsx?$/.test(e) && !/\.test\.tsx?$/.test(e)) out.push(p);
  }
  return out;
}

test("no ambient time, randomness or sockets in deterministic code", () => {
  const all = guarded.flatMap(files);
  expect(all.length).toBeGreaterThan(5);
  const offences: string[] = [];
  for (const f of all) {
    readFileSync(f, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (/^\s*(\*|\/\/)/.test(line)) return; // comments may name what they avoid
        for (const [re, what] of forbidden) if (re.test(line)) offences.push(`${f}:${i + 1} uses ${what}`);
      });
  }
  expect(offences).toEqual([]);
});
