import { adaptive, fisher, l2, magnitude, random, snip } from "../../plugins/importance/index.ts";
import { ring } from "../../plugins/topology/index.ts";
import type { PluginFactory } from "../../plugins/plugin.ts";
import { importanceCompliance } from "./importance-suite.ts";

// Every shipped importance plugin, in its default form and with options that change what it computes.
importanceCompliance({ make: () => random() });

importanceCompliance({
  make: () => magnitude(),
  badOptions: [
    [() => magnitude({ window: 0 }), "magnitude.window"],
    [() => magnitude({ window: 2.5 }), "magnitude.window"],
    [() => magnitude({ window: 65 }), "magnitude.window"],
    [() => magnitude({ varianceWeight: -1 }), "magnitude.varianceWeight"],
    [() => magnitude({ varianceWeight: NaN }), "magnitude.varianceWeight"],
    [() => magnitude({ windw: 3 } as never), "magnitude.windw"],
  ],
});
importanceCompliance({ make: () => magnitude({ window: 3, varianceWeight: 2 }) });

importanceCompliance({
  make: () => l2(),
  badOptions: [
    [() => l2({ depthFactor: -2 }), "l2.depthFactor"],
    [() => l2({ depthFactor: Infinity }), "l2.depthFactor"],
    [() => l2({ depthFactor: "1" as never }), "l2.depthFactor"],
  ],
});
importanceCompliance({ make: () => l2({ depthFactor: 2 }) });
importanceCompliance({ make: () => l2({ depthFactor: -1 }) });

importanceCompliance({
  make: () => snip(),
  badOptions: [
    [() => snip({ examples: 0 }), "snip.examples"],
    [() => snip({ examples: 1.5 }), "snip.examples"],
    [() => snip({ examples: 1e9 }), "snip.examples"],
  ],
});
importanceCompliance({ make: () => snip({ examples: 4 }) });

importanceCompliance({
  make: () => fisher(),
  badOptions: [
    [() => fisher({ examples: -3 }), "fisher.examples"],
    [() => fisher({ examples: null as never }), "fisher.examples"],
  ],
});

importanceCompliance({
  make: () => adaptive({ early: magnitude({ window: 2 }), late: fisher(), switchRound: 2 }),
  badOptions: [
    [() => adaptive({ early: ring() as unknown as PluginFactory<"importance">, late: fisher(), switchRound: 2 }), "adaptive.early"],
    [() => adaptive({ early: magnitude(), late: (() => ({ name: "x", score: () => [] })) as never, switchRound: 2 }), "adaptive.late"],
    [() => adaptive({ early: magnitude(), late: fisher(), switchRound: -1 }), "adaptive.switchRound"],
    [() => adaptive({ early: magnitude(), late: fisher() } as never), "adaptive.switchRound"],
  ],
});
importanceCompliance({ make: () => adaptive({ early: random(), late: snip({ examples: 8 }), switchRound: 0 }) });
