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
