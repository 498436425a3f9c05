import { sql, type Generated, type Kysely } from "kysely";

/** Content-addressed piece bytes; a digest is stored once whoever holds it. */
export interface ChunksTable {
  sha256: Uint8Array;
  bytes: Uint8Array;
}

/** Which peer held which piece of which round's update, by digest. */
export interface HoldingsTable {
  holder: string;
  round: number;
  origin: string;
  idx: number;
  sha256: Uint8Array;
}

/** Encoded manifest of one origin's update for one round. */
export interface ManifestsTable {
  round: number;
  origin: string;
  body: Uint8Array;
}

/** Per-peer, per-round metrics. */
export interface RoundsTable {
  peer: string;
  round: number;
  /** JSON text. */
  metrics: string;
}

/** Telemetry, kept for replay. */
export interface EventsTable {
  id: Generated<number>;
  /** Clock time in milliseconds (virtual or real). */
  t: number;
  scope: string;
  kind: string;
  /** JSON text. */
  body: string;
}

/** A peer's model after a round. */
export interface CheckpointsTable {
  peer: string;
  round: number;
  model: Uint8Array;
}

export interface Schema {
  chunks: ChunksTable;
  holdings: HoldingsTable;
  manifests: ManifestsTable;
  rounds: RoundsTable;
  events: EventsTable;
  checkpoints: CheckpointsTable;
}

/**
 * Creates every table if missing; safe to run on each open.
 * `chunks` keeps its rowid because its rows are large (WITHOUT ROWID suits small rows only);
 * the composite-key tables drop it.
 */
export async function createSchema(db: Kysely<Schema>): Promise<void> {
  const withoutRowid = sql`without rowid`;
  await db.schema
    .createTable("chunks")
    .ifNotExists()
    .addColumn("sha256", "blob", (c) => c.primaryKey())
    .addColumn("bytes", "blob", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("holdings")
    .ifNotExists()
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("round", "integer", (c) => c.notNull())
    .addColumn("origin", "text", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("sha256", "blob", (c) => c.notNull())
    .addPrimaryKeyConstraint("holdings_pk", ["holder", "round", "origin", "idx"])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema
    .createTable("manifests")
    .ifNotExists()
    .addColumn("round", "integer", (c) => c.notNull())
    .addColumn("origin", "text", (c) => c.notNull())
    .addColumn("body", "blob", (c) => c.notNull())
    .addPrimaryKeyConstraint("manifests_pk", ["round", "origin"])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema
    .createTable("rounds")
    .ifNotExists()
    .addColumn("peer", "text", (c) => c.notNull())
    .addColumn("round", "integer", (c) => c.notNull())
    .addColumn("metrics", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("rounds_pk", ["peer", "round"])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema
    .createTable("events")
    .ifNotExists()
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("t", "real", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("checkpoints")
    .ifNotExists()
    .addColumn("peer", "text", (c) => c.notNull())
    .addColumn("round", "integer", (c) => c.notNull())
    .addColumn("model", "blob", (c) => c.notNull())
    .addPrimaryKeyConstraint("checkpoints_pk", ["peer", "round"])
    .execute();
}
