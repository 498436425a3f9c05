/**
 * Live-peer fuzzer (DESIGN §5: bad input is a strike, three strikes a ban, never a crash, never aggregation).
 * A victim SwarmNode keeps a round going with an honest neighbour while raw attacker connections — not
 * SwarmNodes — say a valid hello and then send random, mutated and hostile frames (generators in
 * fuzz-frames.ts), back to back in memory (virtual clock) and over real loopback WebSockets. Each attacker is
 * banned after three strikes and comes back under a new id; some come back under the banned one.
 *
 * Checked: no exception escapes the victim's frame handler; every bounded structure stays under its limit while
 * the fuzz runs; each attacker's strikes lie between the frames that must strike and those that may, and three
 * strikes mean a ban and a closed session; banned ids are refused; only verified bytes reach the store and the
 * piece event; far-ahead rounds are reported, not punished; honest peers are never struck; afterwards the
 * victim completes an all-gather with its old and a new honest neighbour. Every run prints its frame counts,
 * frames/s and the victim's strike reasons; the end of the file holds minimal reproductions of what it found.
 *
 *   FUZZ_SEED=<n> node_modules/.bin/bun test test/e2e/fuzz-live-peer.test.ts     replays a run (in memory
 *                 exactly; over sockets the same frames, in an interleaving the kernel picks)
 *   FUZZ_SCALE=<x>                                                                 scales the frame counts
 */
import { describe, expect, test } from "bun:test";
import { MemoryNetwork } from "../../net/memory.ts";
import { Shaper } from "../../net/shaper.ts";
import type { Conn, ConnHandlers, LinkProfile, Transport } from "../../net/transport.ts";
import { createWebSocketTransport } from "../../net/websocket.ts";
import { type Clock, RealClock, VirtualClock } from "../../runtime/clock.ts";
import { type Rng, SeededRng } from "../../runtime/rng.ts";
import { ChunkStore } from "../../store/chunk-store.ts";
import { decode, encode } from "../../swarm/codec.ts";
import { bytesEqual, sha256, toHex } from "../../swarm/hash.ts";
import {
  manifestsPerRoundMax,
  requestsInFlightMax,
  roundsAheadMax,
  servedQueueMax,
  strikesBeforeBan,
} from "../../swarm/limits.ts";
import { buildManifest, splitPieces } from "../../swarm/manifest.ts";
import type { Message } from "../../swarm/messages.ts";
import { SwarmNode } from "../../swarm/node.ts";
import type { RoundBook } from "../../swarm/rounds.ts";
import type { Session } from "../../swarm/session.ts";
import { ForwardingStore, type PieceKey } from "../../swarm/store-port.ts";
import { FrameGen, type FrameKind, type FrameTarget, fakeUpdate, isFakeOrigin, oversizeFrame, randomBytes, type Update } from "./fuzz-frames.ts";

const seed = process.env.FUZZ_SEED === undefined ? 0x5eed5 : Number(process.env.FUZZ_SEED);
const scale = process.env.FUZZ_SCALE === undefined ? 1 : Number(process.env.FUZZ_SCALE);
const replay = `FUZZ_SEED=${seed}`;
/** Frames attackers send per transport (hellos, garbage, answers to the victim's requests: everything). */
const framesTarget = { memory: Math.round(100_000 * scale), websocket: Math.round(60_000 * scale) };
/** Attackers connected at once. */
const attackersAtOnce = 8;
/** Frames from the victim longer than this are not decoded by attackers: a request (ids ≤ 64 chars) is shorter. */
const victimFrameReadMax = 128;
/** Memory attackers dialled per batch (see memoryWorld.attack). */
const attackerPoolSize = 32;
/** The round the fuzz runs in: ≥ 2 so that released rounds (0 .. current-2) exist to aim at. */
const fuzzRound = 5;
/** Longest wait for anything over real sockets (a connect, the victim reading a batch): past it, a hang is a failure. */
const socketWaitMs = 15_000;
/**
 * Process RSS may grow this much over a run: generous (allocator slack, SQLite, sockets), it catches a leak per
 * frame or per attacker, not kilobytes. The JS heap after a full GC gets a tighter bound.
 */
const rssGrowthMaxBytes = 512 * 1024 * 1024;
const heapGrowthMaxBytes = 96 * 1024 * 1024;
const swarmId = "fuzz-swarm";
const auth = "fuzz-token";
const victimId = "victim-v";
const honestId = "honest-h";
const lateId = "honest-late";
const fast: LinkProfile = { uplinkBytesPerSec: 1e9, downlinkBytesPerSec: 1e9, latencyMs: 1 };
/** The honest neighbour serves slowly, so the victim is still gathering while it is fuzzed. */
const slowUplinkBytesPerSec = 64 * 1024;

// ---- peers ---------------------------------------------------------------------------------------------

/** A PieceStore that flags any put whose bytes do not hash to the digest, or whose digest is not the manifest's. */
class CheckedStore extends ForwardingStore {
  readonly bad: string[] = [];
  manifestDigest: (key: PieceKey) => Uint8Array | undefined = () => undefined;
  constructor(override readonly inner: ChunkStore) {
    super(inner);
  }
  override put(holder: string, key: PieceKey, digest: Uint8Array, data: Uint8Array): void {
    const want = this.manifestDigest(key);
    if (!bytesEqual(sha256(data), digest)) this.bad.push(`${holder} stored ${key.round}/${key.origin}#${key.index}: bytes do not hash to the digest`);
    else if (!want || !bytesEqual(want, digest)) this.bad.push(`${holder} stored ${key.round}/${key.origin}#${key.index} under a digest not in its manifest`);
    super.put(holder, key, digest, data);
  }
}

interface Peer {
  id: string;
  node: SwarmNode;
  store: CheckedStore;
  transport: Transport;
  /** Piece events whose bytes are not what the manifest (or, for honest origins, the origin) says. */
  badPieces: string[];
  pieces: number;
  strikes: Array<{ peer: string; why: string }>;
  bans: string[];
  roundAhead: number;
  /** Opens and bans in order: no id may open after its ban. */
  log: Array<{ ev: "open" | "ban"; peer: string }>;
}

/** The true updates of honest origins, to check piece events against the origin and not only the manifest. */
const truth = new Map<string, Update>();

function honestUpdate(origin: string, round: number, pieceCount: number, pieceBytes: number): Update {
  const rng = new SeededRng(`update:${origin}:${round}`);
  const pieces = splitPieces(randomBytes(rng, pieceCount * pieceBytes), pieceBytes);
  const u = { origin, pieces, manifest: buildManifest({ round, origin, layoutHash: sha256(new TextEncoder().encode("layout")), sampleCount: 10, pieces }) };
  truth.set(`${round}/${origin}`, u);
  return u;
}

