import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIssue } from "../../../yaml/issues.ts";
import { load, loadIssues } from "../test-support.ts";
import { didYouMean, editDistance } from "../../../yaml/did-you-mean.ts";

const one = async (yaml: string, env: Record<string, string> = {}): Promise<string> => {
  const issues = await loadIssues({ "compose.yml": yaml }, { env });
  assert.equal(issues.length, 1, issues.map(formatIssue).join("\n"));
  return formatIssue(issues[0] as (typeof issues)[number]);
};

describe("schema validation", () => {
  it("types values after interpolation: replicas: two", async () => {
    assert.equal(
      await one("services:\n  web:\n    image: nginx\n    deploy:\n      replicas: ${N}\n", { N: "two" }),
      'compose.yml:5:17 services.web.deploy.replicas: expected a non-negative integer, got "two"',
    );
  });
  it("accepts interpolated numbers and booleans", async () => {
    const p = await load({ "compose.yml": "services:\n  web:\n    image: nginx\n    deploy: {replicas: '${N}'}\n    tty: ${T}\n" }, { env: { N: "3", T: "true" } });
    assert.equal(p.services["web"]?.deploy?.replicas, 3);
    assert.equal(p.services["web"]?.tty, true);
  });
  it("rejects restart: sometimes with the allowed values", async () => {
    assert.match(await one("services:\n  web:\n    image: nginx\n    restart: sometimes\n"), /^compose.yml:4:14 services.web.restart: expected one of "no", "always", "on-failure\[:N\]", "unless-stopped", got "sometimes"$/);
  });
  it("suggests the closest key for a typo", async () => {
    const issues = await loadIssues({ "compose.yml": "services:\n  web:\n    imgae: nginx\n" });
    const typo = issues.find((i) => i.path === "services.web.imgae");
    assert.ok(typo);
    assert.equal(`${typo.line}:${typo.column}`, "3:5");
    assert.match(typo.message, /unknown key "imgae" in service; did you mean "image"\?/);
  });
  it("refuses keys Slipway does not support, by name", async () => {
    const msg = await one("services:\n  web:\n    image: nginx\n    develop:\n      watch: []\n");
    assert.equal(msg, 'compose.yml:4:5 services.web.develop: "develop" is not supported by Slipway yet');
  });
  it("refuses nested unsupported keys", async () => {
    assert.match(await one("services:\n  web:\n    build:\n      context: .\n      ssh: [default]\n"), /services.web.build.ssh: "ssh" is not supported by Slipway yet/);
  });
  it("allows x- extensions at the top level and in services", async () => {
    const p = await load({ "compose.yml": "x-a: 1\nservices:\n  web:\n    image: nginx\n    x-b: {any: thing}\n" });
    assert.deepEqual(p.services["web"]?.extensions, { "x-b": { any: "thing" } });
    assert.deepEqual(p.extensions, { "x-a": 1 });
  });
  it("collects several errors in one run", async () => {
    const issues = await loadIssues({ "compose.yml": "services:\n  web:\n    image: nginx\n    tty: maybe\n    ports: ['80:80/http']\n    healthcheck:\n      interval: 10\n  db:\n    image: pg\n    mem_limit: lots\n" });
    assert.deepEqual(
      issues.map((i) => `${i.line}:${i.column} ${i.path}`),
      ["4:10 services.web.tty", "5:13 services.web.ports[0]", "7:17 services.web.healthcheck.interval", "10:16 services.db.mem_limit"],
    );
  });
  it("a string that fails the one string shape of a union is told what is wrong with it, not which types were expected", async () => {
    const issues = await loadIssues({ "compose.yml": "services:\n  db:\n    image: pg\n    ports: ['127.0.0.1::99999']\n" });
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /invalid container port range "99999"/);
    assert.doesNotMatch(issues[0]!.message, /expected .* or a mapping/);
  });
  it("checks enums with did-you-mean", async () => {
    const issues = await loadIssues({ "compose.yml": "services:\n  web:\n    image: nginx\n    depends_on:\n      db: {condition: service_healty}\n  db:\n    image: pg\n" });
    assert.equal(issues[0]?.path, "services.web.depends_on.db.condition");
    assert.equal(issues[0]?.hint, 'Did you mean "service_healthy"?');
  });
  it("reports wrong shapes", async () => {
    assert.match(await one("services:\n  web:\n    image: nginx\n    environment: FOO=bar\n"), /services.web.environment: expected a mapping or a sequence, got "FOO=bar"/);
    assert.match(await one("services:\n  web:\n    image: [nginx]\n"), /services.web.image: expected a string, got a sequence/);
  });
  it("asks to quote numbers given for strings", async () => {
    assert.match(await one("services:\n  web:\n    image: nginx\n    user: 1000\n"), /services.web.user: expected a string, got number 1000 \(quote it\)/);
  });
  it("requires a condition in the long form of depends_on, as compose does", async () => {
    assert.match(
      await one("services:\n  web:\n    image: nginx\n    depends_on:\n      db: {required: false}\n  db:\n    image: postgres\n"),
      /services\.web\.depends_on\.db: dependency is missing required key "condition"/,
    );
  });
  it("rejects invalid service names", async () => {
    assert.match(await one("services:\n  'my web':\n    image: nginx\n"), /invalid name "my web"/);
  });
  it("reports YAML syntax errors with a position", async () => {
    const issues = await loadIssues({ "compose.yml": "services:\n  web:\n    image: nginx\n   bad: [\n" });
    assert.equal(issues[0]?.file, "compose.yml");
    assert.match(issues[0]?.message ?? "", /YAML syntax error/);
  });
  it("rejects duplicate keys", async () => {
    const issues = await loadIssues({ "compose.yml": "services:\n  web:\n    image: a\n    image: b\n" });
    assert.match(issues[0]?.message ?? "", /YAML syntax error: Map keys must be unique/);
  });
});

describe("did-you-mean", () => {
  it("computes edit distance", () => {
    assert.equal(editDistance("imgae", "image"), 2);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("same", "same"), 0);
  });
  it("suggests only close words", () => {
    assert.equal(didYouMean("enviroment", ["environment", "entrypoint"]), "environment");
    assert.equal(didYouMean("zzzz", ["image", "build"]), undefined);
  });
});
