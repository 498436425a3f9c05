import { expect, test } from "bun:test";
import { VirtualClock } from "../../runtime/clock.ts";
import { createLogger } from "../../runtime/log.ts";

test("log lines are scoped and stamped with the clock's time; levels below the threshold are dropped", async () => {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const log = createLogger({ clock, level: "info", sink: (l) => lines.push(l), scope: "peer:ab12" }).child("swarm");
  clock.setTimeout(() => log.info("piece verified", { index: 3 }), 1500);
  clock.setTimeout(() => log.debug("not shown"), 1600);
  await clock.run();
  expect(lines).toEqual(['1.500s info  peer:ab12:swarm piece verified {"index":3}']);
});
