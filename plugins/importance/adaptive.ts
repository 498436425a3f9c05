import { roundMax } from "../../swarm/limits.ts";
import { brand, describePlugin, isPlugin, type PluginFactory } from "../plugin.ts";
import { checkOptionNames, intOption } from "./types.ts";

export interface AdaptiveOptions {
  /** The method for rounds before `switchRound`, e.g. `magnitude()` (cheap, needs no probe). */
  early: PluginFactory<"importance">;
  /** The method from `switchRound` on, e.g. `fisher()` (meaningful once the model has learned something). */
  late: PluginFactory<"importance">;
  /** The first round scored by `late`; an integer ≥ 0 (0 means `late` from the start). */
  switchRound: number;
}

/**
 * adaptive({ early, late, switchRound }): one method while the model is young, another afterwards — e.g.
 * `adaptive({ early: magnitude(), late: fisher(), switchRound: 5 })`. Each instance builds both methods once
 * (so each keeps its own state, such as magnitude's history, across the rounds it scores), giving them
 * independent rngs split from its own. Described as `adaptive({ early: "magnitude()", … })`: the brand records
 * the sub-methods as they are written, so scenarios print and compare it like any other plugin.
 */
export function adaptive(opts: AdaptiveOptions): PluginFactory<"importance"> {
  checkOptionNames("adaptive", opts, ["early", "late", "switchRound"]);
  const early = requireImportance("early", opts.early);
  const late = requireImportance("late", opts.late);
  if (opts.switchRound === undefined) throw new RangeError("adaptive.switchRound: required (the first round scored by late)");
  const switchRound = intOption("adaptive", "switchRound", opts.switchRound, 0, 0, roundMax);
  const described = { early: describePlugin(early), late: describePlugin(late), switchRound };
  return brand("importance", "adaptive", described, (deps) => {
    const before = early({ ...deps, rng: deps.rng.split("early") });
    const after = late({ ...deps, rng: deps.rng.split("late") });
    return {
      name: "adaptive",
      score: (input) => (input.round < switchRound ? before : after).score(input),
    };
  });
}

function requireImportance(field: string, value: unknown): PluginFactory<"importance"> {
  if (isPlugin(value, "importance")) return value;
  const got = isPlugin(value) ? `a ${value.pluginKind} plugin (${describePlugin(value)})` : typeof value === "function" ? "an unbranded function" : String(value);
  throw new TypeError(`adaptive.${field}: expected an importance plugin such as magnitude() or fisher(), got ${got}`);
}
