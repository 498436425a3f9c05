/// <reference lib="webworker" />
/**
 * Worker entry: hosts a slice of a scenario's peers (see worker-host.ts for the protocol). Loads the scenario
 * itself, builds a PeerHost on the real clock and forwards its telemetry to the main thread.
 */
import { describeBackend } from "../learn/backend.ts";
import { RealClock } from "../runtime/clock.ts";
import { createLogger } from "../runtime/log.ts";
import { applyOverrides, loadScenario } from "../scenarios/define.ts";
import { PeerHost } from "./peer-host.ts";
import type { FromWorker, ToWorker } from "./worker-host.ts";

const post = (m: FromWorker) => postMessage(m);
let host: PeerHost | undefined;

async function handle(m: ToWorker): Promise<void> {
  if (m.t === "init") {
    const scenario = applyOverrides(await loadScenario(m.source.ref), m.source.overrides);
    if (scenario.clock !== "real") throw new Error("worker: only real-clock runs use workers");
    const clock = new RealClock();
    host = await PeerHost.create({
      scenario,
      ids: m.ids,
      clock,
      trackerAddress: m.trackerAddress,
      // Log lines go to the main thread, which owns the terminal (a TUI may be drawing on it).
      log: createLogger({ clock, level: m.logLevel, sink: (line) => post({ t: "log", line }) }),
      listenHost: m.listenHost,
      onSample: m.sample ? (events) => post({ t: "sampled", events }) : undefined,
      telemetry: {
        state: (peer, state, round) => post({ t: "state", peer, state, round }),
        round: (record) => post({ t: "round", record }),
        fault: (peer, what) => post({ t: "fault", peer, what }),
        ban: (peer, by, reason) => post({ t: "ban", peer, by, reason }),
        timeout: (peer, timer, state, round) => post({ t: "timeout", peer, timer, state, round }),
        finished: (peer, how) => post({ t: "finished", peer, how }),
      },
    });
    post({ t: "ready", backend: describeBackend() });
  } else if (m.t === "start") {
    if (!host) throw new Error("worker: start before init");
    await host.start();
    post({ t: "started" });
  } else if (m.t === "stop") {
    await host?.close();
    post({ t: "closed" });
  }
}

onmessage = (ev: MessageEvent<ToWorker>) => {
  handle(ev.data).catch((e: unknown) => post({ t: "error", message: (e as Error)?.stack ?? String(e) }));
};
