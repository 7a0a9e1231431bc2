import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "./duration.ts";

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T => {
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

describe("durations", () => {
  it("parses Go durations", () => {
    assert.equal(value(parseDuration("10s")), 10e9);
    assert.equal(value(parseDuration("1m30s")), 90e9);
    assert.equal(value(parseDuration("1.5s")), 1.5e9);
    assert.equal(value(parseDuration("500ms")), 5e8);
    assert.equal(value(parseDuration("0")), 0);
    assert.equal(value(parseDuration("1h2m3s4ms")), 3723004e6);
    assert.equal(parseDuration("10").ok, false);
    assert.equal(parseDuration("ten seconds").ok, false);
  });
  it("formats durations as Go prints them", () => {
    assert.equal(formatDuration(10e9), "10s");
    assert.equal(formatDuration(90e9), "1m30s");
    assert.equal(formatDuration(3600e9), "1h0m0s");
    assert.equal(formatDuration(5e8), "500ms");
    assert.equal(formatDuration(1.5e9), "1.5s");
    assert.equal(formatDuration(0), "0s");
  });
});
