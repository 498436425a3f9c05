/**
 * Liveness after the heal: every peer live at the heal or back after it — not crashed, not left — ends `done`, and
 * finishes a round it started after the heal (unless the round it was in at the heal was its last). Only liveness
 * is owed after the heal: a peer that gave up under the faults is counted, not judged. That covers a peer in a final
 * state before the heal, and one still joining or connecting at the heal whose retry budget ran out before the
 * healed network could reach it: within `reconnectBoundMs` of the heal (its next admission attempt, or a
 * neighbour's next redial, may be that far off). A hang shows up as the run stopping with peers still running; any
 * other give-up after the heal (`failed` on its own) is a violation, except a stranded peer: it failed to connect
 * when every topology neighbour had already ended or was banned (by it or it by them; bans last the run), so there
 * was nobody left to finish a round with.
 */
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import type { Peer } from "../../actors/peer.ts";
import { joinBackoffFactorMax } from "../../machines/round-types.ts";
import type { Graph } from "../../plugins/topology/types.ts";
import type { ReportViolation } from "./violation.ts";
import { redialCapMs } from "../../actors/redialer.ts";

/** Dial round trips and timer slack on top of the waits below. */
const reconnectSlackMs = 1000;

/**
 * After the heal, the longest a joining peer may wait for the healed network to reach it (its next admission attempt:
 * one waits up to joinMs × joinBackoffFactorMax), and a connecting one (a neighbour's next redial, then the rest of
 * one connect period).
 */
export function reconnectBoundMs(t: { joinMs: number; connectMs: number }): { join: number; connect: number } {
  return { join: t.joinMs * joinBackoffFactorMax + reconnectSlackMs, connect: redialCapMs(t.connectMs) + t.connectMs + reconnectSlackMs };
}

export interface LivenessInput {
  healedAtMs: number | undefined;
  rounds: number;
  graph: Graph;
  /** The newest incarnation of every peer, in roster order. */
  peers: readonly Peer[];
  crashed: WeakSet<Peer>;
  records: WeakMap<Peer, PeerRoundRecord[]>;
  /** Clock time each incarnation was first seen in a final state. */
  endedAt: WeakMap<Peer, number>;
  /** Incarnations already in a final state at the heal. */
  endedBeforeHeal: WeakSet<Peer>;
  /** The scenario's join and connect timeouts (they bound how long reconnecting may take after the heal). */
  timeouts: { joinMs: number; connectMs: number };
  /** Set when the run itself failed to end (a hang) or threw. */
  stalled: boolean;
}

export interface LivenessStats {
  /** Peers that had to finish: live at the end of the safety phase or back after it. */
  live: number;
  crashed: number;
  left: number;
  /** Gave up on their own under the faults, before the heal. */
  gaveUp: number;
  /** Still joining or connecting at the heal, and out of retries before the healed network reached them. */
  cutShort: number;
  /** Failed to connect with every neighbour ended or banned. */
  stranded: number;
  /** Longest time from the heal to a live peer's first round finished after it (ms). */
  recoveryMsMax: number;
}

export function checkLiveness(o: LivenessInput, report: ReportViolation): LivenessStats {
  const stats: LivenessStats = { live: 0, crashed: 0, left: 0, gaveUp: 0, cutShort: 0, stranded: 0, recoveryMsMax: 0 };
  const byId = new Map(o.peers.map((p) => [p.id, p]));
  const fail = (detail: string) => report({ property: "liveness", atMs: undefined, detail });
  const H = o.healedAtMs;
  for (const p of o.peers) {
    // Without a heal the whole run was the safety phase (every peer ended under the faults): no liveness is owed.
    const endedUnderFaults = H === undefined ? p.finalState !== undefined : o.endedBeforeHeal.has(p);
    if (endedUnderFaults && p.finalState === "failed" && !o.crashed.has(p)) {
      stats.gaveUp++;
      continue;
    }
    if (o.crashed.has(p)) {
      stats.crashed++;
      continue;
    }
    if (p.finalState === "left") {
      stats.left++;
      continue;
    }
    if (p.finalState === undefined) {
      stats.live++;
      fail(`${p.id} never finished: still in ${p.state} of round ${p.round} when the run stopped${o.stalled ? "" : " (but the run ended?)"}`);
      continue;
    }
    if (p.finalState === "failed") {
      if (stranded(p, o, byId)) {
        stats.stranded++;
        continue;
      }
      if (H !== undefined && cutShort(p, H, o)) {
        stats.cutShort++;
        continue;
      }
      stats.live++;
      fail(`${p.id} gave up in round ${p.round}: ${p.lastError ?? "no reason given"}`);
      continue;
    }
    stats.live++;
    if (H === undefined) continue;
    const mine = o.records.get(p) ?? [];
    const after = mine.find((r) => r.times.trainStartMs >= H);
    if (after) {
      stats.recoveryMsMax = Math.max(stats.recoveryMsMax, (after.times.doneMs ?? H) - H);
      continue;
    }
    const last = mine.at(-1);
    if (last && last.round === o.rounds - 1) continue; // it was already in its last round at the heal
    fail(`${p.id} ended done without finishing a round started after the heal at ${H} ms (its last round: ${last?.round ?? "none"})`);
  }
  return stats;
}

/** A peer whose join or connect retries ran out soon after the heal: its budget was spent under the faults. */
function cutShort(p: Peer, healedAtMs: number, o: LivenessInput): boolean {
  const phase = /^(join|connect):/.exec(p.lastError ?? "")?.[1] as "join" | "connect" | undefined;
  const at = o.endedAt.get(p);
  return p.finalState === "failed" && phase !== undefined && at !== undefined && at - healedAtMs < reconnectBoundMs(o.timeouts)[phase];
}

/** A peer that failed to connect when every topology neighbour had ended or was banned: nobody was left. */
function stranded(p: Peer, o: LivenessInput, byId: ReadonlyMap<string, Peer>): boolean {
  if (!p.lastError?.startsWith("connect:")) return false;
  const failedAt = o.endedAt.get(p);
  if (failedAt === undefined) return false;
  return (o.graph.get(p.id) ?? []).every((n) => {
    const q = byId.get(n);
    if (!q) return true;
    if (p.swarm.isBanned(n) || q.swarm.isBanned(p.id)) return true;
    const ended = o.endedAt.get(q);
    return ended !== undefined && ended <= failedAt;
  });
}
