import { parse, View, Error as VegaLogError } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/**
 * Vega's SVG renderer names clip paths and gradients from process-wide counters (`clip1`, `gradient_0`), so
 * the same chart drawn twice gets different ids, and two charts inlined in one page can share one. Every such
 * id is renamed `<key>-d<n>`, n counted in order of first use within the chart: the same chart always reads
 * the same, and ids stay unique across a page whose chart keys are.
 */
const DEF_ID = /\b(id="|url\(#)((?:p_)?(?:clip|gradient_)\d+)/g;

/** Draws one Vega-Lite spec as a standalone SVG string, headless: no DOM, no canvas, no network. */
export async function renderSvg(key: string, spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none", logLevel: VegaLogError });
  try {
    return renameDefIds(key, await view.toSVG());
  } finally {
    view.finalize();
  }
}

export function renameDefIds(key: string, svg: string): string {
  const ids = new Map<string, number>();
  return svg.replace(DEF_ID, (_match, lead: string, id: string) => {
    let n = ids.get(id);
    if (n === undefined) ids.set(id, (n = ids.size));
    return `${lead}${key}-d${n}`;
  });
}
