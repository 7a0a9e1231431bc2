import { test } from "node:test";
import assert from "node:assert/strict";
import { logSource, parseServiceLogLine } from "./service-logs.ts";

const DETAILS = "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1";

test("a plain line is the message", () => {
  assert.deepEqual(parseServiceLogLine("hello world", {}), { attributes: {}, message: "hello world" });
});

test("timestamps, then details, then the task's own words (spaces in them kept)", () => {
  const line = parseServiceLogLine(`2024-05-01T10:00:00.123456789Z ${DETAILS} listening on :8080  now`, { timestamps: true, details: true });
  assert.equal(line.timestamp, "2024-05-01T10:00:00.123456789Z");
  assert.equal(line.message, "listening on :8080  now");
  assert.deepEqual(logSource(line.attributes), { nodeId: "n1", serviceId: "s1", taskId: "t1" });
});

test("details are query-escaped (Go's url.QueryEscape: '+' is a space); no attributes is a bare leading space", () => {
  const line = parseServiceLogLine("a%3Db=x+y%2Cz,k= msg", { details: true });
  assert.deepEqual(line.attributes, { "a=b": "x y,z", k: "" });
  assert.equal(line.message, "msg");
  assert.deepEqual(parseServiceLogLine(" msg with no attributes", { details: true }), { attributes: {}, message: "msg with no attributes" });
  assert.deepEqual(parseServiceLogLine("bad%zz=1 m", { details: true }).attributes, { "bad%zz": "1" }, "a malformed escape kept as is");
});

test("an empty line after its prefixes is an empty message", () => {
  assert.deepEqual(parseServiceLogLine("2024-05-01T10:00:00Z", { timestamps: true }), { timestamp: "2024-05-01T10:00:00Z", attributes: {}, message: "" });
  assert.deepEqual(logSource({}), {});
});
