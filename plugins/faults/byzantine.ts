import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, pickFraction } from "./types.ts";
import type { Rng } from "../../runtime/rng.ts";

export type ByzantineAttack = "signFlip" | "scale" | "noise";

export interface ByzantineOptions {
  /** Share of the peers that lie, drawn from the seed. */
  fraction: number;
  /** signFlip: publish before − k·Δ; scale: before + k·Δ; noise: after + N(0, σ²) per weight. */
  attack: ByzantineAttack;
  /** k for signFlip and scale. @default 10 for scale, 1 for signFlip */
  factor?: number;
  /** σ for noise. @default 1 */
  sigma?: number;
}

const attacks: readonly ByzantineAttack[] = ["signFlip", "scale", "noise"];

/**
 * byzantine({ fraction, attack }): the chosen peers train honestly, then publish a poisoned update (Δ = trained −
 * start of round). Their pieces hash and verify like any other: only a robust aggregation plugin (median,
 * trimmed mean, krum) limits the damage.
 */
export function byzantine(opts: ByzantineOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("byzantine", "fraction", opts.fraction);
  if (!attacks.includes(opts.attack)) throw new Error(`byzantine.attack: expected one of ${attacks.join(", ")}, got ${String(opts.attack)}`);
  const factor = opts.factor ?? (opts.attack === "scale" ? 10 : 1);
  const sigma = opts.sigma ?? 1;
  if (!(Number.isFinite(factor) && factor > 0)) throw new Error(`byzantine.factor: expected a positive number, got ${String(opts.factor)}`);
  if (!(Number.isFinite(sigma) && sigma > 0)) throw new Error(`byzantine.sigma: expected a positive number, got ${String(opts.sigma)}`);
  return brand("faults", "byzantine", { fraction, attack: opts.attack, factor, sigma }, () => ({
    name: "byzantine",
    install(world) {
      for (const p of pickFraction(world.peers, fraction, world.rng)) {
        const rng = world.rng.split(p.id);
        p.tamperUpdates((before, after) => poison(opts.attack, before, after, factor, sigma, rng));
      }
    },
  }));
}

export function poison(attack: ByzantineAttack, before: Float32Array, after: Float32Array, factor: number, sigma: number, rng: Rng): Float32Array {
  const out = new Float32Array(after.length);
  for (let i = 0; i < out.length; i++) {
    const delta = after[i]! - before[i]!;
    if (attack === "signFlip") out[i] = before[i]! - factor * delta;
    else if (attack === "scale") out[i] = before[i]! + factor * delta;
    else out[i] = after[i]! + sigma * gaussian(rng);
  }
  return out;
}

function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
