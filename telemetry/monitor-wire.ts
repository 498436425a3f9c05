/**
 * The monitor's wire format, shared by telemetry/monitor-server.ts and telemetry/monitor-client.ts.
 *
 * Frame (one binary WebSocket message): msgpack of `{ v: monitorWireVersion, events: TelemetryEvent[] }`,
 * maps as plain objects. A client folds the events in order; a frame that starts with `run.started` is a
 * snapshot (tui/view-model.ts starts a fresh view there).
 */
import { Packr } from "msgpackr";
import { parseTelemetryEvent, TelemetryError, type TelemetryEvent } from "./events.ts";

/** Bumped when a frame's layout changes; a client drops frames of other versions rather than misreading them. */
export const monitorWireVersion = 1;

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false });

export function encodeMonitorFrame(events: readonly TelemetryEvent[]): Uint8Array {
  return packr.pack({ v: monitorWireVersion, events });
}

/** A decoded frame: the events that validated, and one message per event that did not. */
export interface DecodedMonitorFrame {
  events: TelemetryEvent[];
  rejected: string[];
}

/**
 * Decodes one frame. A frame that is not msgpack, not `{v, events}` or of another version throws
 * TelemetryError (path "frame" or "frame.v"); a bad event inside a good frame is left out and named in
 * `rejected` (e.g. "events[3].t: expected a finite number, got string"). Nothing else is thrown.
 */
export function decodeMonitorFrame(bytes: Uint8Array): DecodedMonitorFrame {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (e) {
    throw new TelemetryError("frame", `malformed msgpack (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new TelemetryError("frame", "expected {v, events}");
  const { v, events } = raw as { v?: unknown; events?: unknown };
  if (v !== monitorWireVersion) throw new TelemetryError("frame.v", `expected version ${monitorWireVersion}, got ${typeof v === "number" ? v : typeof v}`);
  if (!Array.isArray(events)) throw new TelemetryError("frame.events", "expected an array");
  const out: DecodedMonitorFrame = { events: [], rejected: [] };
  events.forEach((value: unknown, i) => {
    try {
      out.events.push(parseTelemetryEvent(value));
    } catch (e) {
      out.rejected.push(`events[${i}].${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return out;
}
