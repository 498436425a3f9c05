export * from "./round.ts";
