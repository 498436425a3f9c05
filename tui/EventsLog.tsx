import { Box, Text } from "ink";
import { cell, formatDuration } from "./format.ts";
import type { EventsData } from "./selectors.ts";
import type { LogKind } from "./view-model.ts";

export interface EventsLogProps {
  data: EventsData;
}

const kindColor: Record<LogKind, string | undefined> = {
  run: "cyan",
  fault: "red",
  ban: "magenta",
  timeout: "yellow",
  failed: "red",
  left: "gray",
};

/** Faults, bans, timeouts and failures, oldest first, stamped with run time. */
export function EventsLog({ data }: EventsLogProps) {
  if (data.lines.length === 0) return <Text dimColor>no events yet</Text>;
  return (
    <Box flexDirection="column">
      {data.earlier > 0 ? <Text dimColor>… {data.earlier} earlier</Text> : null}
      {data.lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {cell(`+${formatDuration(l.at)}`, 11)}
          <Text color={kindColor[l.kind]}>{cell(l.kind, 8)}</Text>
          {cell(l.peer ?? "", 12)}
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
