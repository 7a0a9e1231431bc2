import { test } from "node:test";
import assert from "node:assert/strict";
import { renderError, toSlipwayError } from "./error-renderer.ts";
import { SlipwayError, InternalError } from "../errors/index.ts";
import { createStyle } from "./style.ts";

test("a user error is one message and a hint, no stack", () => {
  const text = renderError(new SlipwayError("bad thing", { code: "X", kind: "config", hint: "do this" }), createStyle(false));
  assert.equal(text, "error: bad thing\n  hint: do this\n");
});

test("an unknown error is an internal error with its stack", () => {
  const err = toSlipwayError(new TypeError("boom"));
  assert.ok(err instanceof InternalError);
  assert.equal(err.exitCode, 70);
  const text = renderError(err, createStyle(false));
  assert.match(text, /TypeError: boom/);
  assert.match(text, /bug in Slipway/);
});
