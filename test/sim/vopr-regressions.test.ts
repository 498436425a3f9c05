import { describe, expect, test } from "bun:test";
import { formatFailure } from "../../sim/vopr/report.ts";
import { runVoprSeed, type VoprResult } from "../../sim/vopr/run.ts";

// Seeds that once failed the VOPR, pinned after the fix (replay any of them with `bun run vopr --seed S`). Each test
// also pins how the run ended, so a regression in the generator or a checker shows up here by name, not as a
// different seed failing somewhere in the CI batch. So far every failure was the checker's own: a give-up it
// judged that the round machine's design allows (the faults ran a peer's join or connect budget out).

async function passes(seed: number): Promise<VoprResult> {
  const r = await runVoprSeed(seed);
  if (!r.ok) throw new Error(formatFailure(r));
  return r;
}

describe("vopr regressions", () => {
  test("seed 75: no peer reaches the heal round before every one gave up connecting: the whole run was the safety phase", async () => {
    // Was: liveness "gave up" for every peer, judged although the network never healed while they lived.
    const r = await passes(75);
    expect(r.healedAtMs).toBeUndefined();
    const l = r.stats.liveness!;
    expect(l.live).toBe(0);
    expect(l.gaveUp + l.crashed + l.left).toBe(r.peers);
  });

  test("seed 169: a restarted peer comes back after its only neighbour left, and cannot connect: stranded, not a hang", async () => {
    // Tree: p003's one neighbour p001 leaves at 10.8 s; p003 restarts and is re-admitted at 15.2 s; nobody is left.
    const r = await passes(169);
    expect(r.stats.liveness!.stranded).toBe(1);
    expect(r.faults).toMatchObject({ leave: 1 });
  });

  test("seed 21: the hub of a star leaves and a leaf restarts; no live peer is left stranded any more", async () => {
    // Was: the leaf came back after the hub had left and had nobody to connect to (stranded). Since the tracker
    // tells peers who is gone, rounds no longer wait out the departed hub's deadline, the timeline moves, and
    // every live peer now finishes. Still pinned: the case must pass whichever way it ends.
    const r = await passes(21);
    expect(r.faults).toMatchObject({ leave: 1, restart: 1 });
    expect(r.stats.liveness).toMatchObject({ live: 11, left: 1, stranded: 0 });
  });

  test("seed 986: a corrupt peer banned by its neighbours restarts; bans last the run, so nobody talks to it: stranded", async () => {
    // p003 serves corrupt pieces: p006, p007 and p009 ban it within 1.7 s; the restart fault then crashes it and
    // brings it back as a new process, which every neighbour still refuses.
    const r = await passes(986);
    expect(r.stats.liveness!.stranded).toBe(1);
    expect(r.faults["corrupt piece"]).toBeGreaterThan(0);
  });

  test("seed 524: a peer still connecting at the heal is redialled in time and finishes", async () => {
    // p001 joined before p000, so it never dials p000; it waits to be dialled. Partitions and clogs keep them apart
    // until the heal at 10.61 s. Was "cut short": p000's redial backoff had grown to 4 s (capped at 10 s whatever
    // the scenario's connectMs), so its next dial landed after p001's sixth connect attempt ended. The cap is now
    // half of connectMs, and p001 is reached in time.
    const r = await passes(524);
    expect(r.healedAtMs).toBeCloseTo(10_609.7, 0);
    expect(r.stats.liveness).toMatchObject({ live: 3, cutShort: 0, gaveUp: 0 });
  });

  test("seed 205: an isolated peer reconnects after the heal instead of running out of connect attempts", async () => {
    // Was "cut short": its last connect attempt ended 0.1 s after the heal, before a neighbour's next redial.
    const r = await passes(205);
    expect(r.stats.liveness).toMatchObject({ live: 2, crashed: 1, cutShort: 0, gaveUp: 0 });
  });

  test("seed 898: a dialled link cut before its handshake is redialled (the hub's link to a leaf)", async () => {
    // Star; the hub p000 dials every leaf. A partition cut p000→p010 before the hello came back, so the session
    // was still named by the address dialled, not by p010: the peer did not recognise it as its own link and never
    // redialled; p010 waited to be dialled and gave up connecting. Found when the redial cap changed the timing.
    const r = await passes(898);
    expect(r.stats.liveness).toMatchObject({ live: 12, gaveUp: 0 });
  });

  test("seed 1370: a link whose hellos were both lost closes after the handshake timeout and is redialled", async () => {
    // Frame loss ate both hellos of p004→p003: neither side sends keepalives before the handshake, so the session
    // sat half-open until the 60 s idle timeout while p003 ran out of connect attempts. Sessions without a hello
    // now close after handshakeTimeoutMs and the dialler redials.
    const r = await passes(1370);
    expect(r.stats.liveness).toMatchObject({ live: 10, crashed: 1, gaveUp: 0 });
  });
});
