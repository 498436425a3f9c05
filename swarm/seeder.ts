import type { Logger } from "../runtime/log.ts";
import { servedQueueMax } from "./limits.ts";
import type { PeerId } from "./messages.ts";
import type { SwarmCounters } from "./node-options.ts";
import { ProtocolError } from "./protocol-error.ts";
import type { RoundBook } from "./rounds.ts";
import type { Session } from "./session.ts";
import type { PieceStore } from "./store-port.ts";

export interface SeederDeps {
  book: RoundBook;
  store: PieceStore;
  counters: SwarmCounters;
  log: Logger;
  strike(s: Session, err: ProtocolError): void;
  /** See SwarmNodeOptions.tamperServed. */
  tamperServed?: (data: Uint8Array) => Uint8Array;
}

/**
 * The serving side: requests from unchoked remotes wait in the session's queue (where `cancel` can still reach
 * them) and go out as the transport drains, read from the shared chunk store.
 */
export class Seeder {
  constructor(private readonly d: SeederDeps) {}

  request(s: Session, round: number, origin: PeerId, index: number): void {
    if (s.amChoking) return; // raced with our choke; BitTorrent drops it
    const rs = this.d.book.get(round);
    if (!rs) return; // a round we no longer serve
    const p = rs.pieceId(origin, index);
    if (p < 0 || !rs.have[p]) return this.d.strike(s, new ProtocolError(`request for ${origin}#${index}, which we never announced`));
    if (s.served.length >= servedQueueMax) return this.d.strike(s, new ProtocolError(`more than ${servedQueueMax} queued requests`));
    s.served.push({ round, origin, index });
    this.pump(s);
  }

  cancel(s: Session, round: number, origin: PeerId, index: number): void {
    const i = s.served.findIndex((r) => r.round === round && r.origin === origin && r.index === index);
    if (i >= 0) s.served.splice(i, 1);
  }

  pump(s: Session): void {
    while (s.served.length > 0 && s.sendable && !s.amChoking) {
      const r = s.served.shift()!;
      const rs = this.d.book.get(r.round);
      const p = rs?.pieceId(r.origin, r.index) ?? -1;
      if (p < 0) continue;
      const data = this.d.store.get(rs!.pieceOrigin[p]!.manifest.chunks[r.index]!.sha256);
      if (!data) {
        this.d.log.warn(`piece ${r.origin}#${r.index} of round ${r.round} left the memory tier; request dropped`);
        continue;
      }
      const out = this.d.tamperServed ? this.d.tamperServed(data) : data;
      this.d.counters.payloadOut += out.byteLength;
      s.sendPiece(r.round, r.origin, r.index, out);
    }
  }
}
