import type { Clock } from "./clock.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Logger port: scoped (`peer:ab12:swarm`) and stamped with the clock's time, virtual or real. */
export interface Logger {
  readonly scope: string;
  child(scope: string): Logger;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LogSink = (line: string) => void;

export interface LoggerOptions {
  clock: Clock;
  /** @default "warn" */
  level?: LogLevel;
  /** @default writes to stderr */
  sink?: LogSink;
  scope?: string;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = rank[opts.level ?? "warn"];
  const sink = opts.sink ?? ((line: string) => process.stderr.write(line + "\n"));
  const make = (scope: string): Logger => {
    const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
      if (rank[lvl] < level) return;
      const t = opts.clock.kind === "virtual" ? `${(opts.clock.now() / 1000).toFixed(3)}s` : new Date(opts.clock.now()).toISOString();
      const extra = fields ? " " + JSON.stringify(fields) : "";
      sink(`${t} ${lvl.padEnd(5)} ${scope} ${msg}${extra}`);
    };
    return {
      scope,
      child: (s) => make(scope ? `${scope}:${s}` : s),
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
    };
  };
  return make(opts.scope ?? "");
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  scope: "",
  child: () => silentLogger,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
