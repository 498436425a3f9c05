/**
 * Lets the event loop run I/O callbacks (socket frames, timers) before continuing. Real clock only: long
 * synchronous work (a peer's training) awaits this between batches so the swarm keeps moving. The virtual
 * clock needs no yielding: it waits for tracked work before time moves.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