async function makePeer(id: string, clock: Clock, transport: Transport, wake: () => void): Promise<Peer> {
  const store = new CheckedStore(await ChunkStore.open(":memory:"));
  const p = { id, store, transport, badPieces: [], pieces: 0, strikes: [], bans: [], roundAhead: 0, log: [] } as unknown as Peer;
  p.node = new SwarmNode(
    { peerId: id, swarmId, auth, clock, rng: new SeededRng(seed).split(`peer:${id}`), store },
    {
      piece: (round, origin, index, data) => {
        p.pieces++;
        const m = p.node.manifests(round).find((x) => x.origin === origin);
        const digest = m?.chunks[index]?.sha256;
        const real = truth.get(`${round}/${origin}`)?.manifest.chunks[index]?.sha256;
        if (!digest || !bytesEqual(sha256(data), digest)) p.badPieces.push(`${round}/${origin}#${index}: bytes do not match the manifest`);
        else if (real && !bytesEqual(real, digest)) p.badPieces.push(`${round}/${origin}#${index}: a forged manifest for an honest origin`);
        wake();
      },
      strike: (peer, err) => p.strikes.push({ peer, why: err.message }),
      ban: (peer) => {
        p.bans.push(peer);
        p.log.push({ ev: "ban", peer });
      },
      sessionOpened: (peer) => {
        p.log.push({ ev: "open", peer });
        wake();
      },
      roundAhead: () => p.roundAhead++,
      complete: () => wake(),
    },
  );
  store.manifestDigest = (k) => p.node.manifests(k.round).find((m) => m.origin === k.origin)?.chunks[k.index]?.sha256;
  return p;
}

// ---- the victim's side of a connection, watched -------------------------------------------------------

/** What the victim did with one connection: frames handed to its session, how and why it closed, what threw. */
class VictimSide {
  constructor(readonly remoteAddress: string) {}
  session!: Session;
  delivered = 0;
  closed = false;
  closeReason: string | undefined;
}

interface Crash {
  where: string;
  frame: string;
  error: string;
}

/** Wraps an accepted conn: counts frames the session gets, records the close, catches what the node throws. */
function watch(inner: Conn, side: VictimSide, crashes: Crash[], where: () => string, wake: () => void): Conn {
  const guard = (what: string, frame: Uint8Array | undefined, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      crashes.push({ where: `${where()} (${what})`, frame: frame ? toHex(frame.subarray(0, 128)) : "", error: (e as Error)?.stack ?? String(e) });
    }
  };
  return {
    get id() {
      return inner.id;
    },
    get remoteAddress() {
      return inner.remoteAddress;
    },
    get bufferedBytes() {
      return inner.bufferedBytes;
    },
    get closed() {
      return inner.closed;
    },
    send: (f) => inner.send(f),
    close(reason) {
      side.closeReason ??= reason;
      side.closed = true;
      inner.close(reason);
      wake();
    },
    attach(h: ConnHandlers) {
      inner.attach({
        frame: (f) => {
          side.delivered++;
          guard("frame", f, () => h.frame(f));
          wake();
        },
        close: (reason) => {
          side.closeReason ??= reason;
          side.closed = true;
          guard("close", undefined, () => h.close(reason));
          wake();
        },
        drain: () => guard("drain", undefined, () => h.drain?.()),
      });
    },
  };
}

// ---- worlds: the same victim, honest neighbour and attackers, in memory or over sockets ----------------

/** An attacker's raw connection: bytes out, frames in, nothing else. */
interface AttackerLink {
  send(frame: Uint8Array): void;
  /** A text message (WebSocket only: the protocol is binary). */
  sendText?(): void;
  close(): void;
  readonly closed: boolean;
  onFrame: (f: Uint8Array) => void;
}

interface World {
  name: "memory" | "websocket";
  victim: Peer;
  honest: Peer;
  crashes: Crash[];
  peer(id: string, slow: boolean): Promise<Peer>;
  /** `a` dials `b` and both sessions open. */
  connect(a: Peer, b: Peer): Promise<void>;
  /** A raw connection to the victim, and the victim's side of it. */
  attack(n: number): Promise<{ link: AttackerLink; side: VictimSide }>;
  /** Connections opened ahead for `attack`: sessions at the victim that no attacker uses yet. */
  readonly waiting: number;
  /** Lets the network run until `done` (never a fixed sleep); fails naming `what` if it never holds. */
  settle(done: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

/** Common parts: peers, the watched accept path, and closing. */
async function worldParts(clock: Clock, transportFor: (id: string, slow: boolean) => Promise<Transport>, wake: () => void) {
  const crashes: Crash[] = [];
  const accepted: VictimSide[] = [];
  let acceptedCount = 0;
  const peers: Peer[] = [];
  const peer = async (id: string, slow: boolean): Promise<Peer> => {
    const t = await transportFor(id, slow);
    const p = await makePeer(id, clock, t, wake);
    await t.listen((c) => {
      if (p.id !== victimId) return void p.node.addConn(c);
      const side = new VictimSide(c.remoteAddress);
      const n = ++acceptedCount;
      side.session = p.node.addConn(watch(c, side, crashes, () => `victim conn #${n} from ${c.remoteAddress}`, wake));
      accepted.push(side);
      wake();
    });
    peers.push(p);
    return p;
  };
  const close = async () => {
    for (const p of peers) p.node.close();
    for (const p of peers) await p.transport.close();
    for (const p of peers) await p.store.inner.close();
  };
  return { crashes, accepted, peer, close };
}

async function memoryWorld(): Promise<World> {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(seed).split("net") });
  const wake = () => {};
  const parts = await worldParts(
    clock,
    async (id, slow) => net.node(`mem://${id}`, slow ? { uplinkBytesPerSec: slowUplinkBytesPerSec, downlinkBytesPerSec: 1e6, latencyMs: 5 } : fast),
    wake,
  );
  const settle = async (done: () => boolean, what: string) => {
    const r = await clock.run({ stopWhen: done, untilMs: clock.now() + 120_000 });
    if (!done()) throw new Error(`memory world: ${what} did not happen (clock ${r.reason} at ${r.nowMs} ms; ${replay})`);
  };
  const victim = await parts.peer(victimId, false);
  const honest = await parts.peer(honestId, true);
  const pool: Array<{ link: AttackerLink; side: VictimSide }> = [];
  let dialled = 0;
  const w: World = {
    name: "memory",
    victim,
    honest,
    crashes: parts.crashes,
    peer: parts.peer,
    async connect(a, b) {
      const p = a.transport.dial(b.transport.address);
      let conn: Conn | undefined;
      p.then((c) => (conn = c), () => {});
      await settle(() => conn !== undefined, `${a.id} dialling ${b.id}`);
      a.node.addConn(conn!);
      await settle(() => a.node.neighbours.includes(b.id) && b.node.neighbours.includes(a.id), `${a.id} and ${b.id} opening sessions`);
      if (b === victim) parts.accepted.shift();
    },
    async attack() {
      if (pool.length === 0) {
        // Dial a batch at once: one run of the clock instead of one per attacker (each run with a dial in
        // flight waits a real macrotask). Equal dial times fire in dial order, so accepts come in that order.
        const conns: Array<Conn | undefined> = [];
        const addresses: string[] = [];
        for (let i = 0; i < attackerPoolSize; i++) {
          const t = net.node(`mem://atk-${++dialled}`, fast);
          addresses.push(t.address);
          t.dial(victim.transport.address).then((c) => (conns[i] = c), () => {});
        }
        await settle(() => conns.filter(Boolean).length === attackerPoolSize && parts.accepted.length >= attackerPoolSize, "attackers connecting");
        for (const [i, conn] of conns.entries()) {
          const side = parts.accepted.shift()!;
          if (side.remoteAddress !== addresses[i]) throw new Error(`memory world: accepted ${side.remoteAddress} for ${addresses[i]}`);
          const link: AttackerLink = {
            send: (f) => void conn!.send(f),
            close: () => conn!.close("attacker done"),
            get closed() {
              return conn!.closed;
            },
            onFrame: () => {},
          };
          conn!.attach({ frame: (f) => link.onFrame(f), close: () => {} });
          pool.push({ link, side });
        }
      }
      return pool.shift()!;
    },
    get waiting() {
      return pool.length;
    },
    settle,
    close: parts.close,
  };
  return w;
}

