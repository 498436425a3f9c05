/**
 * The two phases of a VOPR run (TigerBeetle's Viewstamped Operation Replicator, FoundationDB's simulator): a
 * SAFETY phase in which faults drawn from the seed fire, then — once, for good — a LIVENESS phase with the network
 * healed, in which every live peer must finish the next round. Fault code asks `safety` before acting; the heal runs
 * every registered healer in registration order, synchronously, so no frame slips through between two of them.
 */
export class Phase {
  /** Clock time of the heal; undefined while the safety phase lasts. */
  healedAtMs: number | undefined;
  private readonly healers: Array<() => void> = [];

  get safety(): boolean {
    return this.healedAtMs === undefined;
  }

  /** Runs `fn` at the heal (or never, if the run ends first). */
  onHeal(fn: () => void): void {
    this.healers.push(fn);
  }

  /** Ends the safety phase at `nowMs`. Idempotent: only the first call heals. */
  heal(nowMs: number): void {
    if (!this.safety) return;
    this.healedAtMs = nowMs;
    for (const h of this.healers) h();
  }
}

/** Faults injected in a run (or many), by kind: "drop", "partition:bridge", "crash", "corrupt piece", … */
export class Tally {
  readonly counts = new Map<string, number>();

  add(kind: string, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  /** Adds every count of `other` (a seed's tally into a batch's). */
  merge(other: Readonly<Record<string, number>>): void {
    for (const [k, v] of Object.entries(other)) this.add(k, v);
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** Counts as a plain object with keys in sorted order (stable JSON). */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
