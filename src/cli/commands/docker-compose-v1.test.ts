import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { translateV1 } from "./docker-compose-v1.ts";

describe("docker-compose (v1) command lines as slipway compose arguments", () => {
  it("passes compose's own options and the command through unchanged", () => {
    assert.deepEqual(translateV1(["-f", "docker/dev/docker-compose.yml", "-p", "todo", "run", "--rm", "agent"]), {
      env: {},
      composeArgs: ["-f", "docker/dev/docker-compose.yml", "-p", "todo", "run", "--rm", "agent"],
    });
    assert.deepEqual(translateV1(["--project-name=todo", "--no-ansi", "up", "test"]).composeArgs, ["--project-name", "todo", "--no-ansi", "up", "test"]);
  });

  it("ps lists stopped containers too, as v1's did (its -q finds a test container that exited)", () => {
    assert.deepEqual(translateV1(["-p", "todo", "ps", "-q", "test"]).composeArgs, ["-p", "todo", "ps", "--all", "-q", "test"]);
    assert.deepEqual(translateV1(["ps", "-a"]).composeArgs, ["ps", "-a"]);
    assert.deepEqual(translateV1(["run", "app", "ps"]).composeArgs, ["run", "app", "ps"]);
  });

  it("docker's connection options become docker variables; options with no effect here go", () => {
    assert.deepEqual(translateV1(["-H", "tcp://h:2375", "--verbose", "--log-level", "DEBUG", "--skip-hostname-check", "up", "-d"]), {
      env: { DOCKER_HOST: "tcp://h:2375", DOCKER_CONTEXT: undefined },
      composeArgs: ["up", "-d"],
    });
    assert.deepEqual(translateV1(["--context", "ci", "ps"]).env, { DOCKER_CONTEXT: "ci", DOCKER_HOST: undefined });
  });

  it("-v and --version are `version`; an unknown option reaches slipway compose, which names it", () => {
    assert.deepEqual(translateV1(["--version"]).composeArgs, ["version"]);
    assert.deepEqual(translateV1(["--frobnicate", "up"]).composeArgs, ["--frobnicate", "up"]);
    assert.throws(() => translateV1(["-p"]), /needs a value/);
  });
});
