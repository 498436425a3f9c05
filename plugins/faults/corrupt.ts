import { brand, type PluginFactory } from "../plugin.ts";
import type { Rng } from "../../runtime/rng.ts";
import { checkFraction, checkProbability, pickFraction } from "./types.ts";

export interface CorruptOptions {
  /** Share of the peers that serve corrupt pieces, drawn from the seed. */
  fraction: number;
  /** Chance that one served piece is corrupted (one byte flipped), drawn per piece from the seed. */
  probability: number;
}

/**
 * corrupt({ fraction, probability }): the chosen peers flip one byte of a piece they serve (their own or relayed)
 * with the given probability; their store and their own model are untouched. Receivers check every piece against
 * its origin's manifest: a bad one is dropped and asked for elsewhere, its sender gets a strike, and three strikes
 * ban it for the run. Nothing that failed the check is stored, relayed or aggregated.
 */
export function corrupt(opts: CorruptOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("corrupt", "fraction", opts.fraction);
  const probability = checkProbability("corrupt", "probability", opts.probability);
  return brand("faults", "corrupt", { fraction, probability }, () => ({
    name: "corrupt",
    install(world) {
      for (const p of pickFraction(world.peers, fraction, world.rng)) {
        const rng = world.rng.split(p.id);
        p.tamperServed((data) => (rng.next() < probability ? flipByte(data, rng) : data));
      }
    },
  }));
}

/** A copy of `data` with one byte (drawn by `rng`) inverted. Empty data comes back as is. */
export function flipByte(data: Uint8Array, rng: Rng): Uint8Array {
  if (data.byteLength === 0) return data;
  const out = new Uint8Array(data);
  const i = rng.int(out.byteLength);
  out[i] = out[i]! ^ 0xff;
  return out;
}
