/** Coverage steps worth telling the machine about (it only needs the value at the deadline, or a crossing). */
export const progressStep = 0.02;

/**
 * A peer's coverage of its active round, kept incrementally: an exact recount from the swarm's per-origin
 * progress (O(origins)) when the round starts, a manifest arrives or we publish, and +1 per verified piece between.
 * It reports when coverage moved a progressStep or crossed minCompletion, so the value the deadline guard reads
 * is exact at the threshold without an event per piece. Pieces that arrive before the round starts here count
 * against no goal and are ignored until the round's first recount.
 */
export class CoverageMeter {
  private held = 0;
  private expected = 1;
  private counting = false;
  private last = -1;

  constructor(
    private readonly minCompletion: number,
    private readonly report: (coverage: number) => void,
  ) {}

  /** The round started here: count from now on, and report afresh. */
  begin(progress: Iterable<{ held: number; count: number }>): void {
    this.recount(progress);
    this.counting = true;
    this.last = -1;
  }

  recount(progress: Iterable<{ held: number; count: number }>): void {
    this.held = 0;
    this.expected = 0;
    for (const p of progress) {
      this.held += p.held;
      this.expected += p.count;
    }
    if (this.expected === 0) this.expected = 1;
  }

  /** One more verified piece of an expected origin of the active round. */
  piece(): void {
    if (!this.counting) return;
    this.held++;
    this.maybeReport();
  }

  /** Reports the current value whatever the last report was (entering `swarm`). */
  reportNow(): void {
    this.last = -1;
    this.maybeReport();
  }

  private maybeReport(): void {
    const c = this.held / this.expected;
    const crossed = c >= this.minCompletion && this.last < this.minCompletion;
    if (!crossed && c < 1 && c - this.last < progressStep) return;
    this.last = c;
    this.report(c);
  }
}
