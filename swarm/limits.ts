/**
 * Every cap the wire and the swarm enforce, with its reason. Units go last in names.
 * A peer that exceeds a wire limit commits a protocol error (a strike); see ProtocolError.
 */

/** Largest frame we decode: one piece plus headers. Bounds the memory one message can make us allocate. */
export const frameBytesMax = 4 * 1024 * 1024 + 4096;

/** Largest piece payload. Chunking keeps pieces far below this; bigger would defeat pipelining. */
export const pieceBytesMax = 4 * 1024 * 1024;

/** Chunks one manifest may list: a 64 M-parameter float32 model in 16 KiB pieces fits. */
export const chunksPerManifestMax = 16_384;

/** Origins a bitfield may describe (= peers in one swarm). Bounds bitfield decode cost. */
export const originsPerSwarmMax = 4_096;

/** Peer and swarm ids are short printable tokens; longer input is noise or an attack. */
export const idLengthMax = 64;

/** Shared-secret / token length in hello. */
export const authLengthMax = 256;

/** Rounds are counters; above this the peer is lying or broken. */
export const roundMax = 1_000_000_000;

/** SHA-256 digests and layout hashes are exactly this long. */
export const digestBytes = 32;

/** Signature field upper bound (Ed25519 is 64 bytes; room for other schemes). */
export const sigBytesMax = 256;

/** Requests we ask of one session at once: the pipeline never exceeds this whatever bandwidth × RTT says. */
export const requestsInFlightMax = 64;

/** Requests we keep in flight per unchoked session even before any rate is measured. */
export const requestsInFlightMin = 1;

/** Requests a remote may have queued with us; more is flooding and earns a strike. */
export const servedQueueMax = 256;

/** Manifests accepted per round: one per origin, and no more origins than a swarm can hold. */
export const manifestsPerRoundMax = originsPerSwarmMax;

/** Protocol errors tolerated from one peer before it is banned for the run. */
export const strikesBeforeBan = 3;

/** Rounds ahead of ours for which we still buffer state (catching up); further is rejected. */
export const roundsAheadMax = 2;

/** Importance scores are bounded so a peer cannot monopolise a picker with an absurd weight. */
export const importanceMax = 1e6;
