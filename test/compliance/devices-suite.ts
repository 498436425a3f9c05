/**
 * The device plugin compliance suite (STYLE 7): what sim/peer-host.ts and the links rely on from every device
 * plugin. A plugin's test calls `devicesCompliance(...)`; each property becomes a `test` under one `describe`.
 */
import { describe, expect, test } from "bun:test";
import type { DeviceProfile } from "../../plugins/devices/profiles.ts";
import { describePlugin, isPlugin, pluginKinds, type PluginFactory } from "../../plugins/plugin.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { scrambledRoster } from "./topology-suite.ts";

/** Roster sizes the suite assigns over: empty, tiny, odd, and scenario-sized. */
export const defaultSizes: readonly number[] = [0, 1, 2, 3, 7, 16, 100];
export const defaultSeeds: readonly number[] = [1, 2, 3];

/** Violations listed per assignment before the rest are counted. */
const violationsShownMax = 20;

export interface DevicesSuiteSpec {
  /** A fresh factory per call. */
  make: () => PluginFactory<"devices">;
  /** The plugin's name, as brand and plugin must both report it. */
  name: string;
  /** The validated, defaulted options the brand must carry. */
  options: unknown;
  /** Calls with bad options, each with the `plugin.field` its error must name. */
  invalid?: ReadonlyArray<{ call: () => unknown; field: string }>;
  /** @default defaultSizes */
  sizes?: readonly number[];
  /** @default defaultSeeds */
  seeds?: readonly number[];
}

const positive = ["uplinkBytesPerSec", "downlinkBytesPerSec", "computeSpeed", "acceleratorShare"] as const;

/** Every broken rule of one peer's profile, one line each; empty when it keeps the contract. */
export function profileViolations(id: string, p: unknown): string[] {
  if (typeof p !== "object" || p === null) return [`${id}: profile is ${String(p)}, not an object`];
  const d = p as Partial<Record<keyof DeviceProfile, unknown>>;
  const out: string[] = [];
  const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  if (typeof d.name !== "string" || d.name.length === 0) out.push(`${id}: name is ${JSON.stringify(d.name)}, not a non-empty string`);
  for (const f of positive) if (!(num(d[f]) && d[f] > 0)) out.push(`${id}: ${f} is ${String(d[f])}, not a finite number > 0`);
  if (!(num(d.latencyMs) && d.latencyMs >= 0)) out.push(`${id}: latencyMs is ${String(d.latencyMs)}, not a finite number ≥ 0`);
  if (num(d.acceleratorShare) && d.acceleratorShare > 1) out.push(`${id}: acceleratorShare is ${d.acceleratorShare}, more than the whole accelerator`);
  if (d.loss !== undefined && !(num(d.loss) && d.loss >= 0 && d.loss < 1)) out.push(`${id}: loss is ${String(d.loss)}, not in [0, 1)`);
  return out;
}

/** Every broken rule of an assignment: an entry per roster peer and none else, each a valid profile. */
export function assignmentViolations(assigned: unknown, peers: readonly string[]): string[] {
  if (!(assigned instanceof Map)) return [`assign returned ${String(assigned)}, not a Map`];
  const roster = new Set(peers);
  const out: string[] = [];
  for (const p of peers) if (!assigned.has(p)) out.push(`no profile for ${p}`);
  for (const [id, profile] of assigned as Map<unknown, unknown>) {
    if (typeof id !== "string" || !roster.has(id)) out.push(`a profile for ${String(id)}, who is not in the roster`);
    else out.push(...profileViolations(id, profile));
  }
  return out.length > violationsShownMax ? [...out.slice(0, violationsShownMax), `… and ${out.length - violationsShownMax} more`] : out;
}

/**
 * Assigns over `peers` (frozen, so a plugin that sorts the roster in place fails) from a fresh `SeededRng(seed)`,
 * expects no violations, and expects a second fresh plugin on the same seed to assign equal profiles.
 */
export function checkDevices(factory: PluginFactory<"devices">, peers: readonly string[], seed = 1): Map<string, DeviceProfile> {
  const roster = Object.freeze([...peers]);
  const assigned = factory({ rng: new SeededRng(seed) }).assign(roster);
  expect(assignmentViolations(assigned, roster).map((v) => `seed ${seed}: ${v}`)).toEqual([]);
  expect(factory({ rng: new SeededRng(seed) }).assign(roster)).toEqual(assigned);
  return assigned;
}

export function devicesCompliance(spec: DevicesSuiteSpec): void {
  const sizes = spec.sizes ?? defaultSizes;
  const seeds = spec.seeds ?? defaultSeeds;
  describe(`devices compliance: ${describePlugin(spec.make())}`, () => {
    test("is a branded devices factory carrying its name and validated options; its plugin has the same name", () => {
      const factory = spec.make();
      for (const kind of pluginKinds) expect(isPlugin(factory, kind)).toBe(kind === "devices");
      expect(factory.pluginName).toBe(spec.name);
      expect(factory.pluginOptions).toEqual(spec.options);
      expect(describePlugin(factory).startsWith(`${spec.name}(`)).toBe(true);
      expect(factory({ rng: new SeededRng(1) }).name).toBe(spec.name);
    });

    for (const n of sizes) {
      test(`${n} peers, seeds ${seeds.join(", ")}: a valid profile for every roster peer and none else, the same from the same seed`, () => {
        const peers = scrambledRoster(n);
        for (const seed of seeds) checkDevices(spec.make(), peers, seed);
      });
    }

    if (spec.invalid && spec.invalid.length > 0) {
      test("bad options fail at the call, naming the field", () => {
        for (const { call, field } of spec.invalid!) expect(call).toThrow(`${field}:`);
      });
    }
  });
}
