import { useState } from "react";
import type { TelemetrySource } from "../telemetry/events.ts";
import { App } from "./App.tsx";
import { useSwarmView, type Scheduler } from "./use-swarm-view.ts";
import { useTerminalSize } from "./use-terminal-size.ts";

export interface SwarmTuiProps {
  source: TelemetrySource;
  /** Called on `q`; the owner unmounts (and stops the run if it wants to). */
  onQuit: () => void;
  /** Told when `p` flips the picture's pause, e.g. to pause a virtual clock as well. */
  onPauseChange?: (paused: boolean) => void;
  /** @default globalScheduler */
  scheduler?: Scheduler;
  /** Rows and columns to draw in. @default ink's stdout size, following resizes */
  height?: number;
  width?: number;
}

/** A live source wired to App: the feed (throttled), and the pause switch that freezes the picture. */
export function SwarmTui({ source, onQuit, onPauseChange, scheduler, height, width }: SwarmTuiProps) {
  const [paused, setPaused] = useState(false);
  const size = useTerminalSize();
  const view = useSwarmView(source, scheduler === undefined ? { paused } : { paused, scheduler });
  const onPause = () => {
    const next = !paused;
    setPaused(next);
    onPauseChange?.(next);
  };
  return <App view={view} paused={paused} onPause={onPause} onQuit={onQuit} height={height ?? size.rows} width={width ?? size.columns} />;
}
