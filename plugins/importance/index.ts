export { magnitude, meanAbsoluteChange } from "./magnitude.ts";
export { random } from "./random.ts";
export type { ImportanceDeps, ImportanceFactory, ImportanceInput, ImportancePlugin } from "./types.ts";
