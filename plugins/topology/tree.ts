import { brand, type PluginFactory } from "../plugin.ts";
import type { Graph } from "./types.ts";

export interface TreeOptions {
  /** Children per inner peer (1 makes a path). @default 2 */
  branching?: number;
}

/**
 * tree({ branching }): a balanced tree in roster order. Peer i's children are peers b·i+1 … b·i+b, so the root
 * is the first peer, every level but the last is full, and the depth is the least d with 1 + b + … + b^d ≥ N.
 * N − 1 edges: the sparsest connected graph, where one lost inner peer cuts a subtree off. Needs no randomness.
 */
export function tree(opts: TreeOptions = {}): PluginFactory<"topology"> {
  const branching = opts.branching ?? 2;
  if (!Number.isSafeInteger(branching) || branching < 1) throw new Error(`tree.branching: expected an integer ≥ 1, got ${String(branching)}`);
  return brand("topology", "tree", { branching }, () => ({
    name: "tree",
    build: (peers) => balancedTree(peers, branching),
  }));
}

/** Each peer's neighbours are its parent (if any) then its children: roster order, since parent < self < children. */
export function balancedTree(peers: readonly string[], branching: number): Graph {
  const n = peers.length;
  return new Map(
    peers.map((p, i) => {
      const ns: string[] = i > 0 ? [peers[Math.floor((i - 1) / branching)]!] : [];
      for (let c = branching * i + 1; c <= Math.min(branching * i + branching, n - 1); c++) ns.push(peers[c]!);
      return [p, ns];
    }),
  );
}
