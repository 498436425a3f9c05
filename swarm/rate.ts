/**
 * Exponentially weighted transfer rate in bytes/s over the injected clock's time. Converges to the true rate
 * of a steady flow with time constant `tauMs`.
 */
export class RateMeter {
  private value = 0;
  private last: number;
  total = 0;

  constructor(
    now: number,
    private readonly tauMs = 1000,
  ) {
    this.last = now;
  }

  add(bytes: number, now: number): void {
    this.decay(now);
    this.value += (bytes * 1000) / this.tauMs;
    this.total += bytes;
  }

  rate(now: number): number {
    this.decay(now);
    return this.value;
  }

  private decay(now: number): void {
    const dt = now - this.last;
    if (dt > 0) {
      this.value *= Math.exp(-dt / this.tauMs);
      this.last = now;
    }
  }
}
