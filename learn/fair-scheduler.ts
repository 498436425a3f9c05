/**
 * Weighted fair queueing for the one trainer a process's peers share (self-clocked fair queueing, Golestani
 * 1994). Each job belongs to a flow (a peer) with a weight (its device's accelerator share) and costs some work
 * (examples × epochs). On arrival it gets a finish tag
 *
 *   finish = max(virtualTime, lastFinish[flow]) + cost / weight
 *
 * and whenever the trainer is free the waiting job with the smallest tag runs (ties: earlier arrival first).
 * virtualTime is the tag of the job last started, so a flow that was idle re-enters at the present instead of
 * cashing in credit for the time it did not use. Over a busy period each waiting flow gets the trainer in
 * proportion to its weight: with equal costs a weight-1 peer runs four jobs for every one of a weight-0.25 peer.
 * When the queue drains the tags start again from 0.
 *
 * One job runs at a time. No timers, no clock: the order depends only on the order of `submit` calls and their
 * arguments, so it is deterministic.
 */

export interface FairJob<T> {
  /** Whose job this is: jobs of one flow queue behind each other's tags. Compared by identity (===). */
  flow: unknown;
  /** The flow's share of the trainer relative to the others': finite and > 0. */
  weight: number;
  /** The job's work in a unit common to all jobs (examples × epochs): finite and ≥ 0. */
  cost: number;
  /** The work itself; runs once the job's turn comes. A throw or rejection fails this job only. */
  run: () => T | Promise<T>;
}

interface Waiting {
  finish: number;
  /** Arrival number, the tie-break. */
  seq: number;
  start: () => void;
}

export class FairScheduler {
  private virtualTime = 0;
  private readonly lastFinish = new Map<unknown, number>();
  private readonly queue: Waiting[] = [];
  private seq = 0;
  private busy = false;
  private pumpPending = false;

  /** Jobs submitted and not yet started. */
  get waiting(): number {
    return this.queue.length;
  }

  /** True while a job runs. */
  get running(): boolean {
    return this.busy;
  }

  /**
   * Queues `job`; the promise settles with its result after it has run. The choice of the next job is made a
   * microtask later, so jobs submitted by the same synchronous code compete by tag even on an idle trainer.
   */
  submit<T>(job: FairJob<T>): Promise<T> {
    if (!(Number.isFinite(job.weight) && job.weight > 0)) throw new RangeError(`fair scheduler: weight must be finite and > 0, got ${job.weight}`);
    if (!(Number.isFinite(job.cost) && job.cost >= 0)) throw new RangeError(`fair scheduler: cost must be finite and ≥ 0, got ${job.cost}`);
    const finish = Math.max(this.virtualTime, this.lastFinish.get(job.flow) ?? 0) + job.cost / job.weight;
    this.lastFinish.set(job.flow, finish);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.virtualTime = finish;
        // The caller hears first, then the next job is chosen: a peer that asks again at once still competes.
        void Promise.resolve()
          .then(job.run)
          .then(
            (value) => (resolve(value), this.settled()),
            (error: unknown) => (reject(error), this.settled()),
          );
      };
      this.queue.push({ finish, seq: this.seq++, start });
      this.schedulePump();
    });
  }

  private settled(): void {
    this.busy = false;
    if (this.queue.length === 0) {
      this.virtualTime = 0;
      this.lastFinish.clear();
      this.seq = 0;
    }
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.busy || this.pumpPending) return;
    this.pumpPending = true;
    void Promise.resolve().then(() => {
      this.pumpPending = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    let best = 0;
    for (let i = 1; i < this.queue.length; i++) {
      const a = this.queue[i]!;
      const b = this.queue[best]!;
      if (a.finish < b.finish || (a.finish === b.finish && a.seq < b.seq)) best = i;
    }
    const [next] = this.queue.splice(best, 1);
    this.busy = true;
    next!.start();
  }
}
