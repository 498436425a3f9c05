import { describe, expect, test } from "bun:test";
import { assignMix, deviceProfileNames, deviceProfiles, mix, mixJitterMax, uniform, type DeviceProfile, type DeviceShares } from "../../plugins/devices/index.ts";
import { describePlugin, type PluginFactory } from "../../plugins/plugin.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { checkDevices, devicesCompliance } from "./devices-suite.ts";
import { ids, scrambledRoster } from "./topology-suite.ts";

/** The prototype's mix (README): 5% edge servers, 20% good phones, 40% poor phones, 20% Pis, 15% IoT. */
const prototype = { edge_server: 0.05, smartphone_high: 0.2, smartphone_low: 0.4, raspberry_pi: 0.2, iot: 0.15 } satisfies DeviceShares;

const assign = (factory: PluginFactory<"devices">, peers: readonly string[], seed = 1) => factory({ rng: new SeededRng(seed) }).assign(peers);
const countsOf = (assigned: Map<string, DeviceProfile>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const d of assigned.values()) out[d.name] = (out[d.name] ?? 0) + 1;
  return out;
};

// Every shipped device plugin runs the suite.
for (const name of deviceProfileNames) {
  devicesCompliance({ name: "uniform", make: () => uniform(name), options: name });
}
devicesCompliance({
  name: "uniform",
  make: () => uniform(),
  options: "edge_server",
  invalid: [
    { call: () => uniform("toaster"), field: "uniform.profileName" },
    { call: () => uniform("toString"), field: "uniform.profileName" },
  ],
});
devicesCompliance({
  name: "mix",
  make: () => mix(prototype),
  options: { shares: prototype, jitter: 0.1 },
  invalid: [
    { call: () => mix({ ...prototype, toaster: 0.1 } as DeviceShares), field: "mix.shares" },
    { call: () => mix({ edge_server: 1.1, iot: -0.1 }), field: "mix.shares.iot" },
    { call: () => mix({ edge_server: 0.5, iot: NaN }), field: "mix.shares.iot" },
    { call: () => mix({ edge_server: 0.5 }), field: "mix.shares" },
    { call: () => mix(prototype, { jitter: -0.01 }), field: "mix.jitter" },
    { call: () => mix(prototype, { jitter: 0.95 }), field: "mix.jitter" },
  ],
});
devicesCompliance({ name: "mix", make: () => mix({ iot: 1 }, { jitter: mixJitterMax }), options: { shares: { iot: 1 }, jitter: mixJitterMax } });
devicesCompliance({ name: "mix", make: () => mix({ edge_server: 0.5, raspberry_pi: 0.5 }, { jitter: 0 }), options: { shares: { edge_server: 0.5, raspberry_pi: 0.5 }, jitter: 0 } });

describe("profiles", () => {
  test("each class has its accelerator share and loss; the link and compute numbers are the prototype's", () => {
    const table = Object.fromEntries(deviceProfileNames.map((n) => [n, [deviceProfiles[n]!.acceleratorShare, deviceProfiles[n]!.loss, deviceProfiles[n]!.computeSpeed]]));
    expect(table).toEqual({
      edge_server: [1, 0, 1],
      smartphone_high: [0.5, 0, 0.5],
      smartphone_low: [0.2, 0.01, 0.2],
      raspberry_pi: [0.25, 0, 0.25],
      iot: [0.05, 0.02, 0.05],
    });
    expect(deviceProfiles["iot"]).toMatchObject({ uplinkBytesPerSec: 16_000, downlinkBytesPerSec: 64_000, latencyMs: 300 });
    expect(Object.keys(deviceProfiles)).toEqual([...deviceProfileNames]);
  });

  test("assignMix refuses names that are only inherited and shares that are not numbers", () => {
    expect(() => assignMix({ toString: 1 }, 3)).toThrow('unknown profile "toString"');
    expect(() => assignMix({ iot: NaN }, 3)).toThrow('share of "iot"');
  });
});

