import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineApiError } from "./engine-error.ts";
import { NotASwarmManagerError, OutOfSequenceError, isNotASwarmManager, isOutOfSequence, isOutOfSequenceResponse, swarmFailure } from "./swarm-errors.ts";

const apiError = (status: number, message: string, path = "/services") => new EngineApiError({ status, method: "GET", path, message });

test("a 503 from a swarm endpoint is NOT_A_SWARM_MANAGER: an engine error (exit 4) that names the engine, keeps its words and says where to point", () => {
  const engineSaid = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
  const err = swarmFailure(apiError(503, engineSaid), "unix:///var/run/docker.sock");
  assert.ok(err instanceof NotASwarmManagerError);
  assert.ok(isNotASwarmManager(err));
  assert.equal(err.code, "NOT_A_SWARM_MANAGER");
  assert.equal(err.kind, "engine");
  assert.equal(err.exitCode, 4);
  assert.equal(err.status, 503);
  assert.match(err.message, /unix:\/\/\/var\/run\/docker\.sock/);
  assert.ok(err.message.includes(engineSaid));
  assert.match(err.hint ?? "", /DOCKER_HOST/);
  assert.match(err.hint ?? "", /manager/);
  assert.ok(err.cause instanceof EngineApiError);
  assert.deepEqual(err.toJSON()["details"], { status: 503, method: "GET", path: "/services" });
});

test("by status, not text: a worker's or a locked swarm's 503 is the same error; other statuses pass through unchanged", () => {
  for (const text of ["This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.", "Swarm is encrypted and needs to be unlocked before it can be used."]) {
    assert.ok(swarmFailure(apiError(503, text), "tcp://127.0.0.1:2375") instanceof NotASwarmManagerError, text);
  }
  for (const status of [400, 404, 409, 500]) {
    const original = apiError(status, "This node is not a swarm manager");
    assert.equal(swarmFailure(original, "x"), original, `status ${status}`);
  }
  const other = new Error("socket hang up");
  assert.equal(swarmFailure(other, "x"), other);
});

test("'update out of sequence' is told apart from other 500s: swarmkit's ErrSequenceConflict has no status of its own", () => {
  const stale = apiError(500, "rpc error: code = Unknown desc = update out of sequence", "/services/abc/update");
  assert.ok(isOutOfSequenceResponse(stale));
  assert.ok(isOutOfSequence(stale));
  assert.ok(isOutOfSequence(apiError(409, "update out of sequence")), "an engine that calls it a conflict");
  assert.ok(!isOutOfSequence(apiError(500, "rpc error: code = Unknown desc = task template changed")));
  assert.ok(!isOutOfSequence(apiError(400, "update out of sequence")), "a 400 is the request's own fault");
  assert.ok(!isOutOfSequence(new Error("update out of sequence")), "only the engine's answer");
  assert.ok(!isOutOfSequence(undefined));

  const classified = new OutOfSequenceError("Service web", 41, stale);
  assert.ok(isOutOfSequence(classified));
  assert.equal(classified.code, "SWARM_UPDATE_OUT_OF_SEQUENCE");
  assert.equal(classified.kind, "engine");
  assert.equal(classified.version, 41);
  assert.match(classified.message, /Service web changed since version 41/);
  assert.match(classified.hint ?? "", /inspect it again/);
  assert.equal(classified.cause, stale);
});
