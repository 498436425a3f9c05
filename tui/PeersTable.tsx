import { Box, Text } from "ink";
import { cell, formatPct, formatRate } from "./format.ts";
import { scrollStart } from "./navigation.ts";
import type { PeerRow } from "./selectors.ts";

export interface PeersTableProps {
  rows: readonly PeerRow[];
  /** Index into rows (clamped). */
  selected: number;
  /** Peer rows shown at once; the window scrolls to keep the selection in it. */
  height: number;
}

const columns = "  " + cell("peer", 12) + cell("state", 10) + cell("round", 6) + cell("cover", 6, "right") + cell("up", 12, "right") + cell("down", 12, "right") + "  " + cell("device", 14) + cell("acc", 6, "right") + "  flags";

function line(r: PeerRow, mark: string): string {
  const flags = [r.degraded ? "degraded" : "", r.bannedBy > 0 ? `banned×${r.bannedBy}` : ""].filter(Boolean).join(" ");
  return (
    mark +
    cell(r.id, 12) +
    cell(r.state ?? "–", 10) +
    cell(String(r.round + 1), 6) +
    cell(formatPct(r.coverage), 6, "right") +
    cell(formatRate(r.upRate), 12, "right") +
    cell(formatRate(r.downRate), 12, "right") +
    "  " +
    cell(r.device ?? "–", 14) +
    cell(r.accuracy === undefined ? "–" : r.accuracy.toFixed(3), 6, "right") +
    "  " +
    flags
  );
}

const stateColor: Partial<Record<string, string>> = { failed: "red", left: "gray", grace: "yellow", done: "green" };

/** One row per peer, a window of `height` rows around the selected one, and where the window is. */
export function PeersTable({ rows, selected, height }: PeersTableProps) {
  const sel = Math.max(0, Math.min(selected, rows.length - 1));
  const start = scrollStart(sel, rows.length, height);
  const shown = rows.slice(start, start + Math.max(0, height));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">{columns}</Text>
      {shown.map((r, i) => {
        const isSel = start + i === sel;
        return (
          <Text key={r.id} wrap="truncate" inverse={isSel} color={isSel ? undefined : stateColor[r.state ?? ""]}>
            {line(r, isSel ? "› " : "  ")}
          </Text>
        );
      })}
      <Text dimColor wrap="truncate">
        {rows.length === 0 ? "no peers yet" : `peers ${start + 1}–${start + shown.length} of ${rows.length}`}
      </Text>
    </Box>
  );
}
