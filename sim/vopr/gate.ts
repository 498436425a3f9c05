/**
 * Runs a stock fault plugin (crash, restart, corrupt, byzantine) inside the VOPR's phases: the plugin hears state
 * changes and fires its timers only during the safety phase, so nothing it arms crashes a peer after the heal. Its
 * tampering hooks are counted, and the peers it tampers with are marked dishonest for the model checker.
 */
import type { FaultTarget, FaultWorld } from "../../plugins/faults/types.ts";
import { brand, type PluginFactory } from "../../plugins/plugin.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { VoprControl } from "./fault-plugin.ts";

export interface GateControl extends VoprControl {
  /** Peers that publish poisoned updates or serve corrupt pieces (not "honest" for the model checker). */
  dishonest: Set<string>;
}

export function gated(inner: PluginFactory<"faults">, control: GateControl): PluginFactory<"faults"> {
  return brand("faults", inner.pluginName, inner.pluginOptions, (deps) => {
    const plugin = inner(deps);
    return { name: plugin.name, install: (world) => plugin.install(gatedWorld(world, control)) };
  });
}

function gatedWorld(world: FaultWorld, { phase, tally, dishonest }: GateControl): FaultWorld {
  const clock: Clock = {
    kind: world.clock.kind,
    now: () => world.clock.now(),
    setTimeout: (fn, ms) =>
      world.clock.setTimeout(() => {
        if (phase.safety) fn();
      }, ms),
    clearTimeout: (id) => world.clock.clearTimeout(id),
    track: (work) => world.clock.track(work),
  };
  const peers = world.peers.map(
    (p): FaultTarget => ({
      id: p.id,
      crash: (reason) => p.crash(reason),
      leave: () => p.leave(),
      tamperUpdates(fn) {
        dishonest.add(p.id);
        p.tamperUpdates((before, after) => {
          tally.add("byzantine update");
          return fn(before, after);
        });
      },
      tamperServed(fn) {
        dishonest.add(p.id);
        p.tamperServed((data) => {
          const out = fn(data);
          if (out !== data) tally.add("corrupt piece");
          return out;
        });
      },
    }),
  );
  return {
    ...world,
    clock,
    peers,
    onState: (listener) =>
      world.onState((peer, state, round) => {
        if (phase.safety) listener(peer, state, round);
      }),
    respawn: (peer, afterMs) => {
      tally.add("restart");
      world.respawn(peer, afterMs);
    },
  };
}
