import type { PeerId } from "./messages.ts";

export interface PieceKey {
  round: number;
  origin: PeerId;
  index: number;
}

/**
 * What the swarm needs of a chunk store (store/chunk-store.ts implements it over SQLite). The hot path is
 * synchronous: verified bytes go into a content-addressed memory tier shared by every peer of the process,
 * and the SQLite write happens behind, on `flush`, which callers register with the clock as tracked work.
 */
export interface PieceStore {
  put(holder: PeerId, key: PieceKey, sha256: Uint8Array, data: Uint8Array): void;
  /**
   * Bytes stored under this digest. Only verified bytes are ever put (a peer's own pieces or pieces that passed
   * the digest check), so the swarm may check a new copy by byte equality with these instead of hashing it.
   */
  get(sha256: Uint8Array): Uint8Array | undefined;
  release(holder: PeerId, round: number): void;
  /** Enough writes are queued that the owner should register `flush()` as tracked work. */
  readonly shouldFlush: boolean;
  flush(): Promise<void>;
}

/**
 * A PieceStore that forwards every call to `inner`: the base for decorators that watch or check what goes in and
 * out (the VOPR's audit, tests' checked stores). Override what you watch and call `super`.
 */
export class ForwardingStore implements PieceStore {
  constructor(readonly inner: PieceStore) {}
  put(holder: PeerId, key: PieceKey, sha256: Uint8Array, data: Uint8Array): void {
    this.inner.put(holder, key, sha256, data);
  }
  get(sha256: Uint8Array): Uint8Array | undefined {
    return this.inner.get(sha256);
  }
  release(holder: PeerId, round: number): void {
    this.inner.release(holder, round);
  }
  get shouldFlush(): boolean {
    return this.inner.shouldFlush;
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
}
