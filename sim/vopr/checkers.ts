/**
 * The VOPR checkers of one run, wired to runScenario's hooks: `wrapStore` (every put and get), `setup` (the world,
 * and a sampler on the virtual clock for holdings and limits), `onPeerRound` (aggregation inputs, identical models),
 * `onFault` (which incarnations crashed), and `finish` (liveness, after the run).
 */
import type { PeerRoundRecord } from "../../actors/peer-telemetry.ts";
import type { Peer } from "../../actors/peer.ts";
import type { Graph } from "../../plugins/topology/types.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { PieceStore } from "../../swarm/store-port.ts";
import type { World } from "../run-scenario.ts";
import { checkLimits, emptyHighWater, type LimitHighWater } from "./limits.ts";
import { checkLiveness, type LivenessStats } from "./liveness.ts";
import { ModelChecker } from "./models.ts";
import type { Phase } from "./phase.ts";
import { StoreAudit } from "./store-audit.ts";
import type { Property, Violation } from "./violation.ts";

/** How often holdings and limits are sampled, in clock ms. */
export const sampleEveryMsDefault = 100;
/** Violations kept per property (one bug tends to repeat; the first few say it). */
const keptPerProperty = 3;

export interface CheckerOptions {
  rounds: number;
  /** The scenario's join and connect timeouts (they bound how long reconnecting may take after the heal). */
  timeouts: { joinMs: number; connectMs: number };
  graph: Graph;
  phase: Phase;
  /** Peers the fault plugins made Byzantine or corrupt (filled as they install). */
  dishonest: ReadonlySet<string>;
  /** @default sampleEveryMsDefault */
  sampleEveryMs?: number;
}

export interface CheckerStats {
  samples: number;
  /** Honest round records with every chunk covered, and those that met an earlier one with the same pieces. */
  comparedRecords: number;
  matchedRecords: number;
  limits: LimitHighWater;
  liveness: LivenessStats | undefined;
}

export class VoprCheckers {
  readonly violations: Violation[] = [];
  /** Violations seen per property, kept or not. */
  readonly seen = new Map<Property, number>();
  private readonly audit: StoreAudit;
  private readonly models: ModelChecker;
  private readonly crashed = new WeakSet<Peer>();
  private readonly records = new WeakMap<Peer, PeerRoundRecord[]>();
  private readonly endedAt = new WeakMap<Peer, number>();
  private readonly endedBeforeHeal = new WeakSet<Peer>();
  private readonly high = emptyHighWater();
  private world: World | undefined;
  private index = new Map<string, number>();
  private samples = 0;
  private liveness: LivenessStats | undefined;

  constructor(private readonly o: CheckerOptions) {
    this.audit = new StoreAudit((id) => this.peerOf(id), (v) => this.report(v));
    this.models = new ModelChecker((v) => this.report(v));
  }

  readonly report = (v: Violation): void => {
    const n = (this.seen.get(v.property) ?? 0) + 1;
    this.seen.set(v.property, n);
    if (n > keptPerProperty) return;
    this.violations.push({ ...v, atMs: v.atMs ?? this.world?.clock.now() });
  };

  readonly wrapStore = (inner: PieceStore): PieceStore => this.audit.wrap(inner);

  /** runScenario's `setup`: keeps the world and arms the sampler. */
  readonly bind = (world: World): void => {
    this.world = world;
    this.index = new Map(world.ids.map((id, i) => [id, i]));
    this.o.phase.onHeal(() => {
      for (const p of world.peers) if (p.finalState !== undefined) this.endedBeforeHeal.add(p);
    });
    const every = this.o.sampleEveryMs ?? sampleEveryMsDefault;
    const clock: Clock = world.clock;
    // Re-armed for as long as the run goes (a comeback may follow a moment when every peer had ended); the run
    // stops its clock once every peer is done, so the sampler never keeps a finished run alive.
    const tick = () => {
      this.sample();
      clock.setTimeout(tick, every);
    };
    clock.setTimeout(tick, every);
  };

  /** runScenario's `onPeerRound`: emitted inside the peer's aggregation, so its swarm shows what was aggregated. */
  readonly onRecord = (r: PeerRoundRecord): void => {
    const peer = this.peerOf(r.peer);
    if (!peer) return this.report({ property: "crash", atMs: undefined, detail: `a round record from ${r.peer}, who does not run here` });
    let mine = this.records.get(peer);
    if (!mine) this.records.set(peer, (mine = []));
    mine.push(r);
    this.audit.checkHeldStored(peer, r.round);
    this.models.onRecord(r, peer, !this.o.dishonest.has(r.peer));
  };

  /** The vopr plugin's state listener: notes when each incarnation ends, to the event. */
  readonly observe = (peer: string, state: string): void => {
    if (state !== "done" && state !== "failed" && state !== "left") return;
    const p = this.peerOf(peer);
    if (p && !this.endedAt.has(p)) this.endedAt.set(p, this.world!.clock.now());
  };

  /** runScenario's `onFault`: a "crashed: …" line ends the incarnation that runs now. */
  readonly onFault = (peer: string, what: string): void => {
    if (!what.startsWith("crashed:")) return;
    const p = this.peerOf(peer);
    if (p) this.crashed.add(p);
  };

  /**
   * Runs the end-of-run checks. `ended`: the run ended (every peer in a final state), `stalled`: it stopped with peers
   * still running, `threw`: an exception ended it (reported as a crash; liveness says nothing more then).
   */
  finish(how: "ended" | "stalled" | "threw"): CheckerStats {
    const world = this.world;
    if (world && how !== "threw") {
      this.sample();
      const now = world.clock.now();
      for (const p of world.peers) if (p.finalState !== undefined && !this.endedAt.has(p)) this.endedAt.set(p, now);
      this.liveness = checkLiveness(
        {
          healedAtMs: this.o.phase.healedAtMs,
          rounds: this.o.rounds,
          graph: this.o.graph,
          peers: world.peers,
          crashed: this.crashed,
          records: this.records,
          endedAt: this.endedAt,
          endedBeforeHeal: this.endedBeforeHeal,
          timeouts: this.o.timeouts,
          stalled: how === "stalled",
        },
        this.report,
      );
    }
    return {
      samples: this.samples,
      comparedRecords: this.models.compared,
      matchedRecords: this.models.matched,
      limits: this.high,
      liveness: this.liveness,
    };
  }

  private sample(): void {
    const world = this.world;
    if (!world) return;
    this.samples++;
    const now = world.clock.now();
    for (const p of world.peers) {
      if (p.finalState !== undefined) {
        if (!this.endedAt.has(p)) this.endedAt.set(p, now);
        continue;
      }
      this.audit.checkHoldings(p);
      checkLimits(p, this.audit.storedRounds.get(p.id), this.high, this.report);
    }
  }

  private peerOf(id: string): Peer | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.world?.peers[i];
  }
}
