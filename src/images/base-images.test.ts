import { test } from "node:test";
import assert from "node:assert/strict";
import { baseImages } from "./base-images.ts";

test("FROM lines: external images once, stages and scratch skipped", () => {
  const df = `ARG V=1
FROM node:20-slim AS base
FROM base AS build
RUN x
FROM --platform=linux/amd64 postgres:15 as db
FROM scratch
FROM node:20-slim
FROM \${IMG}
FROM nginx:1.22 \\
  AS web
`;
  assert.deepEqual(baseImages(df), ["node:20-slim", "postgres:15", "nginx:1.22"]);
});

test("a FROM with a variable takes the build's args, else the global ARG default; COPY --from an image and # syntax count", () => {
  const df = `# syntax=docker/dockerfile:1.4
ARG NODE=20
ARG BASE="debian:bookworm-slim"
FROM node:\${NODE}-slim AS build
ARG NODE=99
COPY --from=nginx:1.22 /etc/nginx /x
COPY --from=build /a /b
COPY --from=0 /a /b
FROM $BASE
FROM \${MISSING:-busybox:latest}
FROM \${UNSET}
`;
  assert.deepEqual(baseImages(df), ["docker/dockerfile:1.4", "node:20-slim", "nginx:1.22", "debian:bookworm-slim", "busybox:latest"]);
  assert.deepEqual(baseImages(df, { NODE: "22" }).slice(0, 2), ["docker/dockerfile:1.4", "node:22-slim"]);
});

test("a syntax directive counts only at the top, before any instruction", () => {
  assert.deepEqual(baseImages("FROM a\n# syntax=docker/dockerfile:1\n"), ["a"]);
});
