import { test } from "node:test";
import assert from "node:assert/strict";
import { projectFromYaml } from "../compose/runner/test-support.ts";
import { preflight } from "./preflight.ts";
import { buildStackModel } from "./stack-model.ts";

const DIGEST = `sha256:${"b".repeat(64)}`;

async function check(yaml: string, opts: Parameters<typeof preflight>[2] = {}) {
  const project = await projectFromYaml(yaml, "proj");
  const images = new Map(Object.keys(project.services).map((s) => [s, `127.0.0.1:5003/${s}@${DIGEST}`]));
  const model = buildStackModel({ project, stack: "st", images });
  return preflight(model, project, opts);
}

const HEALTH = `healthcheck: { test: ["CMD", "true"], interval: 2s, retries: 3, start_period: 1s }`;

test("a replicated service with a healthcheck and defaults passes", async () => {
  assert.deepEqual(await check(`
services:
  web:
    image: nginx
    ${HEALTH}
`), []);
});

test("a replicated service without a healthcheck (or with it disabled) is refused at its healthcheck key; an image's own HEALTHCHECK counts; a global one is not checked", async () => {
  const issues = await check(`
services:
  web: { image: nginx }
  off: { image: nginx, healthcheck: { disable: true } }
  agent: { image: busybox, deploy: { mode: global } }
  own: { image: nginx }
`, { imageHealthchecks: new Set(["own"]) });
  assert.deepEqual(issues.map((i) => i.path), ["services.off.healthcheck", "services.web.healthcheck"]);
  assert.match(issues[0]!.message, /no healthcheck \(it is disabled\)/);
  assert.match(issues[1]!.message, /would call a task that crashes after start-up.*a success/);
});

test("a monitor shorter than the healthcheck's worst case is refused, naming both durations", async () => {
  const issues = await check(`
services:
  web:
    image: nginx
    ${HEALTH}
    deploy: { update_config: { monitor: 5s } }
`);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.path, "services.web.deploy.update_config.monitor");
  assert.match(issues[0]!.message, /monitor is 5 s, shorter than its healthcheck's worst case \(start_period \+ interval × retries = 7 s\)/);
});

test("start-first with a host-mode port is refused; with an ingress port it passes", async () => {
  const host = await check(`
services:
  web:
    image: nginx
    ${HEALTH}
    ports: [{ target: 80, published: 8080, mode: host }]
    deploy: { update_config: { order: start-first } }
`);
  assert.deepEqual(host.map((i) => i.path), ["services.web.deploy.update_config.order"]);
  assert.match(host[0]!.message, /host-mode port 8080/);
  assert.deepEqual(await check(`
services:
  web:
    image: nginx
    ${HEALTH}
    ports: ["8080:80"]
    deploy: { update_config: { order: start-first } }
`), []);
});

test("failure_action continue is refused unless the target allows it", async () => {
  const yaml = `
services:
  web:
    image: nginx
    ${HEALTH}
    deploy: { update_config: { failure_action: continue } }
`;
  const refused = await check(yaml);
  assert.deepEqual(refused.map((i) => i.path), ["services.web.deploy.update_config.failure_action"]);
  assert.match(refused[0]!.message, /allow_failure_action_continue: true/);
  assert.deepEqual(await check(yaml, { allowContinue: true }), []);
});

test("an issue carries its place in the file when the loader can say it", async () => {
  const issues = await check(`
services:
  web: { image: nginx }
`, { locate: (keys) => ({ file: "compose.yaml", line: keys.length, column: 1 }) });
  assert.deepEqual(issues[0]!.place, { file: "compose.yaml", line: 3, column: 1 });
});

test("before the images are read (the file's own checks), a service with an image may still have a HEALTHCHECK in it: not refused yet; a disabled one is", async () => {
  const issues = await check(`
services:
  web: { image: nginx }
  off: { image: nginx, healthcheck: { disable: true } }
`, { imageHealthchecks: "unknown" });
  assert.deepEqual(issues.map((i) => i.path), ["services.off.healthcheck"]);
  const read = await check(`
services:
  web: { image: nginx }
`, { imageHealthchecks: new Set() });
  assert.match(read[0]!.message, /or a HEALTHCHECK to its image \(nginx has none\)/);
});
