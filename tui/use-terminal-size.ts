import { useStdout } from "ink";
import { useEffect, useState } from "react";

/** Used when stdout does not say (not a TTY, or a test stream). */
export const fallbackSize = { rows: 24, columns: 100 } as const;

export interface TerminalSize {
  rows: number;
  columns: number;
}

function sizeOf(stdout: NodeJS.WritableStream): TerminalSize {
  const tty = stdout as Partial<Pick<NodeJS.WriteStream, "rows" | "columns">>;
  return { rows: tty.rows || fallbackSize.rows, columns: tty.columns || fallbackSize.columns };
}

/**
 * Ink's stdout size, following resizes. Unlike ink's useWindowSize it never shells out to ask the terminal,
 * so it is safe under tests and pipes.
 */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}
