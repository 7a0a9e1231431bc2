import { test } from "node:test";
import assert from "node:assert/strict";
import { CLASSIC_BUILDER, dockerfileProblems, type BuilderFeatures } from "./dockerfile-check.ts";

const legacyBuilderProblems = (text: string) => dockerfileProblems(text, CLASSIC_BUILDER);
const BUILDKIT_20_10: BuilderFeatures = { buildkit: true, modernFrontend: false };
const BUILDKIT_23: BuilderFeatures = { buildkit: true, modernFrontend: true };

test("a plain Dockerfile has no problems", () => {
  assert.deepEqual(legacyBuilderProblems("FROM node:20-slim\n# comment <<EOF\nRUN echo hi \\\n  && echo there\nCOPY . /app\n"), []);
});

test("heredoc is found with its line", () => {
  const problems = legacyBuilderProblems("FROM debian\n\nRUN <<EOF\necho hi\nEOF\n");
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.line, 3);
  assert.match(problems[0]!.message, /heredoc/);
});

test("FROM --platform and RUN --mount are found", () => {
  const problems = legacyBuilderProblems("FROM --platform=$BUILDPLATFORM node AS b\nRUN --mount=type=cache,target=/x npm ci\n");
  assert.deepEqual(problems.map((p) => p.line), [1, 2]);
});

test("BuildKit takes FROM --platform and cache mounts; heredocs only with a 1.4+ frontend", () => {
  const text = "FROM --platform=$BUILDPLATFORM node AS b\nRUN --mount=type=cache,target=/x npm ci\nRUN <<EOF\necho hi\nEOF\n";
  assert.deepEqual(dockerfileProblems(text, BUILDKIT_20_10).map((p) => [p.line, p.message]), [[3, "RUN with a heredoc (<<) is not supported by this engine's BuildKit"]]);
  assert.deepEqual(dockerfileProblems(text, BUILDKIT_23), []);
});

test("BuildKit takes secret mounts (through Slipway's session), not ssh mounts; RUN --network an old frontend refuses", () => {
  const text = "FROM a\nRUN --mount=type=secret,id=npm cat /run/secrets/npm\nRUN --mount=target=/k,type=ssh true\nRUN --network=none true\n";
  assert.deepEqual(dockerfileProblems(text, BUILDKIT_23).map((p) => p.line), [3]);
  assert.match(dockerfileProblems(text, BUILDKIT_23)[0]!.message, /ssh agent/);
  assert.deepEqual(dockerfileProblems(text, BUILDKIT_20_10).map((p) => p.line), [3, 4]);
  assert.deepEqual(legacyBuilderProblems(text).map((p) => p.line), [2, 3, 4]);
});

test("continuation lines report the instruction's first line", () => {
  const problems = legacyBuilderProblems("FROM a\nRUN echo \\\n  <<EOF\n");
  assert.equal(problems[0]!.line, 2);
});

import { freshStepImages } from "./image-resolver.ts";

test("fresh step images: ids after a step, not the cache hits", () => {
  const stream = (s: string) => ({ stream: s });
  const ids = freshStepImages([
    stream("Step 1/3 : FROM busybox\n"),
    stream(" ---> 0123456789ab\n"),
    stream("Step 2/3 : RUN echo\n"),
    stream(" ---> Using cache\n ---> aaaaaaaaaaaa\n"),
    stream("Step 3/3 : RUN x\n ---> Running in cccccccccccc\n"),
    stream(" ---> bbbbbbbbbbbb\n"),
  ]);
  assert.deepEqual(ids, ["0123456789ab", "bbbbbbbbbbbb"]);
});

test("every flag of a RUN is checked, not only the first; flags inside the command are not flags", () => {
  const text = "FROM a\nRUN --mount=type=cache,target=/c --mount=type=secret,id=npm npm ci\nRUN --network=none --mount=target=/k,type=ssh true\nRUN echo --mount=type=secret\n";
  const sshFirst = "FROM a\nRUN --mount=type=cache,target=/c --mount=type=ssh npm ci\nRUN echo --mount=type=ssh\n";
  assert.deepEqual(dockerfileProblems(sshFirst, BUILDKIT_23).map((p) => [p.line, p.message.split(" needs")[0]]), [[2, "RUN --mount=type=ssh"]]);
  assert.deepEqual(dockerfileProblems(text, BUILDKIT_23).map((p) => [p.line, p.message.split(" needs")[0]]), [[3, "RUN --mount=type=ssh"]]);
});

test("a # syntax= directive brings its own frontend: heredocs and RUN --network pass on an old engine's BuildKit", () => {
  const text = "# syntax=docker/dockerfile:1.4\nFROM a\nRUN <<EOF\necho hi\nEOF\nRUN --network=none true\n";
  assert.deepEqual(dockerfileProblems(text, BUILDKIT_20_10), []);
  assert.equal(legacyBuilderProblems(text).length, 2, "the classic builder ignores the directive");
});
