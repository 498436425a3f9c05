import { Packr } from "msgpackr";
import { authLengthMax, frameBytesMax, idLengthMax, originsPerSwarmMax, roundMax } from "../swarm/limits.ts";
import { ProtocolError } from "../swarm/protocol-error.ts";

/**
 * Rendezvous protocol between a peer and the tracker. The tracker never sees a weight: it admits peers, tells
 * each one its neighbours (with their addresses) and the run's roster and common initial-model seed, and tells
 * the admitted peers when one of them is gone (its tracker link dropped: crashed, left or cut off) or back (a
 * restarted peer admitted again), so no round waits its whole deadline for an origin that cannot publish.
 *
 * Wire layouts (msgpack arrays):
 *   join   [1, swarmId, peerId, address, auth]
 *   admit  [2, round, modelSeed, scenario, roster[], neighbours[[peerId, address]...], expectedNeighbours, neighbourIds[]]
 *   reject [3, reason]
 *   gone   [4, peerId]
 *   back   [5, peerId]
 */
export type TrackerMessage =
  | { t: "join"; swarmId: string; peerId: string; address: string; auth: string }
  | {
      t: "admit";
      /** Round the peer starts at (a late joiner may start later than 0). */
      round: number;
      /** Seed of the common initial model. */
      modelSeed: number;
      scenario: string;
      /** Every peer id of the run: the origins a round waits for (scope "all"). */
      roster: string[];
      /** Neighbours that joined before this peer: the peer dials these. Later ones dial it. */
      neighbours: Array<{ peerId: string; address: string }>;
      /** All neighbours the topology gives this peer (dialled by it or dialling it). */
      expectedNeighbours: number;
      /** Their ids (the origins a peer aggregates with scope "neighbours"). */
      neighbourIds: string[];
    }
  | { t: "reject"; reason: string }
  /** An admitted peer's tracker link dropped: rounds stop waiting for its updates. */
  | { t: "gone"; peerId: string }
  /** A gone peer was admitted again: rounds from the next one on expect it. */
  | { t: "back"; peerId: string };

/** An address is a URL (ws://host:port or mem://name); generous but bounded. */
export const addressLengthMax = 256;
export const rejectReasonLengthMax = 512;
export const scenarioNameLengthMax = 128;

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false });

export function encodeTracker(msg: TrackerMessage): Uint8Array {
  switch (msg.t) {
    case "join":
      return packr.pack([1, msg.swarmId, msg.peerId, msg.address, msg.auth]);
    case "admit":
      return packr.pack([2, msg.round, msg.modelSeed, msg.scenario, msg.roster, msg.neighbours.map((n) => [n.peerId, n.address]), msg.expectedNeighbours, msg.neighbourIds]);
    case "reject":
      return packr.pack([3, msg.reason]);
    case "gone":
      return packr.pack([4, msg.peerId]);
    case "back":
      return packr.pack([5, msg.peerId]);
  }
}

/** Returns a validated message or throws ProtocolError (never anything else). */
export function decodeTracker(frame: Uint8Array): TrackerMessage {
  if (!(frame instanceof Uint8Array) || frame.byteLength === 0) throw new ProtocolError("empty tracker frame");
  if (frame.byteLength > frameBytesMax) throw new ProtocolError(`tracker frame of ${frame.byteLength} bytes exceeds ${frameBytesMax}`);
  let raw: unknown;
  try {
    raw = packr.unpack(frame);
  } catch (e) {
    throw new ProtocolError(`malformed msgpack (${(e as Error)?.message ?? "unknown"})`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new ProtocolError("tracker frame is not an array");
  const a = raw as unknown[];
  switch (a[0]) {
    case 1:
      arity(a, 5, "join");
      return { t: "join", swarmId: str(a[1], "swarmId", idLengthMax), peerId: id(a[2], "peerId"), address: str(a[3], "address", addressLengthMax), auth: str(a[4], "auth", authLengthMax) };
    case 2: {
      arity(a, 8, "admit");
      if (!Array.isArray(a[7]) || a[7].length > originsPerSwarmMax) throw new ProtocolError(`expected at most ${originsPerSwarmMax} ids`, "neighbourIds");
      if (!Array.isArray(a[4]) || a[4].length > originsPerSwarmMax) throw new ProtocolError(`expected at most ${originsPerSwarmMax} ids`, "roster");
      if (!Array.isArray(a[5]) || a[5].length > originsPerSwarmMax) throw new ProtocolError(`expected at most ${originsPerSwarmMax} neighbours`, "neighbours");
      return {
        t: "admit",
        round: int(a[1], "round", roundMax),
        modelSeed: int(a[2], "modelSeed", 0xffffffff),
        scenario: str(a[3], "scenario", scenarioNameLengthMax),
        roster: a[4].map((x, i) => id(x, `roster[${i}]`)),
        neighbours: a[5].map((n, i) => {
          if (!Array.isArray(n) || n.length !== 2) throw new ProtocolError("expected [peerId, address]", `neighbours[${i}]`);
          return { peerId: id(n[0], `neighbours[${i}].peerId`), address: str(n[1], `neighbours[${i}].address`, addressLengthMax) };
        }),
        expectedNeighbours: int(a[6], "expectedNeighbours", originsPerSwarmMax),
        neighbourIds: a[7].map((x, i) => id(x, `neighbourIds[${i}]`)),
      };
    }
    case 3:
      arity(a, 2, "reject");
      return { t: "reject", reason: str(a[1], "reason", rejectReasonLengthMax) };
    case 4:
      arity(a, 2, "gone");
      return { t: "gone", peerId: id(a[1], "peerId") };
    case 5:
      arity(a, 2, "back");
      return { t: "back", peerId: id(a[1], "peerId") };
    default:
      throw new ProtocolError(`unknown tracker message code ${String(a[0])}`);
  }
}

function arity(a: unknown[], n: number, what: string): void {
  if (a.length !== n) throw new ProtocolError(`${what} has ${a.length} fields, expected ${n}`);
}
function str(v: unknown, field: string, max: number): string {
  if (typeof v !== "string") throw new ProtocolError(`expected a string, got ${typeof v}`, field);
  if (v.length > max) throw new ProtocolError(`longer than ${max}`, field);
  return v;
}
function id(v: unknown, field: string): string {
  const s = str(v, field, idLengthMax);
  if (s.length === 0) throw new ProtocolError("empty id", field);
  return s;
}
function int(v: unknown, field: string, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) throw new ProtocolError(`expected an integer in [0, ${max}], got ${String(v)}`, field);
  return v;
}
