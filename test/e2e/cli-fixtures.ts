import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dir, "../..");

/**
 * Writes a 4-peer real-clock scenario file (tiny's data and model) for processes that load it themselves
 * (workers, parts). Its deadlines leave room for a loaded CI machine: a late start must not make a round partial.
 */
export function writeTinyReal(name: string, rounds: number): string {
  const file = join(mkdtempSync(join(tmpdir(), `fltorrent-${name}-`)), `${name}.ts`);
  writeFileSync(
    file,
    `import { defineScenario } from ${JSON.stringify(join(root, "scenarios/define.ts"))};
import { ring } from ${JSON.stringify(join(root, "plugins/topology/ring.ts"))};
export default defineScenario({ name: ${JSON.stringify(name)}, peers: 4, rounds: ${rounds}, clock: "real", topology: ring(),
  data: { source: "synthetic", split: { kind: "iid" }, trainExamples: 400, testExamples: 200, features: 20, classes: 4 },
  model: { kind: "mlp", hidden: [16] }, training: { epochs: 1 }, swarm: { maxChunkFloats: 64, deadlineMs: 60000, graceMs: 5000 } });
`,
  );
  return file;
}

/**
 * Reads a child's stream until `pattern` matches what came so far; returns the first capture group (undefined if
 * the stream ended first). The reader is released, so the rest of the stream can be left to the pipe.
 */
export async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp): Promise<string | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const m = pattern.exec(text);
      if (m) return m[1];
      const chunk = await reader.read();
      if (chunk.done) return undefined;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}