async function socketWorld(): Promise<World> {
  const clock = new RealClock();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const f of [...waiters]) f();
  };
  const parts = await worldParts(
    clock,
    (_id, slow) => createWebSocketTransport({ clock, ...(slow ? { shaper: new Shaper({ clock, uplinkBytesPerSec: slowUplinkBytesPerSec }) } : {}) }),
    wake,
  );
  const settle = (done: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`websocket world: ${what} did not happen within ${socketWaitMs} ms (${replay})`));
      }, socketWaitMs);
      waiters.add(check);
      check();
    });
  const victim = await parts.peer(victimId, false);
  const honest = await parts.peer(honestId, true);
  /** Attacker sockets not closed yet (closed ones are dropped: each holds its attacker's frames). */
  const sockets = new Set<WebSocket>();
  const w: World = {
    name: "websocket",
    victim,
    honest,
    crashes: parts.crashes,
    peer: parts.peer,
    async connect(a, b) {
      a.node.addConn(await a.transport.dial(b.transport.address));
      await settle(() => a.node.neighbours.includes(b.id) && b.node.neighbours.includes(a.id), `${a.id} and ${b.id} opening sessions`);
      if (b === victim) parts.accepted.shift();
    },
    waiting: 0,
    async attack(n) {
      // A bare client socket, not a transport conn: it can send what WsConn would refuse (oversize, text).
      const ws = new WebSocket(victim.transport.address);
      ws.binaryType = "arraybuffer";
      sockets.add(ws);
      let open = false;
      let closed = false;
      const link: AttackerLink = {
        send: (f) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(f as Uint8Array<ArrayBuffer>);
        },
        sendText: () => {
          if (ws.readyState === WebSocket.OPEN) ws.send("not a frame");
        },
        close: () => ws.close(1000, "attacker done"),
        get closed() {
          return closed;
        },
        onFrame: () => {},
      };
      ws.onopen = () => ((open = true), wake());
      ws.onmessage = (ev) => {
        link.onFrame(new Uint8Array(ev.data as ArrayBuffer));
        wake();
      };
      const gone = () => {
        closed = true;
        sockets.delete(ws);
        link.onFrame = () => {};
        wake();
      };
      ws.onclose = gone;
      ws.onerror = gone;
      await settle(() => (open || closed) && parts.accepted.length > 0, `attacker ${n} connecting`);
      return { link, side: parts.accepted.shift()! };
    },
    settle,
    async close() {
      for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.close();
      await parts.close();
    },
  };
  return w;
}

// ---- attackers ----------------------------------------------------------------------------------------

/** What the victim must do with a frame: strike for sure, maybe strike (depends on timing), never strike. */
type Expect = "strike" | "maybe" | "none";

type LifeKind = "fuzzer" | "before-hello" | "bad-hello" | "killer";

interface Sent {
  kind: FrameKind | "hello" | "answer" | "killer";
  frame: Uint8Array;
  expect: Expect;
  /** Decodes to a message for a round past the victim's window (reported through roundAhead). */
  ahead: boolean;
  /** The codec refuses it (a strike in any session state, the handshake included). */
  undecodable: boolean;
}

/** Origins the victim holds a manifest for, per round, with their piece counts: known stays known. */
type Known = Map<number, Map<string, number>>;

function knownOrigins(v: SwarmNode): Known {
  const out: Known = new Map();
  for (let r = fuzzRound - 1; r <= fuzzRound + roundsAheadMax; r++) out.set(r, new Map(v.manifests(r).map((m) => [m.origin, m.chunks.length])));
  return out;
}

/** One attacker connection from hello to ban (or to its frame budget). */
class Life {
  readonly sent: Sent[] = [];
  /** Pieces the victim asked of this attacker: an answer (right or wrong) may be solicited. */
  readonly asked = new Set<string>();
  private readonly answers: Array<{ round: number; origin: string; index: number }> = [];
  /** The attacker sent something that decodes as unchoke: from then on the victim may request from it. */
  unchoked = false;
  /** Distinct origins without a manifest this attacker named (the victim stashes them, up to a cap). */
  private readonly stashed = new Set<string>();
  readonly gen: FrameGen;
  readonly garbageRate: number;
  readonly budget: number;
  readonly answerStyle: "right" | "wrong" | "silent";
  expectedClose: RegExp | undefined;

  constructor(
    readonly n: number,
    readonly kind: LifeKind,
    readonly helloId: string,
    readonly link: AttackerLink,
    readonly side: VictimSide,
    readonly rng: Rng,
    target: FrameTarget,
    readonly transport: World["name"],
  ) {
    this.gen = new FrameGen(rng.split("gen"), target, transport === "memory");
    this.garbageRate = rng.pick([0.02, 0.05, 0.12, 0.3, 0.7]);
    this.budget = kind === "fuzzer" ? 10 + rng.int(rng.bool(0.8) ? 120 : 600) : 1 + rng.int(8);
    this.answerStyle = rng.pick(["right", "wrong", "wrong", "silent"] as const);
    link.onFrame = (f) => this.fromVictim(f);
  }

  get label(): string {
    return `${this.transport} life #${this.n} (${this.kind}, id ${this.helloId}, ${this.sent.length} frames sent, ${this.side.delivered} processed)`;
  }

  /** Frames from the victim: requests are remembered and, unless silent, answered in the next batch. */
  private fromVictim(f: Uint8Array): void {
    if (f.byteLength > victimFrameReadMax) return; // manifests, bitfields and pieces: never a request
    let m: Message;
    try {
      m = decode(f);
    } catch (e) {
      throw new Error(`victim sent an undecodable frame ${toHex(f.subarray(0, 64))}: ${(e as Error).message} (${replay})`);
    }
    if (m.t !== "request") return;
    this.asked.add(`${m.round}/${m.origin}#${m.index}`);
    if (this.answerStyle !== "silent") this.answers.push({ round: m.round, origin: m.origin, index: m.index });
  }

  get done(): boolean {
    return this.side.closed || this.link.closed || this.closing || this.sent.length >= this.budget;
  }

  /** The attacker hung up (or is about to): from now on only the victim's close is awaited. */
  closing = false;
  leave(): void {
    this.closing = true;
    this.link.close();
  }

  /** Whether the victim has read everything this attacker sent, or closed. */
  get settled(): boolean {
    if (this.side.closed) return true;
    if (this.closing) return false;
    const unread = this.sent.at(-1)?.kind === "killer" ? 1 : 0; // the transport refuses it unread
    return this.side.delivered >= this.sent.length - unread;
  }

