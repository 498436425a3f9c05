/**
 * Mounts the swarm TUI on the terminal (alternate screen, raw keyboard) for a live run, an attached monitor or
 * a replay, and takes it down again leaving the terminal as it was.
 */
import { render } from "ink";
import type { TelemetrySource } from "../telemetry/events.ts";
import { SwarmTui } from "../tui/SwarmTui.tsx";

export interface LiveTuiOptions {
  source: TelemetrySource;
  /** q or Ctrl-C. The owner stops what it runs, then calls `close`. */
  onQuit: () => void;
  /** p: the picture is frozen; the owner may pause what it runs too (a virtual clock, a replay). */
  onPauseChange?: (paused: boolean) => void;
}

export interface LiveTui {
  /** Unmounts and restores the terminal (idempotent); resolves once the last frame is flushed. */
  close(): Promise<void>;
}

/** Whether this process can show the TUI: both ends of the terminal must be one. */
export function canShowTui(): boolean {
  return Boolean(process.stdout.isTTY && process.stdin.isTTY);
}

export function mountTui(o: LiveTuiOptions): LiveTui {
  const ink = render(<SwarmTui source={o.source} onQuit={o.onQuit} onPauseChange={o.onPauseChange} />, {
    exitOnCtrlC: false,
    patchConsole: false,
    alternateScreen: true,
    // The caller checked for a terminal; ink would otherwise fall back to one final frame whenever CI is set.
    interactive: true,
  });
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        ink.unmount();
        await ink.waitUntilExit().catch(() => undefined);
        // Raw mode off and stdin released, so the process can exit and the shell gets its terminal back.
        if (process.stdin.isTTY) process.stdin.setRawMode?.(false);
        process.stdin.pause();
      })();
      return closing;
    },
  };
}
