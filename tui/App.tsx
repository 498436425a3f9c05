import { Box, Text, useInput } from "ink";
import { useMemo, useState } from "react";
import { EventsLog } from "./EventsLog.tsx";
import { Header } from "./Header.tsx";
import { Heatmap } from "./Heatmap.tsx";
import { Learning } from "./Learning.tsx";
import { initialUi, keyAction, reduceUi, tabs, type UiState } from "./navigation.ts";
import { PeersTable } from "./PeersTable.tsx";
import { selectEvents, selectHeader, selectHeatmap, selectLearning, selectPeerRows } from "./selectors.ts";
import type { SwarmView } from "./view-model.ts";

export interface AppProps {
  view: SwarmView;
  /** Shown in the header; `p` asks the owner to flip it through `onPause`. @default false */
  paused?: boolean;
  onPause: () => void;
  onQuit: () => void;
  /** Terminal rows and columns (the owner passes the terminal's size). @default 24 × 100 */
  height?: number;
  width?: number;
  /** @default initialUi */
  initial?: UiState;
}

/** Header (2) + tab bar + key help, and one row left free so ink's output never scrolls the terminal. */
const chromeRows = 5;

/**
 * The whole TUI for one view. It keeps only what the keyboard changes (tab, selected peer); everything it
 * draws comes from `view` through the selectors.
 */
export function App({ view, paused = false, onPause, onQuit, height = 24, width = 100, initial = initialUi }: AppProps) {
  const [ui, setUi] = useState<UiState>(initial);
  const peers = view.peers.length;
  useInput((input, key) => {
    const action = keyAction(input, key);
    if (action === undefined) return;
    if (action.type === "pause") onPause();
    else if (action.type === "quit") onQuit();
    else setUi((u) => reduceUi(u, action, peers));
  });
  const selected = Math.max(0, Math.min(ui.selected, peers - 1));
  const selectedId = view.peers[selected]?.id;
  const body = Math.max(3, height - chromeRows);
  const header = useMemo(() => selectHeader(view), [view]);
  const rows = useMemo(() => (ui.tab === "peers" ? selectPeerRows(view) : []), [view, ui.tab]);
  const panelCols = Math.max(4, Math.floor((width - 35) / 2));
  const heatmap = useMemo(
    () => (ui.tab === "swarm" ? selectHeatmap(view, selectedId, { maxRows: body - 3, maxCols: panelCols }) : undefined),
    [view, ui.tab, selectedId, body, panelCols],
  );
  return (
    <Box flexDirection="column" width={width}>
      <Header data={header} paused={paused} />
      <Text wrap="truncate">{tabs.map((t) => (t === ui.tab ? `[${t}]` : ` ${t} `)).join(" ")}</Text>
      <Box flexDirection="column" height={body}>
        {ui.tab === "peers" ? <PeersTable rows={rows} selected={selected} height={body - 2} /> : null}
        {heatmap !== undefined ? <Heatmap data={heatmap} /> : null}
        {ui.tab === "learning" ? <Learning data={selectLearning(view)} maxRows={body - 5} width={width} /> : null}
        {ui.tab === "events" ? <EventsLog data={selectEvents(view, body - 1)} /> : null}
      </Box>
      <Text dimColor wrap="truncate">
        ↑/↓ peer · tab view · p {paused ? "resume" : "pause"} · q quit{selectedId === undefined ? "" : ` · selected ${selectedId}`}
      </Text>
    </Box>
  );
}
