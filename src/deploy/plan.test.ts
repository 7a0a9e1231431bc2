import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPlan } from "../compose/runner/plan.ts";
import { projectFromYaml } from "../compose/runner/test-support.ts";
import { generationsToRemove, planDeploy, planRemoval, type ObservedStack } from "./plan.ts";
import { buildStackModel, StackLabel } from "./stack-model.ts";

const DIGEST = `sha256:${"c".repeat(64)}`;
const YAML = `
services:
  web:
    image: nginx
    networks: [front]
    secrets: [token]
    configs: [site]
  worker: { image: busybox }
networks: { front: {} }
secrets: { token: { environment: TOKEN } }
configs: { site: { content: "x" } }
`;

async function stackModel(yaml = YAML) {
  const project = await projectFromYaml(yaml, "proj");
  return buildStackModel({ project, stack: "st", images: new Map(Object.keys(project.services).map((s) => [s, `127.0.0.1:5003/${s}@${DIGEST}`])) });
}

const empty: ObservedStack = { services: [], networks: [], secrets: [], configs: [] };
const ns = { [StackLabel.namespace]: "st" };

test("a first deploy creates networks, secrets and configs, then the services that use them", async () => {
  const plan = planDeploy(await stackModel(), empty);
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(plan.steps.map((s) => s.id), [
    "network.create:st_default",
    "network.create:st_front",
    "secret.create:st_token",
    "config.create:st_site",
    "service.create:st_web",
    "service.create:st_worker",
  ]);
  const web = plan.steps.find((s) => s.id === "service.create:st_web")!;
  assert.deepEqual(web.deps, ["network.create:st_front", "secret.create:st_token", "config.create:st_site"]);
  assert.match(formatPlan(plan.steps), /^ {2}1\. create network st_default \(overlay\)\n/);
});

test("a redeploy of the same file plans nothing: every service's hash label matches", async () => {
  const model = await stackModel();
  const observed: ObservedStack = {
    services: model.services.map((d, i) => ({ id: `s${i}`, name: d.spec.Name, version: 10 + i, labels: { ...ns, [StackLabel.specHash]: d.hash } })),
    networks: model.networks.map((n) => ({ id: n.name, name: n.name, labels: ns })),
    secrets: [{ id: "x", name: "st_token", labels: ns }],
    configs: [{ id: "y", name: "st_site", labels: ns }],
  };
  const plan = planDeploy(model, observed, { prune: true });
  assert.deepEqual(plan.steps, []);
  assert.deepEqual(plan.unchanged, ["st_web", "st_worker"]);
  assert.equal(formatPlan(plan.steps), "nothing to do: everything is up to date\n");
});

test("a changed service is updated with the version it was read at; a service not made by Slipway is updated too, saying so", async () => {
  const model = await stackModel();
  const observed: ObservedStack = {
    ...empty,
    networks: model.networks.map((n) => ({ id: n.name, name: n.name, labels: ns })),
    secrets: [{ id: "x", name: "st_token", labels: ns }],
    configs: [{ id: "y", name: "st_site", labels: ns }],
    services: [
      { id: "w", name: "st_web", version: 7, labels: { ...ns, [StackLabel.specHash]: "old" } },
      { id: "k", name: "st_worker", version: 3, labels: ns },
    ],
  };
  const plan = planDeploy(model, observed);
  assert.deepEqual(plan.steps.map((s) => s.cause), ["update service st_web: its spec changed", "update service st_worker: it was not deployed by Slipway"]);
  const web = plan.steps[0]!;
  assert.ok(web.kind === "service.update" && web.current.version === 7);
  assert.deepEqual(web.deps, [], "what it uses exists already");
});

test("--prune removes the stack's services, networks, secrets and configs that left the file, after the services change; never another stack's", async () => {
  const model = await stackModel(`
services:
  web: { image: nginx }
`);
  const observed: ObservedStack = {
    services: [
      { id: "w", name: "st_web", version: 1, labels: { ...ns, [StackLabel.specHash]: model.services[0]!.hash } },
      { id: "o", name: "st_old", version: 1, labels: ns },
      { id: "x", name: "other_api", version: 1, labels: { [StackLabel.namespace]: "other" } },
    ],
    networks: [{ id: "n1", name: "st_default", labels: ns }, { id: "n2", name: "st_front", labels: ns }, { id: "n3", name: "other_default", labels: { [StackLabel.namespace]: "other" } }],
    secrets: [{ id: "s1", name: "st_token", labels: ns }],
    configs: [],
  };
  assert.deepEqual(planDeploy(model, observed).steps, [], "without --prune nothing goes");
  const plan = planDeploy(model, observed, { prune: true });
  assert.deepEqual(plan.steps.map((s) => [s.id, s.deps]), [
    ["service.remove:st_old", []],
    ["network.remove:st_front", ["service.remove:st_old"]],
    ["secret.remove:st_token", ["service.remove:st_old"]],
  ]);
});

