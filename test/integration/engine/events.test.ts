/**
 * Engine events, filtered by a label unique to the test, so containers of parallel test files
 * never show up here.
 *
 * `since` is passed on purpose. moby's GET /events flushes the response headers *before* it
 * subscribes (api/server/router/system/system_routes.go, getEvents: `output.Flush()` precedes
 * `s.backend.SubscribeToEvents`), so "subscribe, wait for the headers, then act" can lose an event
 * emitted in between. With `since`, the engine replays what it buffered since then and the
 * subscription is gap-free; the replay and the live feed can overlap by an event (the buffer is
 * appended under a lock, the publish happens after it), hence the dedupe by timeNano.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Engine, EngineEvent } from "../../../src/engine/index.ts";
import { tempContainer, uniqueName, useEngine } from "./harness.ts";

let engine: Engine;
useEngine((e) => (engine = e));

/** Drops a repeated event (same action at the same nanosecond), see the file comment. */
function deduped(events: EngineEvent[]): EngineEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${e.Action}@${e.timeNano}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

test("subscribe with a label filter, then start a container: create, start and die (with its exit code) arrive, nothing else", async () => {
  const marker = uniqueName("events");
  const stop = new AbortController();
  const timeout = AbortSignal.timeout(30_000);
  const events = await engine.system.events({
    filters: { type: ["container"], label: [`dev.slipway.events-case=${marker}`] },
    // Before anything carrying the marker exists, so nothing older can match.
    since: Math.floor(Date.now() / 1000) - 1,
    signal: AbortSignal.any([stop.signal, timeout]),
  });
  // An unrelated container of this run, without the marker, must not be seen.
  await using other = await tempContainer(engine, { Cmd: ["true"] }, "evother");
  await using ctr = await tempContainer(engine, { Cmd: ["sh", "-c", "exit 5"], Labels: { "dev.slipway.events-case": marker } }, "events");
  await engine.containers.start(other.id);
  await engine.containers.start(ctr.id);

  const received: EngineEvent[] = [];
  for await (const event of events) {
    received.push(event);
    if (event.Action === "die") stop.abort();
  }
  assert.equal(timeout.aborted, false, `timed out; saw ${received.map((e) => e.Action).join(", ")}`);
  const seen = deduped(received);
  const actions = seen.map((e) => e.Action);
  assert.deepEqual(actions.filter((a) => ["create", "start", "die"].includes(a)), ["create", "start", "die"]);
  for (const event of seen) {
    assert.equal(event.Type, "container");
    assert.equal(event.Actor.ID, ctr.id);
    assert.equal(event.Actor.Attributes["dev.slipway.events-case"], marker);
  }
  const die = seen.find((e) => e.Action === "die");
  assert.equal(die?.Actor.Attributes["exitCode"], "5");
  assert.equal(die?.Actor.Attributes["name"], ctr.name);
});

test("since/until replays past events and the stream ends by itself", async () => {
  const marker = uniqueName("replay");
  const since = Math.floor(Date.now() / 1000) - 1;
  {
    await using ctr = await tempContainer(engine, { Cmd: ["true"], Labels: { "dev.slipway.events-case": marker } }, "replay");
    const registered = await engine.containers.wait(ctr.id, { condition: "next-exit" });
    await engine.containers.start(ctr.id);
    await registered.result;
  }
  const until = Math.floor(Date.now() / 1000) + 1;
  const events = await engine.system.events({
    filters: { type: ["container"], label: [`dev.slipway.events-case=${marker}`] },
    since,
    until,
    signal: AbortSignal.timeout(30_000),
  });
  const received: EngineEvent[] = [];
  for await (const event of events) received.push(event);
  const actions = deduped(received).map((e) => e.Action);
  assert.deepEqual(actions.filter((a) => ["create", "start", "die", "destroy"].includes(a)), ["create", "start", "die", "destroy"]);
});
