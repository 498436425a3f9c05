import { describe, expect, test } from "bun:test";
import { decodeTracker, encodeTracker, type TrackerMessage } from "../../actors/tracker-codec.ts";
import { Tracker } from "../../actors/tracker.ts";
import { MemoryNetwork } from "../../net/memory.ts";
import type { Conn } from "../../net/transport.ts";
import { VirtualClock } from "../../runtime/clock.ts";
import { SeededRng } from "../../runtime/rng.ts";
import { ProtocolError } from "../../swarm/protocol-error.ts";
import { Packr } from "msgpackr";

const link = { uplinkBytesPerSec: 1e8, downlinkBytesPerSec: 1e8, latencyMs: 1 };
const packr = new Packr({ useRecords: false });

describe("tracker codec", () => {
  test("round-trips every message", () => {
    const msgs: TrackerMessage[] = [
      { t: "join", swarmId: "s", peerId: "p001", address: "mem://p001", auth: "tok" },
      { t: "admit", round: 3, modelSeed: 42, scenario: "mesh-100", roster: ["p000", "p001"], neighbours: [{ peerId: "p000", address: "ws://127.0.0.1:9" }], expectedNeighbours: 2, neighbourIds: ["p000", "p002"] },
      { t: "reject", reason: "nope" },
      { t: "gone", peerId: "p007" },
      { t: "back", peerId: "p007" },
    ];
    for (const m of msgs) expect(decodeTracker(encodeTracker(m))).toEqual(m);
  });

  test("bad frames throw ProtocolError naming the field", () => {
    const bad: Array<[unknown, string]> = [
      [[9], "unknown tracker message code"],
      [[1, "s", "", "a", ""], "peerId"],
      [[1, "s", 5, "a", ""], "peerId"],
      [[2, -1, 1, "x", [], [], 0, []], "round"],
      [[2, 0, 1, "x", ["p"], [["p"]], 0, []], "neighbours[0]"],
      [[2, 0, 1, "x", ["p"], [], 0, [7]], "neighbourIds[0]"],
      [[2, 0, 1, "x", ["p"], [], 0], "admit has 7 fields"],
      [[3], "reject has 1 fields"],
      [[4, ""], "peerId"],
      [[5, "p", "x"], "back has 3 fields"],
      ["hello", "not an array"],
    ];
    for (const [raw, msg] of bad) {
      const f = () => decodeTracker(packr.pack(raw));
      expect(f).toThrow(ProtocolError);
      expect(f).toThrow(msg);
    }
    expect(() => decodeTracker(new Uint8Array([0xc1]))).toThrow(ProtocolError);
    expect(() => decodeTracker(new Uint8Array(0))).toThrow(ProtocolError);
  });
});

