import { Box, Text } from "ink";
import { formatDuration, formatRate } from "./format.ts";
import type { HeaderData } from "./selectors.ts";

export interface HeaderProps {
  data: HeaderData;
  paused: boolean;
}

/** Two lines: what runs and how far it got; who is alive and how fast bytes move. */
export function Header({ data, paused }: HeaderProps) {
  const { round, peers } = data;
  const roundText =
    data.clock === undefined
      ? "round –"
      : `round ${Math.min(round.current + 1, round.total)}/${round.total}` + (round.slowest < round.current ? ` (slowest ${round.slowest + 1})` : "");
  const first = [
    data.scenario,
    data.clock === undefined ? undefined : `${data.clock} clock`,
    data.seed === undefined ? undefined : `seed ${data.seed}`,
    roundText,
    formatDuration(data.elapsedMs),
  ].filter((s) => s !== undefined);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>fltorrent</Text> · {first.join(" · ")}
        {data.finished ? <Text color="green"> · finished</Text> : null}
        {paused ? <Text color="yellow" bold>{data.clock === "real" ? " · PAUSED (picture only: real time goes on)" : " · PAUSED"}</Text> : null}
      </Text>
      <Text wrap="truncate">
        peers {peers.live} live · {peers.done} done · <Text color={peers.failed > 0 ? "red" : undefined}>{peers.failed} failed</Text> · {peers.left} left
        {" "}(of {peers.expected}) · ↑ {formatRate(data.upRate)} ↓ {formatRate(data.downRate)}
      </Text>
    </Box>
  );
}
