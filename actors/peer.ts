import type { Actor } from "xstate";
import { roundMachine, type RoundContext, type RoundEvent } from "../machines/round.ts";
import { hashSeed, SeededRng } from "../runtime/rng.ts";
import type { PeerDeps } from "./peer-deps.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/log.ts";
import type { PeerSample } from "../telemetry/peer-sampler.ts";
import { createRoundActor } from "./peer-machine.ts";
import { chunkPieces } from "../learn/chunking.ts";
import { buildManifest } from "../swarm/manifest.ts";
import { SwarmNode } from "../swarm/node.ts";
import { TrackerClient, type Admission } from "./tracker-client.ts";
import { CoverageMeter } from "./coverage-meter.ts";
import { NeighbourLinks } from "./neighbour-links.ts";
import { aggregateFromSwarm } from "./peer-aggregate.ts";
import { RoundRecorder } from "./round-recorder.ts";

export type { PeerDeps } from "./peer-deps.ts";

/**
 * A peer: the round machine (machines/round.ts) wired to its ports. The machine decides; this class carries out
 * its named actions (dial the tracker, train, publish, aggregate) and reports results back as events.
 * Asynchronous results carry a ticket so a late result of an abandoned step is dropped.
 */
export class Peer {
  readonly id: string;
  readonly swarm: SwarmNode;
  private readonly actor: Actor<typeof roundMachine>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly tracker: TrackerClient;
  private roster: string[] = [];
  /** Origins this peer gathers and aggregates: the roster (scope "all") or itself and its neighbours. */
  private origins: string[] = [];
  private originSet = new Set<string>();
  /** Origins the tracker says are gone (link dropped): rounds do not wait for them until they are back. */
  private readonly gone = new Set<string>();
  /** The origins the active round expects (its goal; a gone origin leaves it mid-round). */
  private roundOrigins = new Set<string>();
  private model: Float32Array | undefined;
  /** The model this round started from and the locally trained one (undefined if training was abandoned). */
  private roundStart: Float32Array | undefined;
  private trained: { weights: Float32Array; samples: number; loss: number } | undefined;
  private ticket = 0;
  /** The round the swarm is gathering (set when a round starts; the machine's context is authoritative). */
  private activeRound = 0;
  private readonly recorder: RoundRecorder;
  private stopped = false;
  private tamper: ((before: Float32Array, after: Float32Array) => Float32Array) | undefined;
  private serveTamper: ((data: Uint8Array) => Uint8Array) | undefined;
  private readonly links: NeighbourLinks;
  private readonly coverage: CoverageMeter;
  /** Final machine state once reached. */
  finalState: "done" | "failed" | "left" | undefined;
  lastError: string | undefined;