describe("mix", () => {
  test("100 peers get the shares exactly, whatever the seed", () => {
    for (const seed of [1, 2, 3, 4]) {
      expect(countsOf(checkDevices(mix(prototype), ids(100), seed))).toEqual({ edge_server: 5, smartphone_high: 20, smartphone_low: 40, raspberry_pi: 20, iot: 15 });
    }
    const sevenths = { edge_server: 0.07, smartphone_high: 0.29, smartphone_low: 0.33, raspberry_pi: 0.01, iot: 0.3 };
    expect(countsOf(assign(mix(sevenths), ids(100)))).toEqual({ edge_server: 7, smartphone_high: 29, smartphone_low: 33, raspberry_pi: 1, iot: 30 });
  });

  test("any roster size: counts sum to the roster and each is within one of share × size", () => {
    for (const n of [1, 2, 3, 7, 13, 64, 99]) {
      const counts = countsOf(assign(mix(prototype), scrambledRoster(n)));
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(n);
      for (const [name, share] of Object.entries(prototype)) expect(Math.abs((counts[name] ?? 0) - share * n)).toBeLessThan(1);
    }
  });

  test("who gets which class is shuffled from the seed, not taken in roster order", () => {
    const peers = ids(100);
    const classes = (seed: number) => {
      const assigned = assign(mix(prototype, { jitter: 0 }), peers, seed);
      return peers.map((p) => assigned.get(p)!.name);
    };
    expect(classes(1)).not.toEqual(classes(2));
    // Grouped in roster order the first five would be the five edge servers.
    expect(classes(1).slice(0, 5)).not.toEqual(Array(5).fill("edge_server"));
  });

  test("jitter 0 gives the class profiles exactly", () => {
    for (const d of assign(mix(prototype, { jitter: 0 }), ids(100)).values()) expect(d).toEqual(deviceProfiles[d.name]!);
  });

  test("every jittered number lies within [1 − jitter, 1 + jitter] of its class's, the factors spread over the range, the share and name stay", () => {
    for (const jitter of [0.05, 0.1, 0.5, mixJitterMax]) {
      const factors: number[] = [];
      for (const d of assign(mix(prototype, { jitter }), ids(100), 7).values()) {
        const base = deviceProfiles[d.name]!;
        expect(d.acceleratorShare).toBe(base.acceleratorShare);
        for (const f of ["uplinkBytesPerSec", "downlinkBytesPerSec", "latencyMs", "loss", "computeSpeed"] as const) {
          const b = base[f]!;
          if (b === 0) {
            expect(d[f]).toBe(0);
            continue;
          }
          const factor = d[f]! / b;
          expect(factor).toBeGreaterThanOrEqual(1 - jitter - 1e-12);
          expect(factor).toBeLessThanOrEqual(1 + jitter + 1e-12);
          factors.push(factor);
        }
      }
      // 100 peers × 4–5 fields: both outer tenths of the range are hit, so the bound is the range, not narrower.
      expect(Math.min(...factors)).toBeLessThan(1 - 0.8 * jitter);
      expect(Math.max(...factors)).toBeGreaterThan(1 + 0.8 * jitter);
    }
  });

  test("a peer's jitter comes from the seed and its id: the same in a reordered roster", () => {
    const peers = ids(40);
    const a = assign(mix(prototype), peers, 5);
    const b = assign(mix(prototype), [...peers].reverse(), 5);
    const factor = (d: DeviceProfile) => d.latencyMs / deviceProfiles[d.name]!.latencyMs;
    for (const p of peers) expect(factor(b.get(p)!)).toBeCloseTo(factor(a.get(p)!), 12);
    expect(assign(mix(prototype), peers, 6)).not.toEqual(a);
  });

  test("assigning twice from one plugin gives the same devices (draws come from the seed, not from consumption)", () => {
    const plugin = mix(prototype)({ rng: new SeededRng(3) });
    expect(plugin.assign(ids(30))).toEqual(plugin.assign(ids(30)));
  });

  test("shares that sum to 1 up to float rounding are accepted; a class with share 0 gets no peers", () => {
    expect(countsOf(assign(mix({ edge_server: 0.1, smartphone_high: 0.2, iot: 0.7, raspberry_pi: 0 }), ids(10)))).toEqual({ edge_server: 1, smartphone_high: 2, iot: 7 });
  });

  test("bad shares and jitter fail at the call with messages that name the field", () => {
    const bad = (shares: unknown, options?: unknown) => () => mix(shares as DeviceShares, options as { jitter?: number });
    expect(bad({ toaster: 0.5, fridge: 0.5 })).toThrow('mix.shares: unknown device profiles "toaster", "fridge" (known: edge_server, smartphone_high, smartphone_low, raspberry_pi, iot)');
    expect(bad({ edge_server: 0.5, toString: 0.5 })).toThrow('mix.shares: unknown device profile "toString"');
    expect(bad({ edge_server: 1.1, iot: -0.1 })).toThrow("mix.shares.iot: expected a finite number ≥ 0, got -0.1");
    expect(bad({ edge_server: 0.5, iot: "0.5" })).toThrow('mix.shares.iot: expected a finite number ≥ 0, got "0.5"');
    expect(bad({ edge_server: Infinity })).toThrow("mix.shares.edge_server: expected a finite number ≥ 0, got Infinity");
    expect(bad({ edge_server: 0.5, iot: 0.4 })).toThrow("mix.shares: the shares sum to 0.9, expected 1 (± 1e-9)");
    expect(bad({})).toThrow("mix.shares: the shares sum to 0, expected 1");
    expect(bad(undefined)).toThrow("mix.shares: expected an object mapping device profile names to shares, got undefined");
    expect(bad([0.5, 0.5])).toThrow("mix.shares: expected an object mapping device profile names to shares, got an array");
    expect(bad({ iot: 1 }, { jitter: 1 })).toThrow("mix.jitter: expected a number in [0, 0.9], got 1");
    expect(bad({ iot: 1 }, { jitter: NaN })).toThrow("mix.jitter: expected a number in [0, 0.9], got NaN");
    expect(bad({ iot: 1 }, { jitter: "0.1" })).toThrow("mix.jitter: expected a number in [0, 0.9], got 0.1");
  });

  test("describes itself by its shares and the defaulted jitter", () => {
    expect(describePlugin(mix({ edge_server: 0.5, iot: 0.5 }))).toBe('mix({ shares: {"edge_server":0.5,"iot":0.5}, jitter: 0.1 })');
  });
});
