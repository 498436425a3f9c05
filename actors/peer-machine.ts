/**
 * Starting a peer's round machine: its input from the scenario and the device, and what the peer tells
 * telemetry about it: each state change once (a snapshot follows every event the machine takes), every expired
 * timer, and the final state.
 */
import { createActor, type Actor } from "xstate";
import type { roundMachine } from "../machines/round.ts";
import type { PeerDeps } from "./peer-deps.ts";

/** XState's event type for an expired `after` delay: `xstate.after.<delay>.<machine id>.<state path>`. */
const afterPrefix = "xstate.after.";

export interface RoundActorHooks {
  /** The machine reached a final state, or threw (then `error` says what, and the state is "failed"). */
  finished(state: "done" | "failed" | "left", error?: string): void;
}

export function createRoundActor(machine: typeof roundMachine, deps: PeerDeps, hooks: RoundActorHooks): Actor<typeof roundMachine> {
  const { id, telemetry } = deps;
  const t = deps.scenario.timeouts;
  const actor: Actor<typeof roundMachine> = createActor(machine, {
    clock: deps.clock,
    // The inspection stream is the one place that sees every timer expire, without the machine naming it.
    inspect: (ev) => {
      if (ev.type !== "@xstate.event" || ev.actorRef !== actor || !ev.event.type.startsWith(afterPrefix)) return;
      const [timer = "?", ...path] = ev.event.type.slice(afterPrefix.length).split(".");
      telemetry.timeout?.(id, timer, path.at(-1) ?? "?", actor.getSnapshot().context.round);
    },
    input: {
      rounds: deps.scenario.rounds,
      minCompletion: deps.scenario.swarm.minCompletion,
      timeouts: {
        joinMs: t.joinMs,
        joinRetries: t.joinRetries,
        connectMs: t.connectMs,
        connectRetries: t.connectRetries,
        trainMs: t.trainMs / deps.device.computeSpeed,
        scoreMs: t.trainMs,
        swarmDeadlineMs: deps.scenario.swarm.deadlineMs,
        graceMs: deps.scenario.swarm.graceMs,
        aggregateMs: t.trainMs,
      },
    },
  });
  let told = "";
  actor.subscribe({
    next: (snap) => {
      const state = String(snap.value);
      const key = `${state}/${snap.context.round}`;
      if (key !== told) {
        told = key;
        telemetry.state?.(id, state, snap.context.round);
      }
      if (snap.status === "done") {
        const final = snap.value as "done" | "failed" | "left";
        hooks.finished(final);
        telemetry.finished?.(id, final);
      }
    },
    error: (err) => {
      hooks.finished("failed", String(err));
      telemetry.finished?.(id, "failed");
    },
  });
  return actor;
}