  constructor(private readonly deps: PeerDeps) {
    this.id = deps.id;
    this.clock = deps.clock;
    this.log = deps.log;
    this.tracker = new TrackerClient({
      transport: deps.transport,
      trackerAddress: deps.trackerAddress,
      swarmId: deps.swarmId,
      peerId: deps.id,
      auth: deps.auth ?? "",
      log: deps.log,
      onAdmit: (msg) => this.onAdmit(msg),
      onReject: (reason) => this.send({ type: "tracker.rejected", reason }),
      onLost: () => this.send({ type: "tracker.lost" }),
      onPresence: (peerId, present) => this.onPresence(peerId, present),
    });
    this.coverage = new CoverageMeter(deps.scenario.swarm.minCompletion, (coverage) => this.send({ type: "swarm.progress", coverage }));
    this.links = new NeighbourLinks({
      clock: deps.clock,
      transport: deps.transport,
      log: deps.log,
      connectMs: deps.scenario.timeouts.connectMs,
      addConn: (conn) => void this.swarm.addConn(conn),
      running: () => !this.stopped && !this.finalState,
      stopped: () => this.stopped,
      // A gone neighbour cannot answer, and when it is back it dials us.
      shunned: (peerId) => this.gone.has(peerId) || this.swarm.isBanned(peerId),
    });
    this.swarm = new SwarmNode(
      {
        peerId: deps.id,
        swarmId: deps.swarmId,
        auth: deps.auth ?? "",
        clock: deps.clock,
        rng: deps.rng.split("swarm"),
        store: deps.store,
        log: deps.log,
        tamperServed: (data) => (this.serveTamper ? this.serveTamper(data) : data),
        // Gossip gathers only the neighbours' updates; the all-gather takes every origin.
        acceptOrigin: deps.scenario.swarm.scope === "neighbours" ? (origin) => this.originSet.has(origin) : undefined,
      },
      {
        sessionOpened: (peer) => {
          this.links.opened(peer);
          this.send({ type: "peer.connected", peer });
        },
        sessionClosed: (peer) => {
          if (this.links.closed(peer)) this.send({ type: "link.down", peer });
        },
        piece: (round, origin) => this.onPiece(round, origin),
        complete: (round) => {
          if (round === this.activeRound) this.send({ type: "swarm.complete" });
        },
        manifest: (round) => {
          if (round === this.activeRound) this.coverage.recount(this.swarm.progress(round));
          this.onRoundSeen(round);
        },
        roundAhead: (round) => this.onRoundSeen(round),
        strike: (peer, err) => {
          if (err.message.includes("hash")) this.send({ type: "piece.corrupt", from: peer });
        },
        ban: (peer, reason) => deps.telemetry.ban?.(peer, this.id, reason),
      },
    );
    this.recorder = new RoundRecorder(deps.clock, this.swarm.counters);
    const machine = roundMachine.provide({
      actions: {
        requestAdmission: () => this.tracker.request(),
        connectNeighbours: () => this.links.connectAll(this.swarm.neighbours),
        startTraining: ({ context }) => this.startTraining(context.round),
        abandonTraining: ({ context }) => this.abandon(context.round, "training timed out"),
        scoreAndPublish: ({ context }) => this.scoreAndPublish(context.round),
        beginSwarm: ({ context }) => this.beginSwarm(context.round),
        abandonRound: ({ context }) => this.abandon(context.round, "neighbours are ahead: catching up"),
        aggregateModel: ({ context }) => this.aggregateModel(context),
        leaveSwarm: () => queueMicrotask(() => void this.close()),
        reportFailure: ({ context }) => {
          this.lastError = context.lastError;
          this.log.warn(`failed: ${context.lastError ?? "unknown"}`);
        },
        noteTrackerLost: () => this.log.info("tracker lost; going on without it"),
        recordCorruptPiece: ({ event }) => deps.telemetry.fault?.(this.id, `corrupt piece from ${(event as { from?: string }).from ?? "?"}`),
      },
    });
    this.actor = createRoundActor(machine, deps, {
      finished: (state, error) => {
        if (error !== undefined) this.lastError = error;
        this.finalState = state;
      },
    });
  }

  /** Starts listening, then the machine (which dials the tracker). Resolves once listening. */
  async start(): Promise<void> {
    await this.deps.transport.listen((conn) => void this.swarm.addConn(conn));
    this.actor.start();
  }

  get round(): number {
    return this.actor.getSnapshot().context.round;
  }

