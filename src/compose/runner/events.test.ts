import { test } from "node:test";
import assert from "node:assert/strict";
import type { EngineEvent } from "../../engine/index.ts";
import { utcZone } from "./display-values.ts";
import { eventJson, eventLine, toComposeEvent } from "./events.ts";

const event = (over: Partial<EngineEvent> = {}, attributes: Record<string, string> = {}): EngineEvent => ({
  Type: "container",
  Action: "die",
  Actor: {
    ID: "55f365f5b828242231a634cf7116a7283ed40421d492417b70b8b64981a6a150",
    Attributes: {
      "com.docker.compose.project": "lpdemo",
      "com.docker.compose.service": "job",
      "com.docker.compose.oneoff": "False",
      exitCode: "0",
      image: "busybox:latest",
      name: "lpdemo-job-1",
      ...attributes,
    },
  },
  time: 1796504803,
  timeNano: 1796504803808005819,
  timeNanoText: "1796504803808005819",
  ...over,
});

test("compose's event: its service, the container's ID, attributes without compose's labels, nanoseconds exactly", () => {
  const e = toComposeEvent(event(), [])!;
  assert.equal(e.service, "job");
  assert.equal(e.container, "55f365f5b828242231a634cf7116a7283ed40421d492417b70b8b64981a6a150");
  assert.equal(e.action, "die");
  assert.deepEqual(e.attributes, { exitCode: "0", image: "busybox:latest", name: "lpdemo-job-1" });
  assert.equal(e.time, 1796504803808005819n);
});

test("left out: one-off containers, other services than those asked for, other event types", () => {
  assert.equal(toComposeEvent(event({}, { "com.docker.compose.oneoff": "True" }), []), undefined);
  assert.equal(toComposeEvent(event(), ["web"]), undefined);
  assert.ok(toComposeEvent(event(), ["web", "job"]));
  assert.equal(toComposeEvent(event({ Type: "network" }), []), undefined);
});

test("--json: compose's object (keys sorted, RFC 3339 nanoseconds); the text line with a blank line after it", () => {
  const e = toComposeEvent(event({}, { note: "a<b" }), [])!;
  assert.equal(
    eventJson(e, utcZone),
    '{"action":"die","attributes":{"exitCode":"0","image":"busybox:latest","name":"lpdemo-job-1","note":"a\\u003cb"},"id":"55f365f5b828242231a634cf7116a7283ed40421d492417b70b8b64981a6a150","service":"job","time":"2026-12-05T21:06:43.808005819Z","type":"container"}',
  );
  assert.equal(
    eventLine(e, utcZone),
    "2026-12-05 21:06:43.808005 container die 55f365f5b828242231a634cf7116a7283ed40421d492417b70b8b64981a6a150 (exitCode=0, image=busybox:latest, name=lpdemo-job-1, note=a<b)\n",
  );
  // Without the exact digits (an engine event made elsewhere), the number, then the seconds.
  const coarse = toComposeEvent(event({ timeNanoText: undefined, timeNano: 0 }), [])!;
  assert.equal(coarse.time, 1796504803000000000n);
});
