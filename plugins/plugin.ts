import type { AggregationFactory } from "./aggregation/types.ts";
import type { DeviceFactory } from "./devices/types.ts";
import type { FaultFactory } from "./faults/types.ts";
import type { ImportanceFactory } from "./importance/types.ts";
import type { TopologyFactory } from "./topology/types.ts";

/** The factory type of each plugin kind (the second stage, `(deps) => Plugin`). */
export interface PluginFactories {
  topology: TopologyFactory;
  importance: ImportanceFactory;
  devices: DeviceFactory;
  aggregation: AggregationFactory;
  faults: FaultFactory;
}

export type PluginKind = keyof PluginFactories;

export const pluginKinds: readonly PluginKind[] = ["topology", "importance", "devices", "aggregation", "faults"];

/** What a branded factory carries, so a scenario can check each slot's kind and describe it in logs. */
export interface PluginBrand<K extends PluginKind = PluginKind> {
  readonly pluginKind: K;
  /** The plugin's name as users write it, e.g. "mesh". */
  readonly pluginName: string;
  /** The (validated, defaulted) options the factory was made from; `undefined` when it takes none. */
  readonly pluginOptions: unknown;
}

/** A factory of kind K that knows its kind, name and options. Every shipped plugin factory returns one. */
export type PluginFactory<K extends PluginKind> = PluginFactories[K] & PluginBrand<K>;

/**
 * Brands `factory` as a plugin of `kind`. Returns a callable that forwards to `factory` and carries readonly
 * `pluginKind`, `pluginName` and `pluginOptions`; `factory` itself is left untouched (it may be shared or frozen).
 */
export function brand<K extends PluginKind>(kind: K, name: string, options: unknown, factory: PluginFactories[K]): PluginFactory<K> {
  const call = factory as (deps: unknown) => unknown;
  const forward = (deps: unknown) => call(deps);
  Object.defineProperties(forward, {
    name: { value: name },
    pluginKind: { value: kind, enumerable: true },
    pluginName: { value: name, enumerable: true },
    pluginOptions: { value: options, enumerable: true },
  });
  return forward as unknown as PluginFactory<K>;
}

/** True when `value` is a branded plugin factory (of `kind`, when given). */
export function isPlugin<K extends PluginKind>(value: unknown, kind: K): value is PluginFactory<K>;
export function isPlugin(value: unknown): value is PluginFactory<PluginKind>;
export function isPlugin(value: unknown, kind?: PluginKind): boolean {
  if (typeof value !== "function") return false;
  const b = value as unknown as Partial<PluginBrand>;
  if (typeof b.pluginName !== "string" || !pluginKinds.includes(b.pluginKind as PluginKind)) return false;
  return kind === undefined || b.pluginKind === kind;
}

/** `mesh({ degree: 6 })`, `random()`, `uniform("edge_server")`: how a user would write the plugin. */
export function describePlugin(plugin: PluginBrand): string {
  return `${plugin.pluginName}(${formatOptions(plugin.pluginOptions)})`;
}

function formatOptions(options: unknown): string {
  if (options === undefined) return "";
  if (options === null || typeof options !== "object" || Array.isArray(options)) return JSON.stringify(options) ?? String(options);
  const entries = Object.entries(options).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "";
  return `{ ${entries.map(([k, v]) => `${k}: ${JSON.stringify(v) ?? String(v)}`).join(", ")} }`;
}