  /** For telemetry (telemetry/peer-sampler.ts): the gathered round's per-origin pieces and the payload bytes moved. */
  sample(): PeerSample {
    const c = this.swarm.counters;
    return { round: this.activeRound, progress: this.swarm.progress(this.activeRound), up: c.payloadOut, down: c.payloadIn };
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  /** The peer's current model (undefined before admission). */
  get weights(): Float32Array | undefined {
    return this.model;
  }

  /**
   * Dies at once (fault injection): the machine stops, sessions drop without a goodbye, the transport closes.
   * Reported as finished with "failed".
   */
  crash(reason: string): void {
    if (this.stopped || this.finalState) return;
    this.lastError = reason;
    this.finalState = "failed";
    this.log.warn(`crashed: ${reason}`);
    this.deps.telemetry.fault?.(this.id, `crashed: ${reason}`);
    this.deps.telemetry.finished?.(this.id, "failed");
    void this.close();
  }

  /** From now on publish `fn(start of round, trained)` instead of the trained model (a Byzantine peer). */
  tamperUpdates(fn: (before: Float32Array, after: Float32Array) => Float32Array): void {
    this.tamper = fn;
  }

  /**
   * From now on serve `fn(stored bytes)` instead of the stored piece (a peer that corrupts what it uploads).
   * `fn` must copy before changing anything: the store is shared and holds verified bytes only.
   */
  tamperServed(fn: (data: Uint8Array) => Uint8Array): void {
    this.serveTamper = fn;
  }

  /** Sends `peer.leave`: the machine goes to `left` and the peer closes its sessions. */
  leave(): void {
    this.send({ type: "peer.leave" });
  }

  /** Closes sessions, the tracker link and the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.links.stop();
    this.actor.stop();
    this.swarm.close();
    this.tracker.close("peer closing");
    await this.deps.transport.close();
  }

  // ---- actions -----------------------------------------------------------------------------------------

  private send(ev: RoundEvent): void {
    if (this.stopped) return;
    this.actor.send(ev);
  }

  /** Events raised inside an action are delivered after the current transition (a microtask later). */
  private sendSoon(ev: RoundEvent): void {
    queueMicrotask(() => this.send(ev));
  }

  private onAdmit(msg: Admission): void {
    this.roster = [...msg.roster].sort();
    this.origins = this.deps.scenario.swarm.scope === "neighbours" ? [...new Set([this.id, ...msg.neighbourIds])].sort() : this.roster;
    this.originSet = new Set(this.origins);
    this.links.setTargets(msg.neighbours, this.id);
    this.model = this.deps.learning.initialWeights(msg.modelSeed);
    // Neighbours admitted after us may have dialled in before our own admission arrived: they count already.
    this.send({ type: "tracker.admitted", neighbours: msg.expectedNeighbours, round: msg.round, connected: this.links.openCount });
  }

  /**
   * A gone origin stops holding up the round being gathered (which may complete at once) and is left out of the
   * next rounds' goals; one that is back is expected again from the next round on (it restarts behind and
   * catches up, so waiting for it in this round could cost the whole deadline).
   */
  private onPresence(peerId: string, present: boolean): void {
    if (!this.originSet.has(peerId)) return;
    if (present) {
      this.gone.delete(peerId);
      return;
    }
    this.gone.add(peerId);
    this.log.info(`${peerId} is gone: rounds stop waiting for its update`);
    this.roundOrigins.delete(peerId);
    this.swarm.unexpect(peerId);
    if (this.swarm.current === this.activeRound) this.coverage.recount(this.swarm.progress(this.activeRound));
    this.coverage.reportNow();
  }

  private startTraining(round: number): void {
    this.activeRound = round;
    const layout = this.deps.learning.layout;
    this.recorder.start();
    this.trained = undefined;
    this.roundStart = this.model!;
    // Start gathering this round's pieces now: fast neighbours' updates flow while we train.
    const expected = this.gone.size === 0 ? this.origins : this.origins.filter((o) => !this.gone.has(o));
    this.roundOrigins = new Set(expected);
    this.swarm.beginRound(round, expected, layout.chunks.length);
    this.coverage.begin(this.swarm.progress(round));
    const ticket = ++this.ticket;
    const rng = new SeededRng(hashSeed(this.deps.scenario.seed, "train", this.id, round));
    const startedAt = this.clock.now();
    const virtualMs = this.deps.learning.trainComputeMs(this.deps.shard.length) / this.deps.device.computeSpeed;
    this.clock
      .track(this.deps.learning.train(this.roundStart, this.deps.shard, rng, this.deps.device.acceleratorShare))
      .then(
        (res) => {
          if (ticket !== this.ticket) return;
          const deliver = () => {
            if (ticket !== this.ticket) return;
            this.trained = res;
            this.send({ type: "train.done", loss: res.loss, samples: res.samples });
          };
          if (this.clock.kind === "virtual") this.clock.setTimeout(deliver, Math.max(0, startedAt + virtualMs - this.clock.now()));
          else deliver();
        },
        (e: Error) => {
          if (ticket === this.ticket) this.send({ type: "train.failed", error: e.message });
        },
      );
  }

  private abandon(round: number, why: string): void {
    this.ticket++;
    this.log.info(`round ${round}: ${why}`);
  }

  private scoreAndPublish(round: number): void {
    const trained = this.trained;
    if (!trained) return this.sendSoon({ type: "score.failed", error: "no trained model" });
    try {
      const { layout } = this.deps.learning;
      const update = this.tamper ? this.tamper(this.roundStart!, trained.weights) : trained.weights;
      if (update.length !== layout.totalFloats) throw new Error(`update has ${update.length} floats, expected ${layout.totalFloats}`);
      // The probe answers at the trained model (an honest gradient, whatever a Byzantine peer publishes).
      const probe = this.deps.learning.probe(trained.weights, this.deps.shard, new SeededRng(hashSeed(this.deps.scenario.seed, "probe", this.id, round)));
      const importance = this.deps.importance.score({ round, layout, before: this.roundStart!, after: update, probe });
      const pieces = chunkPieces(update, layout);
      const manifest = buildManifest({ round, origin: this.id, layoutHash: layout.hash, sampleCount: trained.samples, pieces, importance });
      this.swarm.publish(manifest, pieces);
      this.coverage.recount(this.swarm.progress(round));
      this.recorder.stamp("publishedMs");
      this.sendSoon({ type: "score.done" });
    } catch (e) {
      this.sendSoon({ type: "score.failed", error: (e as Error).message });
    }
  }

  private beginSwarm(round: number): void {
    this.recorder.stamp("swarmStartMs");
    if (this.swarm.completedAt(round) !== undefined) return this.sendSoon({ type: "swarm.complete" });
    this.coverage.recount(this.swarm.progress(round));
    this.coverage.reportNow();
  }

  private onPiece(round: number, origin: string): void {
    if (round === this.activeRound && this.roundOrigins.has(origin)) this.coverage.piece();
  }

  private onRoundSeen(round: number): void {
    if (round > this.activeRound + 1) this.send({ type: "round.behind", round });
  }

  private aggregateModel(context: RoundContext): void {
    const round = context.round;
    this.recorder.stamp("aggregateStartMs");
    const coverage = this.swarm.coverage(round);
    try {
      const res = aggregateFromSwarm({
        round,
        swarm: this.swarm,
        store: this.deps.store,
        learning: this.deps.learning,
        plugin: this.deps.aggregation,
        own: this.trained?.weights ?? this.roundStart ?? this.model!,
      });
      for (const r of res.rejected) this.deps.telemetry.fault?.(this.id, `round ${round}: dropped ${r.origin} chunk ${r.chunk}: ${r.reason}`);
      this.model = res.weights;
      const evalResult = this.deps.learning.evaluate(res.weights, res.modelHash);
      const record = this.recorder.finish({
        peer: this.id,
        round,
        outcome: context.outcome ?? "degraded",
        degraded: context.degraded,
        coverage: coverage.pieces,
        weightedCoverage: coverage.weighted,
        origins: res.origins,
        accuracy: evalResult.accuracy,
        loss: evalResult.loss,
        trainLoss: this.trained?.loss,
        samples: this.trained?.samples ?? 0,
        modelHash: res.modelHash,
      });
      this.deps.telemetry.round?.(record);
      this.sendSoon({ type: "aggregate.done", accuracy: evalResult.accuracy });
    } catch (e) {
      this.sendSoon({ type: "aggregate.failed", error: (e as Error).message });
    }
  }
}