  /** Sends up to `count` frames: answers first, then garbage or benign traffic by this life's rate. */
  step(count: number, known: Known): number {
    let n = 0;
    while (this.answers.length > 0 && n < count && !this.done) {
      const a = this.answers.shift()!;
      const u = truthOrFake(a.round, a.origin);
      const good = u?.pieces[a.index] ?? randomBytes(this.rng, 1 + this.rng.int(64));
      const data = this.answerStyle === "right" ? good : flipOne(this.rng, good);
      this.push("answer", encode({ t: "piece", round: a.round, origin: a.origin, index: a.index, data }), known);
      n++;
    }
    while (n < count && !this.done) {
      if (this.rng.bool(0.03)) {
        for (const m of this.gen.announceFake()) this.push("valid", encode(m), known);
        n += 2;
        continue;
      }
      const g = this.rng.bool(this.garbageRate) ? this.gen.garbage() : this.gen.benign();
      this.push(g.kind, g.frame, known);
      n++;
    }
    return n;
  }

  push(kind: Sent["kind"], frame: Uint8Array, known: Known): void {
    const s = this.classify(kind, frame, known);
    this.sent.push(s);
    if (kind === "killer" && frame.byteLength < 64) this.link.sendText?.();
    else this.link.send(frame);
  }

  /** The victim's duty for this frame, from the codec and what it holds now (DESIGN §5 and node.ts). */
  private classify(kind: Sent["kind"], frame: Uint8Array, known: Known): Sent {
    if (kind === "killer") return { kind, frame, expect: "none", ahead: false, undecodable: false };
    let m: Message;
    try {
      m = decode(frame);
    } catch {
      return { kind, frame, expect: "strike", ahead: false, undecodable: true };
    }
    const c = fuzzRound;
    if (m.t === "unchoke") this.unchoked = true;
    if (m.round > c + roundsAheadMax) return { kind, frame, expect: "none", ahead: true, undecodable: false };
    const inWindow = m.round >= c - 1;
    const count = (origin: string) => known.get(m.round)?.get(origin);
    const stash = (origin: string): Expect => {
      this.stashed.add(`${m.round}/${origin}`);
      // Close to the stash cap the victim strikes; this fuzzer never gets there, but say so rather than guess.
      return this.stashed.size > manifestsPerRoundMax - 300 ? "maybe" : "none";
    };
    let expect: Expect = "none";
    switch (m.t) {
      case "hello":
        expect = "strike";
        break;
      case "have": {
        if (!inWindow) break;
        const k = count(m.origin);
        if (k !== undefined) expect = m.index < k ? "none" : "strike";
        else if (isFakeOrigin(m.origin)) expect = m.index < fakeUpdate(m.origin, 0).pieces.length ? stash(m.origin) : "maybe";
        else expect = stash(m.origin);
        break;
      }
      case "bitfield": {
        if (!inWindow) break;
        for (const [origin, bits] of Object.entries(m.have)) {
          const k = count(origin);
          if (k !== undefined) {
            if (!fits(bits, k)) {
              expect = "strike";
              break;
            }
          } else if (isFakeOrigin(origin)) {
            stash(origin);
            expect = "maybe"; // its manifest may arrive and find these bits the wrong size: a strike then
          } else if (stash(origin) === "maybe") expect = "maybe";
        }
        break;
      }
      case "request":
        if (inWindow) expect = "maybe"; // a strike only while we unchoke it, and only for pieces we lack
        break;
      case "piece": {
        if (!inWindow) break;
        // Not in any manifest: always a strike. Otherwise unsolicited (a strike) unless the victim may have asked:
        // it asks only an attacker that unchoked it. A fake origin's manifest may still arrive (maybe another count).
        const k = count(m.origin) ?? (isFakeOrigin(m.origin) ? Infinity : 0);
        expect = m.index >= k ? "strike" : this.unchoked || this.asked.has(`${m.round}/${m.origin}#${m.index}`) ? "maybe" : "strike";
        break;
      }
      default:
        break;
    }
    return { kind, frame, expect, ahead: false, undecodable: false };
  }
}

function fits(bits: Uint8Array, count: number): boolean {
  if (bits.byteLength !== Math.ceil(count / 8)) return false;
  const spare = bits.byteLength * 8 - count;
  return spare === 0 || ((bits[bits.byteLength - 1] ?? 0) & ((1 << spare) - 1)) === 0;
}

function truthOrFake(round: number, origin: string): Update | undefined {
  return truth.get(`${round}/${origin}`) ?? (isFakeOrigin(origin) ? fakeUpdate(origin, round) : undefined);
}

function flipOne(rng: Rng, good: Uint8Array): Uint8Array {
  const bad = new Uint8Array(good);
  bad[rng.int(bad.length)]! ^= 1 << rng.int(8);
  return bad;
}

// ---- checks -------------------------------------------------------------------------------------------

interface NodeInside {
  book: RoundBook;
  sessions: Map<number, Session>;
  banned: Set<string>;
}
const inside = (n: SwarmNode) => n as unknown as NodeInside;

/** Observations of bugs already reported (see the `test.failing` cases below): measured, not asserted here. */
interface KnownBugs {
  /** Largest manifestsKnown (Σ over rounds) of any victim session. */
  manifestsKnownMax: number;
  /** Pieces whose availability counted more holders than the live views hold. */
  availabilityOvercounts: number;
}

/**
 * Every bounded structure of the victim against its limit. `deep` adds the O(pieces × views) consistency checks
 * and the store bound. Returns the violations.
 */
