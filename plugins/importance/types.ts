import type { Rng } from "../../runtime/rng.ts";
import type { ChunkLayout } from "../../learn/types.ts";
import { importanceMax } from "../../swarm/limits.ts";

/**
 * A view of the peer's model and data for methods that score by the loss (snip, fisher). Bound to one model
 * (the round's `after`) and one peer's examples; every result is flat in layout order (`layout.totalFloats`
 * floats) and freshly allocated, so a plugin may keep or change it. Asking twice for the same count gives the
 * same examples and the same result: the sample is drawn once, from a seeded rng, and a smaller count takes a
 * prefix of it.
 */
export interface ImportanceProbe {
  /** Mean loss gradient at the model over up to `examples` (an integer ≥ 1) of the peer's own examples. */
  gradient(examples: number): Float32Array;
  /**
   * Mean over up to `examples` of the peer's examples of each example's squared loss gradient: the diagonal of
   * the empirical Fisher information. Costs one backward pass per example.
   */
  squaredGradient(examples: number): Float32Array;
}

/**
 * Most examples a method may ask its probe for: fisher costs one backward pass per example and a peer scores
 * once per round, on the round's critical path (train → score → publish).
 */
export const probeExamplesMax = 4096;

/** What an importance plugin sees for one peer's update in one round. */
export interface ImportanceInput {
  round: number;
  layout: ChunkLayout;
  /** The model the peer started the round from (flat weights). */
  before: Float32Array;
  /** The model after local training (flat weights): the update is `after − before`. */
  after: Float32Array;
  /**
   * The loss around `after` on the peer's own examples. Optional: methods that read only the weights ignore it,
   * methods that need it (snip, fisher) throw when it is missing.
   */
  probe?: ImportanceProbe;
}

export interface ImportancePlugin {
  readonly name: string;
  /**
   * One finite score in [0, importanceMax] per chunk of `input.layout`, in chunk order. Never mutates the
   * input. A plugin instance serves one peer and may keep state across rounds (a history of scores).
   */
  score(input: ImportanceInput): number[];
}

/** Narrow dependencies an importance plugin gets (second stage of the two-stage factory). */
export interface ImportanceDeps {
  rng: Rng;
}

export type ImportanceFactory = (deps: ImportanceDeps) => ImportancePlugin;

// ---------------------------------------------------------------------------------------------------------
// Contract helpers shared by the shipped methods.

/** A raw per-chunk value as a score: NaN and ±Infinity become 0 (a broken update never outranks a sound one), the rest is capped. */
export function toScore(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.min(value, importanceMax) : 0;
}

/** Throws unless `before` and `after` (and any `extra` flat vectors) hold exactly `layout.totalFloats` floats. */
export function checkShapes(plugin: string, input: ImportanceInput, extra: Record<string, Float32Array> = {}): void {
  const n = input.layout.totalFloats;
  const vectors: Record<string, Float32Array> = { before: input.before, after: input.after, ...extra };
  for (const [what, v] of Object.entries(vectors)) {
    if (v.length !== n) {
      throw new RangeError(`${plugin}: layout has ${n} floats, ${what} has ${v.length}`);
    }
  }
}

/** The probe of `input`, or an Error saying that `plugin` cannot score without one. */
export function requireProbe(plugin: string, input: ImportanceInput): ImportanceProbe {
  if (!input.probe) throw new Error(`${plugin} needs a probe of the model and data (ImportanceInput.probe); the caller passed none`);
  return input.probe;
}

/** Mean of `values` over each chunk (0 for an empty chunk), as scores. */
export function chunkMeans(input: ImportanceInput, values: (i: number) => number): number[] {
  return input.layout.chunks.map((chunk) => {
    if (chunk.length === 0) return 0;
    let sum = 0;
    for (let i = chunk.start, end = chunk.start + chunk.length; i < end; i++) sum += values(i);
    return toScore(sum / chunk.length);
  });
}

/** Validates an optional integer option in [min, max]; the error names `plugin.field`. */
export function intOption(plugin: string, field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${plugin}.${field}: expected an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Validates an optional finite number option ≥ min; the error names `plugin.field`. */
export function numberOption(plugin: string, field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${plugin}.${field}: expected a finite number ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws when `opts` is not a plain options object or names a field `plugin` does not take (a typo would otherwise pass silently). */
export function checkOptionNames(plugin: string, opts: unknown, known: readonly string[]): void {
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new TypeError(`${plugin}: options must be an object, got ${opts === null ? "null" : Array.isArray(opts) ? "an array" : typeof opts}`);
  }
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new TypeError(`${plugin}.${key}: unknown option (known: ${known.join(", ")})`);
  }
}

/**
 * The options a plugin records in its brand: only those that differ from their defaults, so `snip()` reads
 * back as `snip()` and `snip({ examples: 64 })` as itself; the defaults live in the factory's JSDoc.
 */
export function nonDefault<T extends Record<string, unknown>>(values: T, defaults: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(values) as Array<keyof T>) if (values[key] !== defaults[key]) out[key] = values[key];
  return out;
}
