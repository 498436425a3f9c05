import type { Rng } from "../runtime/rng.ts";

/** Choker tunables. */
export interface ChokerOptions {
  /** Interested peers unchoked for their rate (tit-for-tat). @default 8 */
  regularSlots: number;
  /** Extra unchoke rotated among the rest, so newcomers can prove themselves. @default 1 */
  optimisticSlots: number;
  /** How often the choke set is recomputed. @default 1000 */
  rechokeIntervalMs: number;
  /** The optimistic slot moves every this many rechokes. @default 3 */
  optimisticEveryRechokes: number;
}

export const defaultChokerOptions: ChokerOptions = {
  regularSlots: 8,
  optimisticSlots: 1,
  rechokeIntervalMs: 1000,
  optimisticEveryRechokes: 3,
};

export interface ChokeCandidate {
  id: number;
  interested: boolean;
  /** Tit-for-tat rate: what they give us (bytes/s), or what we give them once we hold everything. */
  rate: number;
}

/**
 * Tit-for-tat with optimistic unchoking (BitTorrent). Deterministic: ties and the optimistic pick come from
 * the seeded Rng. Uninterested peers stay unchoked-eligible only if slots remain (they cost nothing).
 */
export class Choker {
  private optimistic: number[] = [];
  private rechokes = 0;

  constructor(
    private readonly rng: Rng,
    readonly opts: ChokerOptions,
  ) {}

  /** Returns the ids to unchoke; everyone else is choked. */
  rechoke(cands: readonly ChokeCandidate[]): Set<number> {
    const interested = cands.filter((c) => c.interested);
    const ranked = this.rng.shuffle([...interested]).sort((a, b) => b.rate - a.rate);
    const unchoked = new Set<number>(ranked.slice(0, this.opts.regularSlots).map((c) => c.id));
    const rest = ranked.filter((c) => !unchoked.has(c.id));
    if (this.rechokes % this.opts.optimisticEveryRechokes === 0 || this.optimistic.some((id) => !rest.some((c) => c.id === id))) {
      this.optimistic = this.rng.shuffle(rest.map((c) => c.id)).slice(0, this.opts.optimisticSlots);
    }
    this.rechokes++;
    for (const id of this.optimistic) unchoked.add(id);
    return unchoked;
  }

  /** Whether a newly interested peer may be unchoked at once (a slot is free) instead of waiting for the rechoke. */
  hasFreeSlot(unchokedInterested: number): boolean {
    return unchokedInterested < this.opts.regularSlots + this.opts.optimisticSlots;
  }
}
