import { test } from "node:test";
import assert from "node:assert/strict";
import { colorEnabled, createStyle } from "./style.ts";

test("NO_COLOR disables colour even on a TTY", () => {
  assert.equal(colorEnabled({ NO_COLOR: "1" }, true), false);
});
test("a non-TTY has no colour unless forced", () => {
  assert.equal(colorEnabled({}, false), false);
  assert.equal(colorEnabled({ FORCE_COLOR: "1" }, false), true);
  assert.equal(colorEnabled({ TERM: "dumb" }, true), false);
});
test("disabled style writes no escape codes", () => {
  const s = createStyle(false);
  assert.equal(s.red(s.bold("x")) + s.palette(3, "y"), "xy");
  assert.match(createStyle(true).red("x"), /\u001b\[31m/);
});
