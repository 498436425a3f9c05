/**
 * Wraps the chunk store the peers of a run share (runScenario's `wrapStore`) and checks every byte that goes in or
 * comes out: a put must carry bytes that hash to its digest, and that digest must be the one the holder's manifest
 * names for the piece; a get must hand out bytes that hash to the digest asked for (aggregation reads pieces only
 * through `get`). It also remembers what each peer incarnation put, so holdings can be checked against it.
 */
import type { Peer } from "../../actors/peer.ts";
import { bytesEqual, sha256 } from "../../swarm/hash.ts";
import { ForwardingStore, type PieceKey, type PieceStore } from "../../swarm/store-port.ts";
import type { ReportViolation } from "./violation.ts";

/** round → `${origin}#${index}` → hex digest, per peer incarnation. */
type Puts = Map<number, Map<string, string>>;

export class StoreAudit {
  /** What each incarnation put (a restarted peer is a new Peer object and starts empty). */
  private readonly puts = new WeakMap<Peer, Puts>();
  /** Rounds each holder id has stored and not released (the memory tier's window per peer). */
  readonly storedRounds = new Map<string, Set<number>>();
  /** Bytes objects already checked against a digest (the store hands out the same object again and again). */
  private readonly verified = new WeakMap<Uint8Array, string>();

  constructor(
    private readonly peerOf: (id: string) => Peer | undefined,
    private readonly report: ReportViolation,
  ) {}

  wrap(inner: PieceStore): PieceStore {
    const audit = this;
    return new (class extends ForwardingStore {
      override put(holder: string, key: PieceKey, digest: Uint8Array, data: Uint8Array): void {
        audit.onPut(holder, key, digest, data);
        super.put(holder, key, digest, data);
      }
      override get(digest: Uint8Array): Uint8Array | undefined {
        const bytes = super.get(digest);
        if (bytes) audit.onGet(digest, bytes);
        return bytes;
      }
      override release(holder: string, round: number): void {
        audit.storedRounds.get(holder)?.delete(round);
        super.release(holder, round);
      }
    })(inner);
  }

  private onPut(holder: string, key: PieceKey, digest: Uint8Array, data: Uint8Array): void {
    const what = `${holder} stored ${key.origin}#${key.index} of round ${key.round}`;
    const digestHex = hex(digest);
    if (!bytesEqual(sha256(data), digest)) this.report({ property: "stored-unverified", atMs: undefined, detail: `${what}: its ${data.byteLength} bytes do not hash to ${digestHex.slice(0, 16)}…` });
    const peer = this.peerOf(holder);
    if (!peer) return this.report({ property: "stored-unverified", atMs: undefined, detail: `${what}, but no peer ${holder} runs` });
    const manifest = peer.swarm.manifests(key.round).find((m) => m.origin === key.origin);
    const named = manifest?.chunks[key.index]?.sha256;
    if (!named || hex(named) !== digestHex) {
      const why = !manifest ? "it knows no manifest of that origin for the round" : !named ? "the manifest has no such chunk" : "the manifest names another digest for it";
      this.report({ property: "stored-unverified", atMs: undefined, detail: `${what} under digest ${digestHex.slice(0, 16)}…, but ${why}` });
    }
    let rounds = this.puts.get(peer);
    if (!rounds) this.puts.set(peer, (rounds = new Map()));
    let pieces = rounds.get(key.round);
    if (!pieces) rounds.set(key.round, (pieces = new Map()));
    pieces.set(`${key.origin}#${key.index}`, digestHex);
    let window = this.storedRounds.get(holder);
    if (!window) this.storedRounds.set(holder, (window = new Set()));
    window.add(key.round);
  }

  private onGet(digest: Uint8Array, bytes: Uint8Array): void {
    const digestHex = hex(digest);
    if (this.verified.get(bytes) === digestHex) return;
    if (!bytesEqual(sha256(bytes), digest)) {
      this.report({ property: "read-unverified", atMs: undefined, detail: `the store handed out ${bytes.byteLength} bytes for digest ${digestHex.slice(0, 16)}… that do not hash to it` });
      return;
    }
    this.verified.set(bytes, digestHex);
  }

  /**
   * Holdings only grow: every piece this incarnation stored for a round still in its window is still held.
   * Rounds that left the window (released) are forgotten.
   */
  checkHoldings(peer: Peer): void {
    const rounds = this.puts.get(peer);
    if (!rounds) return;
    const oldest = peer.swarm.current - 1;
    for (const [round, pieces] of rounds) {
      if (round < oldest) {
        rounds.delete(round);
        continue;
      }
      for (const key of pieces.keys()) {
        const [origin, index] = splitKey(key);
        if (peer.swarm.holds(round, origin, index)) continue;
        pieces.delete(key); // once is enough
        this.report({ property: "holdings-shrank", atMs: undefined, detail: `${peer.id} stored ${key} of round ${round} and no longer holds it (its current round is ${peer.swarm.current})` });
      }
    }
  }

  /** Every piece `peer` holds for `round` (what it aggregates) was stored by it under its manifest's digest. */
  checkHeldStored(peer: Peer, round: number): void {
    const pieces = this.puts.get(peer)?.get(round);
    for (const m of peer.swarm.manifests(round)) {
      m.chunks.forEach((c, i) => {
        if (!peer.swarm.holds(round, m.origin, i)) return;
        const stored = pieces?.get(`${m.origin}#${i}`);
        if (stored === hex(c.sha256)) return;
        const why = stored === undefined ? "never stored it" : `stored other bytes (${stored.slice(0, 16)}…) under that key`;
        this.report({ property: "held-unstored", atMs: undefined, detail: `${peer.id} holds ${m.origin}#${i} of round ${round} but ${why}` });
      });
    }
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf("#");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
