import { afterEach, describe, expect, test } from "bun:test";
import { MemoryNetwork } from "../../net/memory.ts";
import type { Conn, LinkProfile, Transport } from "../../net/transport.ts";
import { VirtualClock } from "../../runtime/clock.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { ChunkStore } from "../../store/chunk-store.ts";
import { decode, encode } from "../../swarm/codec.ts";
import { bytesEqual, sha256, toHex } from "../../swarm/hash.ts";
import { buildManifest, splitPieces } from "../../swarm/manifest.ts";
import type { Manifest, Message } from "../../swarm/messages.ts";
import { SwarmNode, type SwarmNodeOptions } from "../../swarm/node.ts";
import { ForwardingStore, type PieceKey } from "../../swarm/store-port.ts";

const fast: LinkProfile = { uplinkBytesPerSec: 1_000_000, downlinkBytesPerSec: 1_000_000, latencyMs: 10 };
/** Give up long after any of these small transfers should have finished. */
const deadlineMs = 120_000;

/** A PieceStore that checks every put against its digest: an unverified piece reaching storage is a found bug. */
class CheckedStore extends ForwardingStore {
  readonly badPuts: string[] = [];
  puts = 0;
  constructor(override readonly inner: ChunkStore) {
    super(inner);
  }
  override put(holder: string, key: PieceKey, digest: Uint8Array, data: Uint8Array): void {
    this.puts++;
    if (!bytesEqual(sha256(data), digest)) this.badPuts.push(`${holder} ${key.origin}#${key.index}`);
    super.put(holder, key, digest, data);
  }
}

interface Peer {
  id: string;
  node: SwarmNode;
  transport: Transport;
  store: CheckedStore;
  /** Conns this peer holds, by the remote address they lead to. */
  conns: Conn[];
  pieces: Array<{ origin: string; index: number; sha: string }>;
  closed: Array<{ peer: string; reason: string }>;
  opened: string[];
  bans: string[];
  strikes: string[];
}

/** Every frame sent on the network, decoded, with its send time. */
interface Sent {
  at: number;
  from: string;
  to: string;
  msg: Message;
}

const worlds: Array<{ peers: Peer[] }> = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    for (const p of w.peers) p.node.close();
    for (const p of w.peers) await p.store.inner.close();
  }
});

function world(seed = 1, opts: { sharedStore?: boolean } = {}) {
  let shared: Promise<ChunkStore> | undefined;
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(seed) });
  const peers: Peer[] = [];
  worlds.push({ peers });
  const dialErrors: string[] = [];

  async function peer(id: string, o: { swarmId?: string; auth?: string; link?: LinkProfile } & Pick<SwarmNodeOptions, "timing"> = {}): Promise<Peer> {
    // One store for every peer, as in a process hosting many peers: a piece another peer verified is known.
    const store = new CheckedStore(opts.sharedStore ? await (shared ??= ChunkStore.open(":memory:")) : await ChunkStore.open(":memory:"));
    const p: Peer = { id, store, conns: [], pieces: [], closed: [], opened: [], bans: [], strikes: [] } as unknown as Peer;
    p.node = new SwarmNode(
      { peerId: id, swarmId: o.swarmId ?? "swarm", auth: o.auth ?? "token", clock, rng: new SeededRng(`${seed}:${id}`), store, ...(o.timing ? { timing: o.timing } : {}) },
      {
        piece: (_r, origin, index, data) => p.pieces.push({ origin, index, sha: toHex(sha256(data)) }),
        sessionOpened: (peerId) => p.opened.push(peerId),
        sessionClosed: (peerId, reason) => p.closed.push({ peer: peerId, reason }),
        ban: (peerId) => p.bans.push(peerId),
        strike: (peerId) => p.strikes.push(peerId),
      },
    );
    p.transport = net.node(`mem://${id}`, o.link ?? fast);
    await p.transport.listen((c) => {
      p.conns.push(c);
      p.node.addConn(c);
    });
    peers.push(p);
    return p;
  }

  /** a dials b; the sessions start when the clock runs. */
  function connect(a: Peer, b: Peer): void {
    a.transport
      .dial(b.transport.address)
      .then((c) => {
        a.conns.push(c);
        a.node.addConn(c);
      })
      .catch((e: Error) => dialErrors.push(e.message));
  }

  function run(stop: () => boolean, untilMs = clock.now() + deadlineMs) {
    return clock.run({ stopWhen: stop, untilMs });
  }

  /** Records every frame (decoded) without changing delivery. */
  function tap(): Sent[] {
    const sent: Sent[] = [];
    net.faults.setFilter(({ from, to, frame }) => {
      sent.push({ at: clock.now(), from, to, msg: decode(frame) });
      return "deliver";
    });
    return sent;
  }

  return { clock, net, peer, connect, run, tap, dialErrors };
}

