/**
 * Timers for the edges that live on wall time (the TUI's redraw throttle, the run DB's flushes, replays, the
 * monitor's batches): a port, so their tests drive time by hand. Actors and the swarm use the Clock instead.
 */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's own timers. */
export const globalScheduler: Scheduler = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