test("an external network, secret or config that does not exist is an error naming what to create", async () => {
  const model = await stackModel(`
services:
  web: { image: nginx, networks: [shared], secrets: [key] }
networks: { shared: { external: true, name: edge } }
secrets: { key: { external: true, name: prod_key } }
`);
  const plan = planDeploy(model, empty);
  assert.deepEqual(plan.errors.map((e) => e.path), ["networks.shared", "secrets.key"]);
  assert.match(plan.errors[1]!.message, /docker secret create prod_key -/);
});

test("--remove: every service of the stack first, then its networks, secrets and configs", () => {
  const observed: ObservedStack = {
    services: [{ id: "a", name: "st_a", version: 1, labels: ns }, { id: "b", name: "other_b", version: 1, labels: { [StackLabel.namespace]: "other" } }],
    networks: [{ id: "n", name: "st_default", labels: ns }],
    secrets: [],
    configs: [{ id: "c", name: "st_site", labels: ns }],
  };
  assert.deepEqual(planRemoval("st", observed).map((s) => [s.id, s.deps]), [
    ["service.remove:st_a", []],
    ["network.remove:st_default", ["service.remove:st_a"]],
    ["config.remove:st_site", ["service.remove:st_a"]],
  ]);
});

test("a secret named in the file (`name:`) whose content changed is refused with what to do: Swarm cannot change it", async () => {
  const project = await projectFromYaml(`
services:
  web: { image: nginx, secrets: [token] }
secrets: { token: { environment: TOKEN, name: team_token } }
`, "proj");
  const model = buildStackModel({ project, stack: "st", images: new Map([["web", `127.0.0.1:5003/web@${DIGEST}`]]), contentHashes: new Map([["secret:token", "b".repeat(64)]]) });
  const observed: ObservedStack = { ...empty, secrets: [{ id: "s1", name: "team_token", labels: { ...ns, [StackLabel.contentHash]: "a".repeat(64) } }] };
  const plan = planDeploy(model, observed);
  assert.deepEqual(plan.errors.map((e) => e.path), ["secrets.token"]);
  assert.match(plan.errors[0]!.message, /exists on the swarm with other content, and a Swarm secret cannot change: drop `name:`/);
  const same: ObservedStack = { ...empty, secrets: [{ id: "s1", name: "team_token", labels: { ...ns, [StackLabel.contentHash]: "b".repeat(64) } }] };
  assert.deepEqual(planDeploy(model, same).errors, []);
});

test("old generations: beyond the newest two of each key, never one the model uses, only this stack's and only Slipway's", async () => {
  const project = await projectFromYaml(`
services:
  web: { image: nginx, secrets: [token] }
secrets: { token: { environment: TOKEN } }
`, "proj");
  const model = buildStackModel({ project, stack: "st", images: new Map([["web", `127.0.0.1:5003/web@${DIGEST}`]]), contentHashes: new Map([["secret:token", "d".repeat(64)]]) });
  const gen = (hash: string, createdAt: string, labels: Record<string, string> = { ...ns, [StackLabel.contentHash]: hash.repeat(64), [StackLabel.objectKey]: "token" }) => ({ id: `id-${hash}`, name: `st_token_${hash.repeat(12)}`, labels, createdAt });
  const observed: ObservedStack = {
    ...empty,
    secrets: [
      gen("a", "2026-12-01T00:00:00Z"),
      gen("d", "2026-12-04T00:00:00Z"),
      gen("b", "2026-12-02T00:00:00Z"),
      gen("c", "2026-12-03T00:00:00Z"),
      gen("e", "2026-11-01T00:00:00Z", { [StackLabel.namespace]: "other", [StackLabel.contentHash]: "e", [StackLabel.objectKey]: "token" }),
      gen("f", "2026-11-01T00:00:00Z", { ...ns }),
    ],
  };
  assert.deepEqual(generationsToRemove(model, observed).map((g) => [g.kind, g.object.id]), [["secret", "id-b"], ["secret", "id-a"]]);
  // The model's own generation is kept even when it is not among the newest two.
  const older = buildStackModel({ project, stack: "st", images: new Map([["web", `127.0.0.1:5003/web@${DIGEST}`]]), contentHashes: new Map([["secret:token", "a".repeat(64)]]) });
  assert.deepEqual(generationsToRemove(older, observed).map((g) => g.object.id), ["id-b"]);
});
