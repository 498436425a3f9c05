/**
 * The `vopr` fault plugin: carries out a drawn schedule (schedule.ts) on the memory network and the peers during
 * the safety phase, and heals everything at once when the phase ends: every cut lifted, every clogged link
 * released, the frame filter removed. Crashed peers stay dead (a restart's comeback still happens after the heal).
 */
import { cut } from "../../plugins/faults/cuts.ts";
import type { FaultTarget, FaultWorld } from "../../plugins/faults/types.ts";
import { needMemoryNet } from "../../plugins/faults/types.ts";
import { brand, type PluginFactory } from "../../plugins/plugin.ts";
import type { FrameFilter, MemoryFaults } from "../../net/memory.ts";
import type { FilterPlan, NetFault, PeerFault, Schedule, Trigger } from "./schedule.ts";
import type { Phase, Tally } from "./phase.ts";

/** What the plugin shares with the runner: the phase it ends, the tally it counts into. */
export interface VoprControl {
  phase: Phase;
  tally: Tally;
  /** Hears every state change of every peer (checkers note when incarnations end). */
  observe?: (peer: string, state: string, round: number) => void;
}

export function voprFaults(schedule: Schedule, control: VoprControl): PluginFactory<"faults"> {
  return brand("faults", "vopr", { net: schedule.net.length, peers: schedule.peers.length, filter: schedule.filter !== undefined }, () => ({
    name: "vopr",
    install: (world) => install(world, schedule, control),
  }));
}

function install(world: FaultWorld, schedule: Schedule, { phase, tally, observe }: VoprControl): void {
  const net = needMemoryNet("vopr", world);
  if (observe) world.onState(observe);
  const { clock } = world;
  const lifts = new Set<() => void>();
  const clogged = new Map<string, [string, string]>();
  const addr = (id: string) => world.addressOf(id);

  // The liveness phase: heal everything in one synchronous step.
  phase.onHeal(() => {
    for (const lift of [...lifts]) lift();
    lifts.clear();
    for (const [a, b] of clogged.values()) net.unclog(a, b);
    clogged.clear();
    net.setFilter(undefined);
    net.heal();
  });
  let healArmed = false;
  world.onState((_peer, state, round) => {
    if (healArmed || !phase.safety || state !== "train" || round < schedule.healRound) return;
    healArmed = true;
    clock.setTimeout(() => phase.heal(clock.now()), 0);
  });
  clock.setTimeout(() => phase.heal(clock.now()), schedule.healCapMs);

  if (schedule.filter) net.setFilter(frameFilter(schedule.filter, world, phase, tally));

  /** Runs `fn` when `t` comes, if the safety phase still lasts then. */
  const when = (t: Trigger, fn: () => void) => {
    const fire = () => {
      if (phase.safety) fn();
    };
    if ("atMs" in t) return void clock.setTimeout(fire, t.atMs);
    let armed = true;
    world.onState((peer, state, round) => {
      if (!armed || peer !== t.peer || state !== t.state || round < t.round) return;
      armed = false;
      // Never inside the machine's own transition: a moment later on the clock.
      clock.setTimeout(fire, t.afterMs);
    });
  };

  for (const f of schedule.net) when(f.at, () => netFault(f));
  for (const f of schedule.peers) when(f.at, () => peerFault(f));

  function netFault(f: NetFault): void {
    if (f.kind === "partition") {
      const lift = cut(net, f.a.map(addr), f.b.map(addr));
      lifts.add(lift);
      tally.add(`partition:${f.shape}`);
      world.report("net", `vopr: partition (${f.shape}) from ${f.b.join(",")} for ${Math.round(f.forMs)} ms`);
      clock.setTimeout(() => {
        if (!lifts.delete(lift)) return; // the heal lifted it already
        lift();
      }, f.forMs);
      return;
    }
    const links = f.links.map(([a, b]) => [addr(a), addr(b)] as [string, string]);
    links.forEach(([a, b], i) =>
      clock.setTimeout(() => {
        if (!phase.safety) return;
        clogLink(net, clogged, a, b);
        tally.add("clog");
      }, i * f.stepMs),
    );
    const restoreAt = links.length * f.stepMs + f.holdMs;
    f.unclogOrder.forEach((j, i) =>
      clock.setTimeout(() => {
        const [a, b] = links[j]!;
        const key = `${a}>${b}`;
        if (!clogged.has(key)) return; // healed already, or never clogged
        clogged.delete(key);
        net.unclog(a, b);
      }, restoreAt + i * f.stepMs),
    );
  }

  function peerFault(f: PeerFault): void {
    const target = world.peers.find((p) => p.id === f.peer);
    if (!target) throw new Error(`vopr: no peer ${f.peer} in this run`);
    const where = "atMs" in f.at ? `at ${Math.round(f.at.atMs)} ms` : `in ${f.at.state} of round ≥ ${f.at.round}`;
    if (f.kind === "leave") {
      tally.add("leave");
      return target.leave();
    }
    if (f.kind === "crash") return crash(target, `vopr: crash ${where}`, f.hard);
    crash(target, `vopr: restart ${where}`, true);
    tally.add("restart");
    world.report(f.peer, `vopr: comes back in ${Math.round(f.downMs)} ms`);
    world.respawn(f.peer, f.downMs);
  }

  /** A process death; `hard` also drops what its links still carry (its queues die with it). */
  function crash(target: FaultTarget, reason: string, hard: boolean): void {
    target.crash(reason);
    if (hard) net.crash(addr(target.id));
  }
}

function clogLink(net: MemoryFaults, clogged: Map<string, [string, string]>, a: string, b: string): void {
  const key = `${a}>${b}`;
  if (clogged.has(key)) return;
  clogged.set(key, [a, b]);
  net.clog(a, b);
}

/** The frame filter: one draw per frame from the fault's own stream (frames are sent in a deterministic order). */
function frameFilter(plan: FilterPlan, world: FaultWorld, phase: Phase, tally: Tally): FrameFilter {
  const rng = world.rng.split("filter");
  return () => {
    if (!phase.safety) return "deliver";
    const x = rng.next();
    if (x < plan.dropP) {
      tally.add("drop");
      return "drop";
    }
    if (x < plan.dropP + plan.duplicateP) {
      tally.add("duplicate");
      return "duplicate";
    }
    if (x < plan.dropP + plan.duplicateP + plan.delayP) {
      tally.add("delay");
      return { delayMs: rng.range(0, plan.delayMaxMs) };
    }
    return "deliver";
  };
}

