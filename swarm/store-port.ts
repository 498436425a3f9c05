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
  get(sha256: Uint8Array): Uint8Array | undefined;
  release(holder: PeerId, round: number): void;
  /** Enough writes are queued that the owner should register `flush()` as tracked work. */
  readonly shouldFlush: boolean;
  flush(): Promise<void>;
}
