import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InterpolationError, interpolateString } from "./interpolate.ts";
import { loadIssues, load } from "./test-support.ts";

const env: Record<string, string> = { A: "a", EMPTY: "", B: "b" };
const look = (n: string): string | undefined => env[n];
const interp = (s: string): string => interpolateString(s, look);

describe("interpolateString", () => {
  it("substitutes $VAR and ${VAR}", () => {
    assert.equal(interp("x$A-${B}y"), "xa-by");
    assert.equal(interp("$A_B"), ""); // the name is A_B, which is unset
    assert.equal(interp("${A}_B"), "a_B");
  });
  it("unset variables become empty and are reported", () => {
    const unset: string[] = [];
    assert.equal(interpolateString("[$NOPE][${NOPE2}]", look, (n) => unset.push(n)), "[][]");
    assert.deepEqual(unset, ["NOPE", "NOPE2"]);
  });
  it(":- uses the default when unset or empty, - only when unset", () => {
    assert.equal(interp("${EMPTY:-d}"), "d");
    assert.equal(interp("${EMPTY-d}"), "");
    assert.equal(interp("${NOPE-d}"), "d");
    assert.equal(interp("${A:-d}"), "a");
  });
  it(":+ and + substitute the alternative when set", () => {
    assert.equal(interp("${A:+x}"), "x");
    assert.equal(interp("${EMPTY:+x}"), "");
    assert.equal(interp("${EMPTY+x}"), "x");
    assert.equal(interp("${NOPE+x}"), "");
  });
  it(":? and ? fail with the message", () => {
    assert.throws(() => interp("${EMPTY:?must be set}"), (e: unknown) => e instanceof InterpolationError && /EMPTY is missing a value: must be set/.test(e.message));
    assert.equal(interp("${EMPTY?err}"), "");
    assert.throws(() => interp("${NOPE?gone}"), /NOPE is missing a value: gone/);
  });
  it("$$ is a literal dollar and is not interpolated further", () => {
    assert.equal(interp("$$A costs $$5"), "$A costs $5");
    assert.equal(interp("${NOPE:-$$}"), "$");
  });
  it("defaults nest and are evaluated lazily", () => {
    assert.equal(interp("${NOPE:-${A}}"), "a");
    assert.equal(interp("${NOPE:-${NOPE2:-${B}x}}"), "bx");
    assert.equal(interp("${A:-${NOPE:?not evaluated}}"), "a");
    assert.equal(interp("${NOPE:-x}}"), "x}");
  });
  it("rejects malformed templates", () => {
    assert.throws(() => interp("${A"), /missing closing/);
    assert.throws(() => interp("${}"), /no variable name/);
    assert.throws(() => interp("cost: $5"), /must start a variable/);
    assert.throws(() => interp("${A!x}"), /unexpected/);
  });
});

describe("interpolation in compose files", () => {
  it("applies to values, not keys", async () => {
    const p = await load({ "compose.yaml": "services:\n  web:\n    image: ${IMG}\n    labels:\n      $KEY: ${VAL}\n" }, { env: { IMG: "nginx", KEY: "k", VAL: "v" } });
    assert.equal(p.services["web"]?.image, "nginx");
    assert.deepEqual(p.services["web"]?.labels, { $KEY: "v" });
  });
  it("reports ${VAR:?err} with file:line:column and key path", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  db:\n    image: postgres\n    environment:\n      PW: ${PW:?set a password}\n" });
    assert.equal(issues.length, 1);
    const i = issues[0];
    assert.equal(i?.file, "compose.yaml");
    assert.equal(i?.line, 5);
    assert.equal(i?.column, 11);
    assert.equal(i?.path, "services.db.environment.PW");
    assert.match(i?.message ?? "", /required variable PW is missing a value: set a password/);
  });
  it("collects several interpolation errors", async () => {
    const issues = await loadIssues({ "compose.yaml": "services:\n  a:\n    image: ${X:?x}\n  b:\n    image: ${Y:?y}\n" });
    assert.deepEqual(issues.map((i) => i.line), [3, 5]);
  });
  it("warns about unset variables", async () => {
    const warnings: string[] = [];
    await load({ "compose.yaml": "services:\n  a:\n    image: nginx:${TAG}\n" }, { onWarning: (w) => warnings.push(`${w.line}:${w.path}:${w.message}`) });
    assert.deepEqual(warnings, ["3:services.a.image:the TAG variable is not set; defaulting to a blank string"]);
  });
  it("interpolates anchors' copies independently of keys", async () => {
    const p = await load({ "compose.yaml": "x-img: &img ${IMG:-busybox}\nservices:\n  a:\n    image: *img\n" });
    assert.equal(p.services["a"]?.image, "busybox");
  });
});
