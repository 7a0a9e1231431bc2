import { test } from "node:test";
import assert from "node:assert/strict";
import { greeting } from "../greeting.js";

test("greets by name", () => {
  assert.equal(greeting("slipway", "1.0.0"), "hello, slipway (greeter 1.0.0)");
});

test("greets the world when no name is given", () => {
  assert.equal(greeting(null, "1.0.0"), "hello, world (greeter 1.0.0)");
  assert.equal(greeting("  ", "1.0.0"), "hello, world (greeter 1.0.0)");
});