/** A deterministic update of `bytes` bytes split into pieces, and its manifest. */
function update(origin: string, bytes: number, pieceBytes: number, round = 0): { data: Uint8Array; pieces: Uint8Array[]; manifest: Manifest } {
  const rng = new SeededRng(`update:${origin}`);
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = rng.int(256);
  const pieces = splitPieces(data, pieceBytes);
  const manifest = buildManifest({ round, origin, layoutHash: sha256(new TextEncoder().encode("layout")), sampleCount: 10, pieces });
  return { data, pieces, manifest };
}

/** Reassembles an origin's update from a peer's store, by the manifest's digests. */
function reassemble(p: Peer, m: Manifest): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  for (const c of m.chunks) {
    const b = p.store.get(c.sha256);
    if (!b) return undefined;
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function expectHonest(p: Peer, m: Manifest): void {
  expect(p.store.badPuts).toEqual([]);
  const want = new Map(m.chunks.map((c) => [c.index, toHex(c.sha256)]));
  for (const ev of p.pieces.filter((e) => e.origin === m.origin)) expect(ev.sha).toBe(want.get(ev.index)!);
}

describe("swarm session: back to back", () => {
  test("B completes A's round and holds the same bytes", async () => {
    const w = world();
    const a = await w.peer("A");
    const b = await w.peer("B");
    const u = update("A", 5000, 1024); // 5 pieces, the last one short
    a.node.beginRound(0, ["A"], u.pieces.length);
    b.node.beginRound(0, ["A"], u.pieces.length);
    a.node.publish(u.manifest, u.pieces);
    expect(a.node.completedAt(0)).toBe(0);
    w.connect(b, a);
    await w.run(() => b.node.completedAt(0) !== undefined);

    expect(w.dialErrors).toEqual([]);
    expect(b.node.completedAt(0)).toBeDefined();
    expect(b.node.coverage(0).pieces).toBe(1);
    expect(b.node.manifests(0).map((m) => m.origin)).toEqual(["A"]);
    expect(b.node.progress(0)).toEqual([{ origin: "A", held: 5, count: 5 }]);
    expect(toHex(sha256(reassemble(b, u.manifest)!))).toBe(toHex(sha256(u.data)));
    // Each piece reported exactly once, verified.
    expect(b.pieces.map((e) => e.index).sort()).toEqual([0, 1, 2, 3, 4]);
    expectHonest(b, u.manifest);
    expect(b.node.counters.usefulIn).toBe(5000);
    expect(b.node.counters.duplicateIn).toBe(0);
    expect(b.node.counters.rejectedIn).toBe(0);
    expect(a.node.counters.payloadOut).toBe(5000);
    // Frame bytes: A sent the 5 pieces plus headers and control frames; B received exactly what A sent.
    expect(a.node.counters.wireOut).toBeGreaterThan(5000);
    expect(b.node.counters.wireIn).toBe(a.node.counters.wireOut);
    expect(a.node.neighbours).toEqual(["B"]);
    expect(b.node.neighbours).toEqual(["A"]);
  });

  test("an origin that is gone stops holding the round up: unexpect completes it with what the live origins sent", async () => {
    const w = world();
    const a = await w.peer("A");
    const b = await w.peer("B");
    const u = update("A", 3000, 1024);
    a.node.beginRound(0, ["A", "C"], u.pieces.length);
    b.node.beginRound(0, ["A", "C"], u.pieces.length, { deadlineMs: 60_000 });
    a.node.publish(u.manifest, u.pieces);
    w.connect(b, a);
    await w.run(() => b.node.progress(0).find((p) => p.origin === "A")?.held === 3);
    // Waiting for C, who will never publish: not complete, half covered.
    expect(b.node.completedAt(0)).toBeUndefined();
    expect(b.node.coverage(0).pieces).toBe(0.5);
    b.node.unexpect("C");
    expect(b.node.completedAt(0)).toBeDefined();
    expect(b.node.coverage(0).pieces).toBe(1);
    expect(b.node.progress(0).map((p) => p.origin)).toEqual(["A"]);
    // Unexpecting again, or an origin the round never expected, changes nothing.
    const at = b.node.completedAt(0);
    b.node.unexpect("C");
    b.node.unexpect("Z");
    expect(b.node.completedAt(0)).toBe(at);
  });

  test("a deadline stops requesting, withdraws what is in flight and leaves partial coverage", async () => {
    const w = world();
    const a = await w.peer("A");
    const b = await w.peer("B", { link: { uplinkBytesPerSec: 1_000_000, downlinkBytesPerSec: 2_000, latencyMs: 10 } });
    const u = update("A", 20 * 1024, 1024); // 20 pieces at ~0.5 s each over B's downlink
    a.node.beginRound(0, ["A"], u.pieces.length);
    b.node.beginRound(0, ["A"], u.pieces.length, { deadlineMs: 3000 });
    a.node.publish(u.manifest, u.pieces);
    const sent = w.tap();
    w.connect(b, a);
    await w.run(() => false, 20_000);

    expect(b.node.completedAt(0)).toBeUndefined();
    expect(b.node.stoppedAt(0)).toBe(3000);
    const cov = b.node.coverage(0).pieces;
    const [prog] = b.node.progress(0);
    expect(prog!.count).toBe(20);
    expect(prog!.held / prog!.count).toBe(cov);
    expect(cov).toBeGreaterThan(0);
    expect(cov).toBeLessThan(1);
    const fromB = sent.filter((f) => f.from === "mem://B");
    expect(fromB.filter((f) => f.msg.t === "request" && f.at > 3000)).toEqual([]);
    expect(fromB.some((f) => f.msg.t === "cancel" && f.at === 3000)).toBe(true);
    expectHonest(b, u.manifest);
  });

  test("a manifest published after the session opened still reaches B", async () => {
    const w = world();
    const a = await w.peer("A");
    const b = await w.peer("B");
    const u = update("A", 3000, 1000);
    a.node.beginRound(0, ["A"], 3);
    b.node.beginRound(0, ["A"], 3);
    w.connect(b, a);
    await w.run(() => a.opened.length > 0 && b.opened.length > 0);
    a.node.publish(u.manifest, u.pieces);
    await w.run(() => b.node.completedAt(0) !== undefined);
    expect(toHex(sha256(reassemble(b, u.manifest)!))).toBe(toHex(sha256(u.data)));
  });
});

describe("swarm session: handshake", () => {
  const cases: Array<[string, { swarmId?: string; auth?: string }, RegExp]> = [
    ["wrong swarm id", { swarmId: "other-swarm" }, /wrong swarm/],
    ["wrong auth", { auth: "guess" }, /bad auth/],
  ];
  for (const [name, bad, reason] of cases) {
    test(`${name} closes the session on both ends`, async () => {
      const w = world();
      const a = await w.peer("A");
      const b = await w.peer("B", bad);
      const u = update("A", 2000, 1000);
      a.node.beginRound(0, ["A"], 2);
      b.node.beginRound(0, ["A"], 2);
      a.node.publish(u.manifest, u.pieces);
      w.connect(b, a);
      await w.run(() => false, 5_000);
      expect(a.closed.map((c) => c.reason)).toEqual([expect.stringMatching(reason)]);
      expect(a.opened).toEqual([]);
      expect(a.node.neighbours).toEqual([]);
      expect(b.node.neighbours).toEqual([]);
      expect(b.node.manifests(0)).toEqual([]);
      expect(b.node.completedAt(0)).toBeUndefined();
      expect(a.node.counters.payloadOut).toBe(0);
    });
  }

  test("connecting to self closes", async () => {
    const w = world();
    const a = await w.peer("A");
    w.connect(a, a);
    await w.run(() => false, 5_000);
    expect(w.dialErrors).toEqual([]);
    expect(a.conns).toHaveLength(2);
    expect(a.closed.length).toBeGreaterThanOrEqual(1);
    expect(a.closed.some((c) => /connected to self/.test(c.reason))).toBe(true);
    expect(a.opened).toEqual([]);
    expect(a.node.neighbours).toEqual([]);
    for (const c of a.conns) expect(c.closed).toBe(true);
  });

  test("a second session to the same peer is refused", async () => {
    const w = world();
    const a = await w.peer("A");
    const b = await w.peer("B");
    w.connect(a, b);
    w.connect(b, a);
    await w.run(() => false, 5_000);
    expect(a.node.neighbours).toEqual(["B"]);
    expect(b.node.neighbours).toEqual(["A"]);
    expect([...a.closed, ...b.closed].some((c) => /duplicate session/.test(c.reason))).toBe(true);
  });
});

describe("swarm session: bad pieces", () => {
  for (const sharedStore of [false, true])
  test(`a corrupted piece is rejected, never stored or reported; three offences ban the sender (${sharedStore ? "store shared by the process: checked against the verified copy" : "own store: checked by SHA-256"})`, async () => {
    const w = world(1, { sharedStore });
    const s = await w.peer("S"); // good seeder (the origin)
    const r = await w.peer("R"); // relay that corrupts what it serves to V
    const v = await w.peer("V"); // victim
    const u = update("S", 32 * 512, 512);
    for (const p of [s, r, v]) p.node.beginRound(0, ["S"], u.pieces.length);
    s.node.publish(u.manifest, u.pieces);
    w.connect(r, s);
    await w.run(() => r.node.completedAt(0) !== undefined);
    expect(r.node.completedAt(0)).toBeDefined();

    // From now on R flips one byte of every piece it sends to V: drop the real frame and send a corrupted copy
    // on the same conn (the filter lets the copy through), so the stream stays in order and the length is right.
    const rToV = () => r.conns.find((c) => c.remoteAddress === v.transport.address && !c.closed);
    const forged = new WeakSet<Uint8Array>();
    let corrupted = 0;
    w.net.faults.setFilter(({ from, to, frame }) => {
      if (from !== r.transport.address || to !== v.transport.address || forged.has(frame)) return "deliver";
      const msg = decode(frame);
      if (msg.t !== "piece") return "deliver";
      const data = new Uint8Array(msg.data);
      data[data.length >> 1]! ^= 0x01;
      const bad = encode({ ...msg, data });
      expect(bad.byteLength).toBe(frame.byteLength);
      forged.add(bad);
      corrupted++;
      rToV()!.send(bad);
      return "drop";
    });
    // V meets R first, so R gets requests before S can serve everything.
    w.connect(v, r);
    await w.run(() => v.opened.includes("R"));
    w.connect(v, s);
    await w.run(() => v.node.completedAt(0) !== undefined);

    expect(corrupted).toBeGreaterThanOrEqual(3);
    expect(v.node.counters.rejectedIn).toBeGreaterThan(0);
    expect(v.node.counters.rejectedIn % 512).toBe(0);
    expect(v.strikes.filter((x) => x === "R").length).toBeGreaterThanOrEqual(3);
    expect(v.bans).toEqual(["R"]);
    expect(v.node.isBanned("R")).toBe(true);
    expect(v.node.isBanned("S")).toBe(false);
    expect(v.node.neighbours).toEqual(["S"]);
    expect(v.closed.some((c) => c.peer === "R" && /banned/.test(c.reason))).toBe(true);

    // Never stored, never reported: every stored and reported piece is the origin's.
    expectHonest(v, u.manifest);
    expect(v.pieces.map((e) => e.index).sort((x, y) => x - y)).toEqual([...u.pieces.keys()]);
    expect(toHex(sha256(reassemble(v, u.manifest)!))).toBe(toHex(sha256(u.data)));

    // A banned peer cannot come back.
    w.connect(r, v);
    await w.run(() => false, w.clock.now() + 1_000);
    expect(v.node.neighbours).toEqual(["S"]);
    expect(v.closed.at(-1)?.reason).toMatch(/banned/);
  });
});

describe("swarm session: endgame and cancel", () => {
  test("a stale request to a slow holder is re-asked of the fast one and cancelled at the slow one", async () => {
    const pieceBytes = 16_384;
    const w = world();
    const f = await w.peer("F"); // fast holder (the origin)
    const slow = await w.peer("S"); // slow holder
    const v = await w.peer("V");
    const u = update("F", 16 * pieceBytes, pieceBytes);
    for (const p of [f, slow, v]) p.node.beginRound(0, ["F"], u.pieces.length);
    f.node.publish(u.manifest, u.pieces);
    w.connect(slow, f);
    await w.run(() => slow.node.completedAt(0) !== undefined);
    expect(slow.node.completedAt(0)).toBeDefined();

    // S's uplink now takes 4 s per piece; control frames (< 1 KB) still pass in well under a second.
    w.net.faults.setLink(slow.transport.address, { uplinkBytesPerSec: 4_096, downlinkBytesPerSec: 1_000_000, latencyMs: 10 });
    const sent = w.tap();
    const t0 = w.clock.now();
    w.connect(v, slow);
    w.connect(v, f);
    await w.run(() => v.node.completedAt(0) !== undefined);
    const doneAt = v.node.completedAt(0);
    expect(doneAt).toBeDefined();
    // Far sooner than S alone could serve it (16 × 4 s).
    expect(doneAt! - t0).toBeLessThan(16_000);
    // Let S's in-flight piece land, so late copies are counted.
    await w.run(() => false, w.clock.now() + 30_000);

    const key = (m: Message) => (m.t === "request" || m.t === "cancel" ? `${m.origin}#${m.index}` : "");
    const vS = sent.filter((e) => e.from === v.transport.address && e.to === slow.transport.address);
    const vF = sent.filter((e) => e.from === v.transport.address && e.to === f.transport.address);
    const askedS = new Map(vS.filter((e) => e.msg.t === "request").map((e) => [key(e.msg), e.at]));
    const reasked = vF.filter((e) => e.msg.t === "request" && (askedS.get(key(e.msg)) ?? Infinity) < e.at);
    expect(askedS.size).toBeGreaterThan(0);
    expect(reasked.length).toBeGreaterThan(0);
    const cancels = vS.filter((e) => e.msg.t === "cancel").map((e) => key(e.msg));
    expect(cancels.length).toBeGreaterThan(0);
    for (const c of cancels) expect(askedS.has(c)).toBe(true);
    // Every piece re-asked of F was cancelled at S, once F delivered it.
    for (const e of reasked) expect(cancels).toContain(key(e.msg));

    expectHonest(v, u.manifest);
    expect(toHex(sha256(reassemble(v, u.manifest)!))).toBe(toHex(sha256(u.data)));
    // Duplicates stay small: at most the piece S had already put on the wire (plus one more for slack).
    expect(v.node.counters.duplicateIn).toBeLessThanOrEqual(2 * pieceBytes);
    // A late copy of a cancelled piece is not a protocol error.
    expect(v.strikes).toEqual([]);
    expect(v.node.counters.usefulIn).toBe(16 * pieceBytes);
  });
});
