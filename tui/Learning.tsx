import { Box, Text } from "ink";
import { cell, formatBytes, formatDuration, formatPct, sparkline } from "./format.ts";
import type { LearningData } from "./selectors.ts";

export interface LearningProps {
  data: LearningData;
  /** Most recent rounds listed in the table. */
  maxRows: number;
  /** Columns to draw in: sparklines show the most recent rounds that fit. @default 100 */
  width?: number;
}

/** Label, value and round number beside a sparkline. */
const sparkMarginCols = 36;

const tableHead =
  cell("round", 7) + cell("accuracy", 10, "right") + cell("loss", 9, "right") + "  " + cell("coverage min/med/max", 22) + cell("degraded", 9, "right") + cell("payload", 10, "right") + cell("swarm", 10, "right") + cell("round", 10, "right");

/** Accuracy and loss per round as sparklines, the baselines beside them, and the last rounds in a table. */
export function Learning({ data, maxRows, width = 100 }: LearningProps) {
  const last = data.rounds[data.rounds.length - 1];
  const fit = Math.max(1, width - sparkMarginCols);
  const accuracy = data.accuracy.slice(-fit);
  const loss = data.loss.slice(-fit);
  const baselines = data.baselines.map((b) => {
    const gap = last === undefined ? "" : ` (${last.accuracy - b.accuracy >= 0 ? "+" : "−"}${Math.abs(last.accuracy - b.accuracy).toFixed(3)})`;
    return `${b.kind} ${b.accuracy.toFixed(3)}${gap}`;
  });
  const shown = data.rounds.slice(Math.max(0, data.rounds.length - Math.max(0, maxRows)));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {cell("accuracy", 10)}
        {last === undefined ? "no round finished yet" : `${sparkline(accuracy)}  ${last.accuracy.toFixed(3)} (round ${last.round + 1})`}
      </Text>
      <Text wrap="truncate">
        {cell("loss", 10)}
        {last === undefined ? "–" : `${sparkline(loss)}  ${last.loss.toFixed(3)}`}
      </Text>
      {baselines.length > 0 ? <Text wrap="truncate">{cell("baseline", 10)}{baselines.join(" · ")}</Text> : null}
      {shown.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold wrap="truncate">{tableHead}</Text>
          {shown.map((r) => (
            <Text key={r.round} wrap="truncate">
              {cell(String(r.round + 1), 7) +
                cell(r.accuracy.toFixed(3), 10, "right") +
                cell(r.loss.toFixed(3), 9, "right") +
                "  " +
                cell(`${formatPct(r.coverage.min)}/${formatPct(r.coverage.median)}/${formatPct(r.coverage.max)}`, 22) +
                cell(String(r.degradedPeers), 9, "right") +
                cell(formatBytes(r.payloadBytes), 10, "right") +
                cell(formatDuration(r.swarmMs), 10, "right") +
                cell(formatDuration(r.roundMs), 10, "right")}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
