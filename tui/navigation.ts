/**
 * What the keyboard changes in the TUI (which tab, which peer) as a pure reducer, so App stays a thin shell
 * and key handling is testable without a terminal.
 */
import type { Key } from "ink";

export const tabs = ["peers", "swarm", "learning", "events"] as const;
export type Tab = (typeof tabs)[number];

export interface UiState {
  tab: Tab;
  /** Index into the peers (order of first appearance); clamped to the peers present when used. */
  selected: number;
}

export const initialUi: UiState = { tab: "peers", selected: 0 };

export type UiAction =
  | { type: "select.move"; by: number }
  | { type: "select.first" }
  | { type: "select.last" }
  | { type: "tab.next" }
  | { type: "tab.previous" }
  | { type: "tab.show"; tab: Tab }
  | { type: "pause" }
  | { type: "quit" };

/** Rows a page key moves the selection. */
export const pageRows = 10;

/** The action a key stands for, or undefined for keys the TUI ignores. */
export function keyAction(input: string, key: Key): UiAction | undefined {
  if (key.upArrow) return { type: "select.move", by: -1 };
  if (key.downArrow) return { type: "select.move", by: 1 };
  if (key.pageUp) return { type: "select.move", by: -pageRows };
  if (key.pageDown) return { type: "select.move", by: pageRows };
  if (key.home) return { type: "select.first" };
  if (key.end) return { type: "select.last" };
  if (key.tab) return key.shift ? { type: "tab.previous" } : { type: "tab.next" };
  // Ctrl-C quits like q (the TUI owns the keyboard in raw mode, so it must not be lost).
  if (key.ctrl && input === "c") return { type: "quit" };
  if (key.ctrl || key.meta) return undefined;
  if (input === "p") return { type: "pause" };
  if (input === "q") return { type: "quit" };
  const n = Number(input);
  if (input.length === 1 && Number.isInteger(n) && n >= 1 && n <= tabs.length) return { type: "tab.show", tab: tabs[n - 1]! };
  return undefined;
}

/** `peers` is how many can be selected; pause and quit leave the state as it is (App calls its callbacks). */
export function reduceUi(ui: UiState, action: UiAction, peers: number): UiState {
  const last = Math.max(0, peers - 1);
  const at = Math.min(ui.selected, last);
  switch (action.type) {
    case "select.move":
      return { ...ui, selected: Math.max(0, Math.min(last, at + action.by)) };
    case "select.first":
      return { ...ui, selected: 0 };
    case "select.last":
      return { ...ui, selected: last };
    case "tab.next":
      return { ...ui, tab: tabs[(tabs.indexOf(ui.tab) + 1) % tabs.length]! };
    case "tab.previous":
      return { ...ui, tab: tabs[(tabs.indexOf(ui.tab) + tabs.length - 1) % tabs.length]! };
    case "tab.show":
      return { ...ui, tab: action.tab };
    case "pause":
    case "quit":
      return ui;
  }
}

/**
 * The first row of a `height`-row window over `total` rows that keeps `selected` visible, roughly centred,
 * and never scrolls past either end.
 */
export function scrollStart(selected: number, total: number, height: number): number {
  if (total <= height || height <= 0) return 0;
  const centred = selected - Math.floor(height / 2);
  return Math.max(0, Math.min(total - height, centred));
}