function checkBounds(v: Peer, sessionsMax: number, deep: boolean, bugs: KnownBugs): string[] {
  const out: string[] = [];
  const q = v.node.queueSizes();
  if (q.served > servedQueueMax) out.push(`served queue ${q.served} > ${servedQueueMax}`);
  if (q.inflight > requestsInFlightMax) out.push(`requests in flight ${q.inflight} > ${requestsInFlightMax}`);
  if (q.sessions > sessionsMax) out.push(`${q.sessions} sessions, expected ≤ ${sessionsMax} (closed sessions leak)`);
  const { book, sessions } = inside(v.node);
  const rounds = [...book.all()];
  if (rounds.length > roundsAheadMax + 2) out.push(`${rounds.length} rounds kept, window is ${roundsAheadMax + 2}`);
  let storeBound = 0;
  for (const rs of rounds) {
    if (rs.round < book.current - 1 || rs.round > book.current + roundsAheadMax) out.push(`round ${rs.round} kept outside the window around ${book.current}`);
    if (rs.origins.size > manifestsPerRoundMax) out.push(`round ${rs.round}: ${rs.origins.size} origins > ${manifestsPerRoundMax}`);
    for (const sid of rs.views.keys()) if (!sessions.has(sid)) out.push(`round ${rs.round}: a view of closed session ${sid}`);
    for (const [sid, view] of rs.views) {
      if (view.pending.size > manifestsPerRoundMax) out.push(`round ${rs.round} session ${sid}: ${view.pending.size} stashed origins`);
      for (const [o, p] of view.pending) if (p.indices.length > 4096) out.push(`round ${rs.round} session ${sid}: ${p.indices.length} stashed haves for ${o}`);
      if (view.inflight.size > requestsInFlightMax) out.push(`round ${rs.round} session ${sid}: ${view.inflight.size} in flight`);
      if (view.has.length !== rs.pieceCount) out.push(`round ${rs.round} session ${sid}: view of ${view.has.length} pieces, round has ${rs.pieceCount}`);
    }
    if (!deep) continue;
    for (const info of rs.originList) for (const c of info.manifest.chunks) storeBound += c.bytes;
    // What aggregation reads (aggregateFromSwarm: holds(), then store.get(manifest digest)) is verified bytes.
    for (let p = 0; p < rs.pieceCount; p++) {
      if (!rs.have[p]) continue;
      const meta = rs.pieceOrigin[p]!.manifest.chunks[rs.pieceIndex[p]!]!;
      const bytes = v.store.get(meta.sha256);
      if (!bytes || !bytesEqual(sha256(bytes), meta.sha256)) out.push(`round ${rs.round}: held piece ${rs.pieceOrigin[p]!.origin}#${rs.pieceIndex[p]} has no verified bytes in the store`);
    }
    for (let p = 0; p < rs.pieceCount; p++) {
      let holders = 0;
      let asked = 0;
      for (const view of rs.views.values()) {
        holders += view.has[p] ?? 0;
        if (view.inflight.has(p)) asked++;
      }
      const avail = rs.availability[p]!;
      if (avail < holders) out.push(`round ${rs.round} piece ${p}: availability ${avail} < ${holders} holders`);
      else if (avail > holders) bugs.availabilityOvercounts++;
      if (rs.requested[p] !== asked) out.push(`round ${rs.round} piece ${p}: requested ${rs.requested[p]} but in flight at ${asked} sessions`);
    }
  }
  for (const s of sessions.values()) {
    let n = 0;
    for (const set of s.manifestsKnown.values()) n += set.size;
    bugs.manifestsKnownMax = Math.max(bugs.manifestsKnownMax, n);
  }
  if (deep && v.store.inner.memoryBytes > storeBound) out.push(`store holds ${v.store.inner.memoryBytes} bytes, manifests in the window name ${storeBound}`);
  if (inside(v.node).banned.size !== v.bans.length) out.push(`banned set of ${inside(v.node).banned.size}, ${v.bans.length} ban events`);
  return out;
}

/** The victim's treatment of one finished attacker, against what its frames demanded. */
function judge(l: Life, v: Peer): string[] {
  const out: string[] = [];
  const fail = (what: string) => out.push(`${l.label}: ${what} (${replay})`);
  const s = l.side.session;
  const processed = l.sent.slice(0, l.side.delivered);
  if (l.side.delivered > l.sent.length) fail(`the victim processed ${l.side.delivered} frames of ${l.sent.length} sent`);
  if (!l.side.closed) fail("its session never closed");
  if (s.strikes > strikesBeforeBan) fail(`${s.strikes} strikes: a banned session kept being read`);
  if (l.kind === "bad-hello") {
    if (s.remoteId !== undefined) fail(`a refused hello opened a session as ${s.remoteId}`);
    if (l.side.delivered !== 1) fail(`${l.side.delivered} frames processed after a refused hello (expected only the hello)`);
    if (!l.expectedClose!.test(l.side.closeReason ?? "")) fail(`closed with "${l.side.closeReason}", expected ${l.expectedClose}`);
    if (s.strikes !== 0) fail(`${s.strikes} strikes for a refused hello`);
    return out;
  }
  if (l.kind === "before-hello") {
    // Undecodable frames strike (against the address); the first message that decodes ends the handshake.
    const first = processed.findIndex((x) => !x.undecodable);
    const strikes = Math.min(strikesBeforeBan, first < 0 ? processed.length : first);
    const opened = s.remoteId !== undefined;
    if (!opened && s.strikes !== strikes) fail(`${s.strikes} strikes before hello, expected ${strikes}`);
    if (!opened && first >= 0 && s.strikes < strikesBeforeBan && !/message before hello|wrong swarm|bad auth|banned|duplicate|self/.test(l.side.closeReason ?? "")) {
      fail(`closed with "${l.side.closeReason}" after a message before hello`);
    }
    return out;
  }
  // fuzzer and killer lives: a valid hello first
  if (s.remoteId !== l.helloId) fail(`hello as ${l.helloId} did not open a session (closed: ${l.side.closeReason})`);
  const rest = processed.slice(1);
  const must = rest.filter((x) => x.expect === "strike").length;
  const may = rest.filter((x) => x.expect === "maybe").length;
  const lo = Math.min(strikesBeforeBan, must);
  const hi = Math.min(strikesBeforeBan, must + may);
  if (s.strikes < lo || s.strikes > hi) {
    const sample = rest
      .filter((x) => x.expect !== "none")
      .slice(0, 6)
      .map((x) => `${x.kind}/${x.expect}:${toHex(x.frame.subarray(0, 40))}`);
    fail(`${s.strikes} strikes, expected ${lo}..${hi} (${must} must strike, ${may} may; e.g. ${sample.join(" ")}; victim says: ${v.strikes.filter((x) => x.peer === l.helloId).map((x) => x.why).join(" | ")})`);
  }
  const banned = v.node.isBanned(l.helloId);
  if (banned !== s.strikes >= strikesBeforeBan) fail(`${s.strikes} strikes but banned=${banned}`);
  if (banned && !/^banned/.test(l.side.closeReason ?? "")) fail(`banned, but its session closed with "${l.side.closeReason}"`);
  // A frame over the size limit or a text frame: the socket closes it unread, and only the transport's close says so.
  const killed = l.kind === "killer" && l.sent.at(-1)?.kind === "killer" && !banned;
  if (killed && !/too (large|big)|1009|binary|1003/.test(l.side.closeReason ?? "")) fail(`closed with "${l.side.closeReason}" after an oversize or text frame`);
  return out;
}

// ---- the fuzz loop ------------------------------------------------------------------------------------

interface Report {
  transport: World["name"];
  frames: number;
  /** Frames the codec refuses. */
  undecodable: number;
  kinds: Record<string, number>;
  lives: number;
  lifeKinds: Record<string, number>;
  bans: number;
  strikes: number;
  wallMs: number;
  rssGrowth: number;
  /** JS heap after a full GC, against before the run. */
  heapGrowth: number;
  failures: string[];
  violations: string[];
  crashes: Crash[];
  bugs: KnownBugs;
  roundAhead: { expected: number; got: number };
  badPuts: string[];
  badPieces: string[];
  honestStrikes: string[];
  leftoverSessions: number;
  /** Pieces the victim verified and stored during the fuzz (from its honest neighbour and from attackers' right answers). */
  verified: number;
  /** The honest neighbour's update, as the victim held it when the fuzz ended. */
  honestCoverage: number;
  /** The victim's strike reasons, ids and numbers blanked, with counts: which rejection paths the fuzz reached. */
  strikeReasons: Record<string, number>;
  allGather: string[];
}

