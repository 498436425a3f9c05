export { byzantine, poison, type ByzantineAttack, type ByzantineOptions } from "./byzantine.ts";
export { crash, type CrashOptions } from "./crash.ts";
export { partition, type PartitionOptions } from "./partition.ts";
export type { FaultDeps, FaultFactory, FaultPlugin, FaultTarget, FaultWorld } from "./types.ts";
