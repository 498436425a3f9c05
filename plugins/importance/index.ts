export { adaptive, type AdaptiveOptions } from "./adaptive.ts";
export { fisher, fisherDiagonal, type FisherOptions } from "./fisher.ts";
export { l2, rootMeanSquareChange, tensorDepths, type L2Options } from "./l2.ts";
export { magnitude, magnitudeWindowMax, meanAbsoluteChange, type MagnitudeOptions } from "./magnitude.ts";
export { random } from "./random.ts";
export { connectionSensitivity, snip, type SnipOptions } from "./snip.ts";
export { probeExamplesMax } from "./types.ts";
export type { ImportanceDeps, ImportanceFactory, ImportanceInput, ImportancePlugin, ImportanceProbe } from "./types.ts";
