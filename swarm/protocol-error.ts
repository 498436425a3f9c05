/**
 * Operating error: a peer sent bytes we will not act on. Handled where it happens (strike, drop the message);
 * never crashes the process and never reaches aggregation.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    message: string,
    /** Dotted path of the offending field, when one is to blame (e.g. `chunks[3].sha256`). */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}
