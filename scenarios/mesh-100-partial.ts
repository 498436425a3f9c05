import { defineScenario } from "./define.ts";
import { mesh100 } from "./mesh-100.ts";

/**
 * mesh-100 with the swarm cut short: on the virtual clock every all-gather needs ≥ 3.2 s (its lower bound on
 * these links), and the deadline comes at 2.2 s. Peers that hold ≥ 70% of the pieces then aggregate what they
 * have; the others wait in grace until they cross 70%. Compare its accuracy with mesh-100's full-coverage run.
 */
export default defineScenario({
  ...mesh100,
  name: "mesh-100-partial",
  description: "mesh-100 on the virtual clock with a swarm deadline that leaves ~70% coverage",
  clock: "virtual",
  swarm: { ...mesh100.swarm, deadlineMs: 2_200, graceMs: 5_000 },
});
