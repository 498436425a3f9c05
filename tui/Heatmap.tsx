import { Box, Text } from "ink";
import { cell, formatPct, shade, shades } from "./format.ts";
import type { HeatmapData } from "./selectors.ts";

export interface HeatmapProps {
  data: HeatmapData;
}

const legend = `${shades[4]} all  ${shades[3]} most  ${shades[2]} some  ${shades[1]} few  ${shades[0]} none`;

/**
 * Origins (rarest first) × pieces: on the left what the selected peer holds, on the right how far the swarm is
 * through each origin's pieces; the lighter the shade, the rarer.
 */
export function Heatmap({ data }: HeatmapProps) {
  if (data.round < 0 || data.rows.length === 0) return <Text dimColor>no pieces have moved yet</Text>;
  const peerWidth = Math.max(4, ...data.rows.map((r) => r.peerCells.length));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        round {data.round + 1} · {data.peersInRound} peers swarming · selected {data.peer ?? "–"} · {legend}
      </Text>
      <Text bold wrap="truncate">
        {cell("origin", 12)}
        {cell("rarity", 7, "right")}
        {cell("holders", 8, "right")}
        {"  "}
        {cell(data.peer ?? "peer", peerWidth)}
        {"  "}swarm
      </Text>
      {data.rows.map((r) => (
        <Text key={r.origin} wrap="truncate">
          {cell(r.origin, 12)}
          {cell(r.published ? formatPct(r.rarity) : "unpub", 7, "right")}
          {cell(String(r.holders), 8, "right")}
          {"  "}
          {cell(r.peerCells.map(shade).join(""), peerWidth)}
          {"  "}
          {r.swarmCells.map(shade).join("")}
        </Text>
      ))}
      {data.hiddenRows > 0 ? <Text dimColor>+ {data.hiddenRows} more origins</Text> : null}
    </Box>
  );
}
