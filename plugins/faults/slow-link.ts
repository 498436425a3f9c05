import { brand, type PluginFactory } from "../plugin.ts";
import { checkFraction, needMemoryNet, pickFraction } from "./types.ts";

export interface SlowLinkOptions {
  /** Share of the peers on a slow link, drawn from the seed. */
  fraction: number;
  /** Their uplink and downlink bandwidth are divided by this (≥ 1); latency and loss stay. */
  factor: number;
}

/**
 * slowLink({ fraction, factor }): the chosen peers' access links run `factor` times slower than their device profile
 * says, from the start of the run (a congested or throttled link; compute is untouched). The report's lower bound is
 * computed from the profiles and does not see it. Memory network (virtual clock) only.
 */
export function slowLink(opts: SlowLinkOptions): PluginFactory<"faults"> {
  const fraction = checkFraction("slowLink", "fraction", opts.fraction);
  if (typeof opts.factor !== "number" || !(Number.isFinite(opts.factor) && opts.factor >= 1)) {
    throw new Error(`slowLink.factor: expected a finite number ≥ 1, got ${String(opts.factor)}`);
  }
  const factor = opts.factor;
  return brand("faults", "slowLink", { fraction, factor }, () => ({
    name: "slowLink",
    install(world) {
      const net = needMemoryNet("slowLink", world);
      for (const p of pickFraction(world.peers, fraction, world.rng)) {
        const link = world.linkOf(p.id);
        net.setLink(world.addressOf(p.id), {
          uplinkBytesPerSec: link.uplinkBytesPerSec / factor,
          downlinkBytesPerSec: link.downlinkBytesPerSec / factor,
          latencyMs: link.latencyMs,
          loss: link.loss,
        });
        world.report(p.id, `link ${factor}× slower (slowLink)`);
      }
    },
  }));
}
