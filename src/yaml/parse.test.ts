import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigFileError } from "./issues.ts";
import { toPlain, type MapNode } from "./node.ts";
import { parseYaml } from "./parse.ts";

describe("parseYaml", () => {
  it("keeps line and column of keys and values", () => {
    const t = parseYaml("services:\n  web:\n    image: nginx\n", "c.yml");
    const web = (t.entries[0]?.value as MapNode).entries[0];
    assert.deepEqual(web?.keyPos, { file: "c.yml", line: 2, column: 3 });
    const image = (web?.value as MapNode).entries[0];
    assert.deepEqual(image?.value.pos, { file: "c.yml", line: 3, column: 12 });
  });
  it("resolves merge keys: explicit keys win, first source wins", () => {
    const t = parseYaml("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 0\n", "f");
    assert.deepEqual(toPlain(t), { a: { x: 1, y: 1 }, b: { y: 2, z: 2 }, c: { x: 0, y: 1, z: 2 } });
  });
  it("copies aliases so later edits do not leak between users of an anchor", () => {
    const t = parseYaml("a: &a {x: 1}\nb: *a\n", "f");
    const [a, b] = t.entries;
    assert.notEqual(a?.value, b?.value);
  });
  it("reads plain numbers as go-yaml v3 does (compose-go's parser)", () => {
    const t = parseYaml("a: 1_000\nb: 0b101\nc: 12345678901234567890\nd: 010\ne: 1_0.5\nf: _1\ng: 12:30\nh: a_b\n", "f");
    assert.deepEqual(toPlain(t), { a: 1000, b: 5, c: "12345678901234567890", d: 8, e: 10.5, f: "_1", g: "12:30", h: "a_b" });
  });
  it("keeps !reset and !override tags for merging", () => {
    const t = parseYaml("a: !reset []\nb: !override {x: 1}\n", "f");
    assert.deepEqual(t.entries.map((e) => e.value.tag), ["!reset", "!override"]);
  });
  it("treats an empty document as an empty mapping and rejects a non-mapping top level", () => {
    assert.deepEqual(parseYaml("", "f").entries, []);
    assert.throws(() => parseYaml("- a\n", "f"), (e: unknown) => e instanceof ConfigFileError && /top level must be a mapping/.test(e.message));
  });
  it("uses YAML 1.2 scalars: yes/no stay strings, 0x10 is a number", () => {
    assert.deepEqual(toPlain(parseYaml("a: yes\nb: 0x10\nc: ~\n", "f")), { a: "yes", b: 16, c: null });
  });
});

describe("octal file modes", () => {
  it("reads a plain 0440 as octal like compose-go, and a quoted one as a string", () => {
    const root = parseYaml("a: 0440\nb: '0440'\nc: 440\nd: 08\n", "compose.yml") as MapNode;
    assert.deepEqual(toPlain(root), { a: 0o440, b: "0440", c: 440, d: 8 });
  });
});