describe("tracker", () => {
  const setup = async () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
    const roster = ["p0", "p1", "p2"];
    const graph = new Map([
      ["p0", ["p1", "p2"]],
      ["p1", ["p0"]],
      ["p2", ["p0"]],
    ]);
    const tracker = new Tracker({ swarmId: "sw", auth: "k", scenario: "t", roster, graph, modelSeed: 7, transport: net.node("mem://tracker", link) });
    const address = await tracker.start();
    const join = async (peerId: string, over: Partial<{ swarmId: string; auth: string }> = {}) => {
      const t = net.node(`mem://${peerId}-${Math.floor(clock.now())}-${Math.random()}`, link);
      const got: TrackerMessage[] = [];
      const closes: string[] = [];
      const p = t.dial(address);
      await clock.run();
      const conn: Conn = await p;
      conn.attach({ frame: (f) => got.push(decodeTracker(f)), close: (r) => closes.push(r) });
      conn.send(encodeTracker({ t: "join", swarmId: over.swarmId ?? "sw", peerId, address: `mem://addr-${peerId}`, auth: over.auth ?? "k" }));
      await clock.run();
      return { got, closes, conn };
    };
    return { tracker, join, clock };
  };

  test("a peer whose link drops is gone for the others; a newcomer learns it; re-admitted, it is back", async () => {
    const { join, clock } = await setup();
    const p0 = await join("p0");
    const p1 = await join("p1");
    p0.conn.close("crash");
    await clock.run();
    expect(p1.got.slice(1)).toEqual([{ t: "gone", peerId: "p0" }]);
    const p2 = await join("p2");
    expect(p2.got.map((m) => m.t)).toEqual(["admit", "gone"]);
    expect(p2.got[1]).toEqual({ t: "gone", peerId: "p0" });
    const again = await join("p0");
    expect(again.got.map((m) => m.t)).toEqual(["admit"]); // nobody else is gone; it is not told about itself
    expect(p1.got.at(-1)).toEqual({ t: "back", peerId: "p0" });
    expect(p2.got.at(-1)).toEqual({ t: "back", peerId: "p0" });
  });

  test("an old incarnation's link closing after the new one joined does not make the peer gone", async () => {
    const { join, clock, tracker } = await setup();
    const old = await join("p0");
    const p1 = await join("p1");
    await join("p0"); // restarted: a new link for the same id
    old.conn.close("old process finally dropped");
    await clock.run();
    expect(p1.got.map((m) => m.t)).toEqual(["admit"]);
    // A stopping tracker closes every link without calling anyone gone.
    await tracker.stop();
    await clock.run();
    expect(p1.got.map((m) => m.t)).toEqual(["admit"]);
  });

  test("admits roster peers with the neighbours that joined before them", async () => {
    const { tracker, join } = await setup();
    const a = await join("p1");
    expect(a.got).toEqual([{ t: "admit", round: 0, modelSeed: 7, scenario: "t", roster: ["p0", "p1", "p2"], neighbours: [], expectedNeighbours: 1, neighbourIds: ["p0"] }]);
    const b = await join("p0");
    expect(b.got[0]).toMatchObject({ t: "admit", neighbours: [{ peerId: "p1", address: "mem://addr-p1" }], expectedNeighbours: 2 });
    const c = await join("p2");
    expect(c.got[0]).toMatchObject({ t: "admit", neighbours: [{ peerId: "p0", address: "mem://addr-p0" }], expectedNeighbours: 1 });
    expect(tracker.admitted).toBe(3);
  });

  test("rejects strangers, wrong swarms and bad auth, and closes their link", async () => {
    const { tracker, join } = await setup();
    for (const [peer, over, reason] of [
      ["p9", {}, "not in this run's roster"],
      ["p0", { swarmId: "other" }, "wrong swarm"],
      ["p0", { auth: "bad" }, "bad auth"],
    ] as const) {
      const r = await join(peer, over);
      expect(r.got).toEqual([{ t: "reject", reason: expect.stringContaining(reason) }]);
      expect(r.closes.length).toBe(1);
    }
    expect(tracker.admitted).toBe(0);
  });

  test("a graph naming strangers is a programmer error", () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
    expect(() => new Tracker({ swarmId: "s", scenario: "t", roster: ["a"], graph: new Map([["a", ["b"]]]), modelSeed: 1, transport: net.node("mem://t", link) })).toThrow("not in the roster");
  });
});

describe("tracker client", () => {
  test("admitted once; an admit that leaves this peer out of the roster is a rejection; the link's loss after admission is reported", async () => {
    const { TrackerClient } = await import("../../actors/tracker-client.ts");
    const { silentLogger } = await import("../../runtime/log.ts");
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
    const fake = net.node("mem://tracker", link);
    const served: Conn[] = [];
    await fake.listen((c) => {
      served.push(c);
      c.attach({ frame: () => {}, close: () => {} });
    });
    const admit = (roster: string[]) =>
      encodeTracker({ t: "admit", round: 0, modelSeed: 1, scenario: "t", roster, neighbours: [], expectedNeighbours: 0, neighbourIds: [] });
    const seen: string[] = [];
    const make = (id: string) =>
      new TrackerClient({
        transport: net.node(`mem://${id}`, link),
        trackerAddress: "mem://tracker",
        swarmId: "s",
        peerId: id,
        auth: "",
        log: silentLogger,
        onAdmit: () => seen.push(`${id} admitted`),
        onReject: (r) => seen.push(`${id} rejected: ${r}`),
        onLost: () => seen.push(`${id} lost`),
      });
    const a = make("a");
    a.request();
    await clock.run();
    served[0]!.send(admit(["a", "b"]));
    served[0]!.send(admit(["a", "b"])); // a second admit changes nothing
    await clock.run();
    served[0]!.close("tracker gone");
    await clock.run();
    const b = make("b");
    b.request();
    await clock.run();
    served[1]!.send(admit(["a"]));
    await clock.run();
    expect(seen).toEqual(["a admitted", "a lost", "b rejected: roster does not include this peer"]);
    expect([a.admitted, b.admitted]).toEqual([true, false]);
  });
});
