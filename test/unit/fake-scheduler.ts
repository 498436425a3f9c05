import type { Scheduler } from "../../runtime/scheduler.ts";

/** A Scheduler whose time moves only when the test says so (the tests' stand-in for wall-clock timers). */
export class FakeScheduler implements Scheduler {
  now = 0;
  /** Every delay asked for, in order. */
  readonly delays: number[] = [];
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.delays.push(ms);
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Fires the timers due now, not the ones they set: one turn of the event loop. */
  turn(): void {
    const due = [...this.timers].filter(([, t]) => t.at <= this.now);
    for (const [id, t] of due) {
      this.timers.delete(id);
      t.fn();
    }
  }

  /** Moves time on by `ms`, firing every timer that falls due on the way (those set meanwhile included), in time order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }

  /** Fires every armed timer whatever its delay (not the ones they set). */
  fireAll(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const t of due) t.fn();
  }
}
