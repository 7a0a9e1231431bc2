import { test } from "node:test";
import assert from "node:assert/strict";
import { legacyBuilderProblems } from "./dockerfile-check.ts";

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