async function fuzz(make: () => Promise<World>, target: number): Promise<Report> {
  Bun.gc(true);
  const { rss: rss0, heapUsed: heap0 } = process.memoryUsage();
  const w = await make();
  const rng = new SeededRng(seed).split(w.name);
  const { victim, honest } = w;
  const report: Report = {
    transport: w.name, frames: 0, undecodable: 0, kinds: {}, lives: 0, lifeKinds: {}, bans: 0, strikes: 0, wallMs: 0, rssGrowth: 0, heapGrowth: 0, failures: [], violations: [],
    crashes: w.crashes, bugs: { manifestsKnownMax: 0, availabilityOvercounts: 0 }, roundAhead: { expected: 0, got: 0 }, badPuts: [], badPieces: [],
    honestStrikes: [], leftoverSessions: 0, verified: 0, honestCoverage: 0, strikeReasons: {}, allGather: [],
  };
  try {
    // The victim gathers a round from a slow honest neighbour and has its own update to serve.
    const own = honestUpdate(victimId, fuzzRound, 16, 2048);
    const theirs = honestUpdate(honestId, fuzzRound, 96, 2048);
    for (const p of [victim, honest]) p.node.beginRound(fuzzRound, [victimId, honestId], 16);
    victim.node.publish(own.manifest, own.pieces);
    honest.node.publish(theirs.manifest, theirs.pieces);
    await w.connect(honest, victim);
    // Both manifests known before the first attacker: the oracle treats them as known from the start.
    const holdsManifest = (p: Peer, origin: string) => p.node.manifests(fuzzRound).some((m) => m.origin === origin);
    await w.settle(() => holdsManifest(victim, honestId) && holdsManifest(honest, victimId), "the honest manifests crossing");
    const targetOf = (self: string): FrameTarget => ({ swarmId, auth, victimId, current: fuzzRound, known: [own, theirs], self });

    // Give every round of the window a state, so a piece for any round in it meets the same rules.
    const primer = await w.attack(0);
    primer.link.send(encode({ t: "hello", round: fuzzRound, swarmId, peerId: "primer", auth }));
    for (let r = fuzzRound - 1; r <= fuzzRound + roundsAheadMax; r++) primer.link.send(encode({ t: "have", round: r, origin: "ghost-0", index: 0 }));
    await w.settle(() => primer.side.delivered === 1 + roundsAheadMax + 2, "the primer's frames");
    primer.link.close();
    await w.settle(() => primer.side.closed, "the primer leaving");

    const t0 = performance.now();
    const live: Life[] = [];
    const bannedIds: string[] = [];
    let n = 0;
    let settles = 0;
    const start = async (): Promise<Life> => {
      n++;
      const lr = rng.split(`life:${n}`);
      const roll = lr.next();
      // Sessions sure to stay open (or be banned) while this hello is read: not closing, far from their budget.
      const liveIds = live.filter((l) => l.kind === "fuzzer" && !l.done && l.sent.length + 16 < l.budget).map((l) => l.helloId);
      let kind: LifeKind = "fuzzer";
      let helloId = `atk-${n}`;
      let expectedClose: RegExp | undefined;
      let badHello: Uint8Array | undefined;
      if (roll < 0.06) kind = "before-hello";
      else if (roll < 0.14) {
        kind = "bad-hello";
        const why = lr.int(5);
        if (why === 0 && bannedIds.length > 0) [helloId, expectedClose] = [lr.pick(bannedIds), /^banned$/];
        else if (why === 1 && liveIds.length > 0) [helloId, expectedClose] = [lr.pick(liveIds), /^(duplicate session|banned)$/];
        else if (why === 2) [helloId, expectedClose] = [victimId, /connected to self/];
        else if (why === 3) {
          expectedClose = /wrong swarm/;
          badHello = encode({ t: "hello", round: fuzzRound, swarmId: "other-swarm", peerId: helloId, auth });
        } else {
          expectedClose = /bad auth/;
          badHello = encode({ t: "hello", round: fuzzRound, swarmId, peerId: helloId, auth: "guess" });
        }
      } else if (roll < 0.17 && w.name === "websocket") kind = "killer";
      const { link, side } = await w.attack(n);
      const life = new Life(n, kind, helloId, link, side, lr, targetOf(helloId), w.name);
      life.expectedClose = expectedClose;
      const known = knownOrigins(victim.node);
      if (kind === "before-hello") {
        for (let i = 0; i < 1 + lr.int(5); i++) life.push("random", lr.bool(0.7) ? life.gen.garbage().frame : life.gen.benign().frame, known);
      } else if (kind === "bad-hello") {
        life.push("hello", badHello ?? life.gen.hello(helloId), known);
        life.push("random", life.gen.garbage().frame, known); // must never be read: the victim closed on the hello
      } else life.push("hello", life.gen.hello(), known);
      report.lifeKinds[kind] = (report.lifeKinds[kind] ?? 0) + 1;
      return life;
    };
    const finish = (l: Life) => {
      report.failures.push(...judge(l, victim));
      if (l.kind !== "bad-hello" && l.kind !== "before-hello" && victim.node.isBanned(l.helloId)) bannedIds.push(l.helloId);
      // Far-ahead messages read in an open session: after the hello (a garbage hello may open a before-hello life).
      const opened = l.kind === "fuzzer" || l.kind === "killer" ? 0 : l.side.session.remoteId !== undefined ? l.sent.findIndex((x) => !x.undecodable) : -1;
      if (opened >= 0) report.roundAhead.expected += l.sent.slice(opened + 1, l.side.delivered).filter((x) => x.ahead).length;
      for (const s of l.sent) {
        report.kinds[s.kind] = (report.kinds[s.kind] ?? 0) + 1;
        if (s.undecodable) report.undecodable++;
      }
      report.frames += l.sent.length;
      report.lives++;
    };
    let sent = 0;
    while (sent < target || live.length > 0) {
      if (sent < target) while (live.length < attackersAtOnce) live.push(await start());
      const known = knownOrigins(victim.node);
      for (const l of live) {
        const before = l.sent.length;
        if (sent < target) l.step(1 + l.rng.int(12), known);
        if (l.kind === "killer" && l.done && !l.closing && !l.side.closed && !l.link.closed && l.sent.at(-1)?.kind !== "killer") {
          // The last frame of a killer: over the size limit, or text. The transport closes; no strike, no read.
          l.push("killer", l.rng.bool() ? oversizeFrame() : new Uint8Array(1), known);
        } else if ((l.done || sent >= target) && !l.closing && !l.side.closed) l.leave();
        sent += l.sent.length - before;
      }
      await w.settle(() => live.every((l) => l.settled), `${w.name}: the victim reading every attacker's frames`);
      settles++;
      report.violations.push(...checkBounds(victim, live.length + w.waiting + 1, settles % 40 === 0, report.bugs).map((x) => `after ${sent} frames: ${x} (${replay})`));
      for (let i = live.length - 1; i >= 0; i--) {
        const l = live[i]!;
        if (!l.side.closed) continue;
        finish(l);
        live.splice(i, 1);
      }
    }
    report.wallMs = performance.now() - t0;
    report.violations.push(...checkBounds(victim, 1 + w.waiting, true, report.bugs).map((x) => `after the fuzz: ${x} (${replay})`));
    report.leftoverSessions = victim.node.queueSizes().sessions - w.waiting;
    report.bans = victim.bans.length;
    report.verified = victim.pieces;
    for (const x of victim.strikes) {
      const why = x.why.replace(/\S*#\S*/g, "P").replace(/"[^"]*"/g, "S").replace(/-?\d+(\.\d+)?/g, "N").replace(/have\.\S*/g, "have.O").slice(0, 72);
      report.strikeReasons[why] = (report.strikeReasons[why] ?? 0) + 1;
    }
    const progress = victim.node.progress(fuzzRound).find((x) => x.origin === honestId)!;
    report.honestCoverage = progress.held / progress.count;
    report.strikes = victim.node.counters.strikes;
    report.roundAhead.got = victim.roundAhead;
    const bannedSoFar = new Set<string>();
    for (const e of victim.log) {
      if (e.ev === "ban") bannedSoFar.add(e.peer);
      else if (bannedSoFar.has(e.peer)) report.violations.push(`${e.peer} opened a session after its ban (${replay})`);
    }
    for (const p of [victim, honest]) {
      report.badPuts.push(...p.store.bad);
      report.badPieces.push(...p.badPieces.map((x) => `${p.id}: ${x}`));
    }
    report.honestStrikes.push(...victim.strikes.filter((x) => x.peer === honestId).map((x) => `victim struck ${honestId}: ${x.why}`));
    report.honestStrikes.push(...honest.strikes.map((x) => `${honestId} struck ${x.peer}: ${x.why}`));

    try {
      report.allGather = await allGather(w);
    } catch (e) {
      report.allGather = [(e as Error).message];
    }
    Bun.gc(true);
    const mem = process.memoryUsage();
    report.rssGrowth = mem.rss - rss0;
    report.heapGrowth = mem.heapUsed - heap0;
    return report;
  } finally {
    await w.close();
  }
}

/** After the fuzz: the victim, its old honest neighbour and a new one gather each other's updates. */
async function allGather(w: World): Promise<string[]> {
  const out: string[] = [];
  const late = await w.peer(lateId, false);
  await w.connect(late, w.victim);
  const round = fuzzRound + roundsAheadMax + 1; // past every round the attackers could have touched
  const peers = [w.victim, w.honest, late];
  const ids = peers.map((p) => p.id);
  const ups = peers.map((p) => honestUpdate(p.id, round, 8, 1024));
  for (const p of peers) p.node.beginRound(round, ids, 8);
  peers.forEach((p, i) => p.node.publish(ups[i]!.manifest, ups[i]!.pieces));
  await w.settle(() => peers.every((p) => p.node.completedAt(round) !== undefined), `${w.name}: the all-gather after the fuzz`);
  for (const p of peers) {
    for (const u of ups) {
      for (const [i, c] of u.manifest.chunks.entries()) {
        const held = p.store.get(c.sha256);
        if (!held || !bytesEqual(held, u.pieces[i]!)) out.push(`${p.id} lacks ${u.origin}#${i} after the all-gather`);
      }
    }
    out.push(...p.store.bad, ...p.badPieces);
  }
  return out;
}

function summary(r: Report): string {
  const fps = Math.round(r.frames / (r.wallMs / 1000));
  const kinds = Object.entries(r.kinds).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  const reasons = Object.entries(r.strikeReasons).sort((a, b) => b[1] - a[1]).slice(0, 24).map(([k, v]) => `${v}× ${k}`).join("; ");
  const valid = (r.kinds["valid"] ?? 0) + (r.kinds["hello"] ?? 0) + (r.kinds["answer"] ?? 0);
  return (
    `[fuzz-live-peer ${replay}] ${r.transport}: ${r.frames} frames to a live peer in ${(r.wallMs / 1000).toFixed(1)} s (${fps} frames/s): ` +
    `${r.undecodable} refused by the codec, ${r.frames - r.undecodable - valid} well-formed but hostile or unsolicited, ${valid} valid (hellos, answers included); ` +
    `${r.lives} attackers (${JSON.stringify(r.lifeKinds)}), ${r.strikes} strikes, ${r.bans} bans; RSS +${(r.rssGrowth / 2 ** 20).toFixed(0)} MiB, heap +${(r.heapGrowth / 2 ** 20).toFixed(1)} MiB; ` +
    `roundAhead ${r.roundAhead.got}; ${r.verified} pieces verified meanwhile (honest update ${(100 * r.honestCoverage).toFixed(0)}% held); known bugs seen: manifestsKnown up to ${r.bugs.manifestsKnownMax}, availability over-counted ${r.bugs.availabilityOvercounts}×\n  kinds: ${kinds}\n  strikes: ${reasons}`
  );
}

/** Rejection paths every run must reach (by the victim's strike messages): the fuzz is not allowed to go stale. */
const pathsReached: Array<[string, RegExp, Array<World["name"]>]> = [
  ["malformed msgpack (truncated, huge lengths, random)", /malformed msgpack/, ["memory", "websocket"]],
  ["wrong field types", /expected (an integer|a string|bytes|a map|an array)/, ["memory", "websocket"]],
  ["wrong field counts", /fields, expected/, ["memory", "websocket"]],
  ["numbers out of range (indices, rounds)", /outside \[/, ["memory", "websocket"]],
  ["bitfields of the wrong size", /does not fit/, ["memory", "websocket"]],
  ["pieces failing their hash", /failed its hash check/, ["memory", "websocket"]],
  ["unsolicited pieces", /unsolicited piece/, ["memory", "websocket"]],
  ["pieces of unknown origins or indices", /not in any manifest/, ["memory", "websocket"]],
  ["second hellos", /second hello/, ["memory", "websocket"]],
  ["requests for pieces never announced", /never announced/, ["memory", "websocket"]],
  ["oversize frames (over WebSocket the socket refuses them unread)", /exceeds/, ["memory"]],
];

function expectClean(r: Report, target: number): void {
  console.log(summary(r));
  const reasons = Object.keys(r.strikeReasons);
  expect(pathsReached.filter(([, re, on]) => on.includes(r.transport) && !reasons.some((x) => re.test(x))).map(([what]) => what)).toEqual([]);
  const first = (xs: readonly unknown[]) => xs.slice(0, 8);
  expect(first(r.crashes)).toEqual([]);
  expect(first(r.violations)).toEqual([]);
  expect(first(r.failures)).toEqual([]);
  expect(first(r.badPuts)).toEqual([]);
  expect(first(r.badPieces)).toEqual([]);
  expect(first(r.honestStrikes)).toEqual([]);
  expect(first(r.allGather)).toEqual([]);
  expect(r.frames).toBeGreaterThanOrEqual(target);
  expect(r.roundAhead.got).toBe(r.roundAhead.expected);
  expect(r.roundAhead.got).toBeGreaterThan(0);
  expect(r.bans).toBeGreaterThan(r.lives / 10);
  expect(r.leftoverSessions).toBe(1); // the honest neighbour's
  expect(r.verified).toBeGreaterThan(0);
  expect(r.rssGrowth).toBeLessThan(rssGrowthMaxBytes);
  expect(r.heapGrowth).toBeLessThan(heapGrowthMaxBytes);
}

describe(`live-peer fuzz (${replay})`, () => {
  test(`memory transport, virtual clock: ${framesTarget.memory} frames`, async () => {
    expectClean(await fuzz(memoryWorld, framesTarget.memory), framesTarget.memory);
  }, 120_000);

  test(`real loopback WebSockets: ${framesTarget.websocket} frames`, async () => {
    expectClean(await fuzz(socketWorld, framesTarget.websocket), framesTarget.websocket);
  }, 120_000);
});

// ---- findings: minimal reproductions of what the fuzz (or reading node.ts for it) turned up -------------

/** A victim in round `fuzzRound` on the memory network, and raw attackers that say hello as `id`. */
async function bareVictim() {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
  const store = await ChunkStore.open(":memory:");
  const bans: string[] = [];
  let strikes = 0;
  const node = new SwarmNode(
    { peerId: victimId, swarmId, auth, clock, rng: new SeededRng(2), store },
    { ban: (p) => bans.push(p), strike: () => strikes++ },
  );
  node.beginRound(fuzzRound, [victimId], 1);
  const t = net.node(`mem://${victimId}`, fast);
  const sessions: Session[] = [];
  await t.listen((c) => void sessions.push(node.addConn(c)));
  const run = (ms = 100) => clock.run({ untilMs: clock.now() + ms });
  let n = 0;
  const attacker = async (id: string): Promise<Conn> => {
    const p = net.node(`mem://raw-${++n}`, fast).dial(t.address);
    await run(10);
    const c = await p;
    c.attach({ frame() {}, close() {} });
    c.send(encode({ t: "hello", round: fuzzRound, swarmId, peerId: id, auth }));
    return c;
  };
  const close = async () => {
    node.close();
    await store.close();
  };
  return { node, sessions, attacker, run, bans, strikes: () => strikes, close };
}

const digest0 = new Uint8Array(32);
const oneChunkManifest = (round: number, origin: string, chunks = 1): Message => ({
  t: "manifest",
  round,
  origin,
  layoutHash: digest0,
  sampleCount: 1,
  sig: new Uint8Array(0),
  chunks: Array.from({ length: chunks }, (_, index) => ({ index, bytes: 1, sha256: digest0, importance: 1 })),
});

describe("live-peer fuzz: findings", () => {
  // Regression (was: unbounded memory, no strike): Announcer.manifest called s.noteManifest(m.round, m.origin)
  // before it checked that the round is in the window (and before acceptOrigin), and Session.forgetRoundsBefore only
  // runs on beginRound. A peer that sends manifests for a released round (0 .. current-2) with fresh origin ids grows its
  // session's manifestsKnown by one entry per ~60-byte frame, forever, and is never struck.
  test("manifests for released rounds leave no per-session record (regression: grew without bound, no strike)", async () => {
    const v = await bareVictim();
    try {
      const a = await v.attacker("atk-a");
      const sent = 20_000;
      for (let i = 0; i < sent; i++) a.send(encode(oneChunkManifest(1, `o${i}`)));
      await v.run(1_000);
      const s = v.sessions[0]!;
      expect(s.state).toBe("open");
      expect(v.strikes()).toBe(0);
      // What the session may remember: manifests of rounds in the window, at most manifestsPerRoundMax each.
      const rounds = [...s.manifestsKnown.keys()];
      let entries = 0;
      for (const set of s.manifestsKnown.values()) entries += set.size;
      expect(rounds.filter((r) => r < fuzzRound - 1)).toEqual([]); // fails: [1]
      expect(entries).toBeLessThanOrEqual((roundsAheadMax + 2) * manifestsPerRoundMax); // fails: 20000
    } finally {
      await v.close();
    }
  });

  // BUG (round-state corruption): when a manifest arrives, Announcer.manifest applies each view's stashed bitfield
  // and then its stashed haves. If the stashed bitfield does not fit, the holder is struck; a third strike bans it,
  // closing the session and dropping its view (dropView undoes its availability) — and then the loop still runs
  // markRemoteHas on the dropped view for the stashed haves. availability[p] stays counted for a holder that is
  // gone, so rarest-first ranks that piece as more available than it is, for the rest of the round.
  test("regression: a holder banned while its stash is applied leaves a phantom in availability", async () => {
    const v = await bareVictim();
    try {
      const a = await v.attacker("atk-a");
      a.send(Uint8Array.of(0xc1)); // strike 1
      a.send(Uint8Array.of(0xc1)); // strike 2
      a.send(encode({ t: "bitfield", round: fuzzRound, have: { X: Uint8Array.of(0xff) } })); // X unknown: stashed
      a.send(encode({ t: "have", round: fuzzRound, origin: "X", index: 0 })); // stashed
      const b = await v.attacker("atk-b");
      b.send(encode(oneChunkManifest(fuzzRound, "X", 16))); // 16 pieces: a's 1-byte bitfield does not fit → strike 3
      await v.run();
      expect(v.bans).toEqual(["atk-a"]);
      const rs = inside(v.node).book.get(fuzzRound)!;
      const p = rs.pieceId("X", 0);
      let holders = 0;
      for (const view of rs.views.values()) holders += view.has[p] ?? 0;
      expect(holders).toBe(0);
      expect(rs.availability[p]).toBe(holders); // fails: 1
    } finally {
      await v.close();
    }
  });

  // FINDING (memory and CPU amplification within the limits): the caps multiply. Every manifest for a new origin
  // in the window is accepted without a strike (manifestsPerRoundMax = 4096 per round, 4 rounds kept), each with up
  // to chunksPerManifestMax = 16384 chunks, and every chunk costs the victim about 250 bytes of heap (eight
  // per-piece arrays, a chunk object, the frame its digest points into) plus one slot in every session's view; it
  // is also relayed to every other neighbour and resent to every new session on hello. Measured: 100 such
  // manifests (67 MB on the wire) retain ~400 MB of heap; the limits allow ~16k of them (~64 GB), and the picker
  // scans every needed piece on each have. A per-peer or per-round budget of pieces (or signed manifests, or
  // accepting only expected origins by default) would bound it.
  test.todo("one peer's manifests cannot make the victim retain hundreds of MB (64 max-size manifests: heap growth < 64 MiB)", async () => {
    const v = await bareVictim();
    try {
      const a = await v.attacker("atk-a");
      Bun.gc(true);
      const heap0 = process.memoryUsage().heapUsed;
      for (let i = 0; i < 64; i++) {
        a.send(encode(oneChunkManifest(fuzzRound + (i % (roundsAheadMax + 1)), `big-${i}`, 16_384)));
        await v.run(5);
      }
      await v.run(1_000);
      Bun.gc(true);
      expect(v.strikes()).toBe(0);
      expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 * 1024 * 1024); // fails: ~250 MB
    } finally {
      await v.close();
    }
  });

  // FINDING (design gap, not a code bug): bans are keyed by the peer id the remote claims in hello, and hellos are
  // not authenticated beyond the shared swarm token. Anyone holding the token can say hello as an honest peer that
  // is not connected right now, send three bad frames, and that honest id is refused for the rest of the run.
  test.todo("an impersonator cannot get an honest peer banned (needs peer identity keys)", async () => {
    const v = await bareVictim();
    try {
      const a = await v.attacker(honestId);
      for (let i = 0; i < strikesBeforeBan; i++) a.send(Uint8Array.of(0xc1));
      await v.run();
      expect(v.node.isBanned(honestId)).toBe(false); // fails: the honest id is banned
    } finally {
      await v.close();
    }
  });
});
