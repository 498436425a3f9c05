/**
 * What a person (the TUI's p and q, Ctrl-C) can do to a running scenario: pause it (a virtual clock holds time
 * still; real time cannot be held, so a real run only freezes its picture) and stop it early. `runScenario`
 * listens; the report then holds the rounds finished before the stop.
 */
export class RunControl {
  private pausedNow = false;
  private stopReason: string | undefined;
  private readonly listeners = new Set<() => void>();

  get paused(): boolean {
    return this.pausedNow;
  }

  /** Why the run was stopped, or undefined while it may go on. */
  get stopped(): string | undefined {
    return this.stopReason;
  }

  setPaused(paused: boolean): void {
    if (this.pausedNow === paused || this.stopReason !== undefined) return;
    this.pausedNow = paused;
    this.changed();
  }

  /** Stops the run (idempotent; the first reason wins). A stopped run is no longer paused. */
  stop(reason = "stopped"): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.pausedNow = false;
    this.changed();
  }

  /** Calls `fn` after every change; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
