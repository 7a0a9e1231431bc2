import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../errors/index.ts";
import { buildContainerSpec } from "./container-spec.ts";
import { parseAssignments, parseEntrypointFlag, parseLabelFlags, parsePublishFlags, parseVolumeFlags, withRunFlags } from "./run.ts";
import { projectFromYaml } from "./test-support.ts";

const usage = (pattern: RegExp) => (err: unknown) => err instanceof SlipwayError && err.kind === "usage" && pattern.test(err.message);

test("-e KEY=VALUE sets; -e KEY takes it from the environment, and is left out when unset there (as compose v2)", () => {
  assert.deepEqual(parseAssignments(["A=1", "B=", "C=x=y", "FROM_ENV", "UNSET"], { FROM_ENV: "here" }, "-e"), { A: "1", B: "", C: "x=y", FROM_ENV: "here" });
  assert.throws(() => parseAssignments(["=v"], {}, "--build-arg"), usage(/--build-arg "=v": the name is empty/));
});

test("-l needs KEY=VALUE, as compose v2 says", () => {
  assert.deepEqual(parseLabelFlags(["a=b", "c="]), { a: "b", c: "" });
  assert.throws(() => parseLabelFlags(["foo"]), usage(/label must be set as KEY=VALUE/));
});

test("--entrypoint is split as a shell would (compose v2's shellwords)", () => {
  assert.deepEqual(parseEntrypointFlag(`sh -c 'echo $0 $1' a`), ["sh", "-c", "echo $0 $1", "a"]);
  assert.deepEqual(parseEntrypointFlag("/bin/true"), ["/bin/true"]);
  assert.throws(() => parseEntrypointFlag(`sh -c 'unterminated`), usage(/unterminated quote/));
});

test("-v: binds resolved from the project folder (and ~), volumes and anonymous volumes as written", () => {
  assert.deepEqual(parseVolumeFlags(["./data:/data:ro", "/abs:/x", "~/h:/h", "named:/n", "/anon"], "/proj", "/home/me"), [
    { type: "bind", source: "/proj/data", target: "/data", read_only: true },
    { type: "bind", source: "/abs", target: "/x", read_only: false },
    { type: "bind", source: "/home/me/h", target: "/h", read_only: false },
    { type: "volume", source: "named", target: "/n", read_only: false },
    { type: "volume", target: "/anon", read_only: false },
  ]);
  assert.throws(() => parseVolumeFlags([":/x"], "/proj"), usage(/Invalid -v ":\/x"/));
  assert.throws(() => parseVolumeFlags(["a:relative"], "/proj"), usage(/must be absolute/));
});

test("-p: published ports with host IP, ranges and protocol", () => {
  assert.deepEqual(parsePublishFlags(["127.0.0.1::80", "8080:80/udp", "9000-9001:90-91"]), [
    { target: 80, host_ip: "127.0.0.1", protocol: "tcp" },
    { target: 80, published: "8080", protocol: "udp" },
    { target: 90, published: "9000", protocol: "tcp" },
    { target: 91, published: "9001", protocol: "tcp" },
  ]);
  assert.throws(() => parsePublishFlags(["80/xyz"]), usage(/invalid protocol/));
});

const YAML = [
  "services:",
  "  app:",
  "    image: busybox",
  "    labels: { team: a, com.docker.compose.project: spoofed }",
  "    ports: ['8080:80']",
  "    cap_add: [NET_ADMIN]",
  "    volumes: ['data:/var/data']",
  "    networks:",
  "      default: { aliases: [api] }",
  "volumes:",
  "  data: {}",
].join("\n");

async function oneoff() {
  const project = await projectFromYaml(YAML, "demo");
  const spec = buildContainerSpec({
    project,
    service: project.services["app"]!,
    index: 1,
    name: "demo-app-run-0123456789ab",
    image: "busybox",
    configHash: "h",
    runLabels: { "dev.slipway.run": "r1" },
    apiVersion: "1.41",
    oneoff: {},
  });
  return { project, spec };
}

test("run's flags on the one-off: mounts, published ports, labels, capabilities, auto-removal", async () => {
  const { project, spec } = await oneoff();
  const out = withRunFlags(spec, project, {
    volumes: parseVolumeFlags(["/host:/h:ro", "data:/d", "other:/o", "/anon"], "/proj"),
    publish: parsePublishFlags(["127.0.0.1::80"]),
    labels: { team: "b", extra: "1", "com.docker.compose.service": "spoof", "dev.slipway.run": "spoof" },
    capAdd: ["SYS_TIME"],
    capDrop: ["MKNOD"],
    autoRemove: true,
  });
  const host = out.body.HostConfig!;
  assert.deepEqual(host.Binds, ["/host:/h:ro"]);
  // A volume of the file is the project's; another name is the engine's volume of that name (as compose v2 mounts it).
  assert.deepEqual(host.Mounts, [
    { Type: "volume", Source: "demo_data", Target: "/var/data", ReadOnly: false },
    { Type: "volume", Source: "demo_data", Target: "/d", ReadOnly: false },
    { Type: "volume", Source: "other", Target: "/o", ReadOnly: false },
    { Type: "volume", Target: "/anon", ReadOnly: false },
  ]);
  assert.deepEqual(host.PortBindings, { "80/tcp": [{ HostPort: "", HostIp: "127.0.0.1" }] });
  assert.ok(out.body.ExposedPorts?.["80/tcp"]);
  assert.deepEqual(host.CapAdd, ["NET_ADMIN", "SYS_TIME"]);
  assert.deepEqual(host.CapDrop, ["MKNOD"]);
  assert.equal(host.AutoRemove, true);
  assert.equal(out.body.Labels!["team"], "b");
  assert.equal(out.body.Labels!["extra"], "1");
  // compose's and Slipway's own labels are never overridden: the one-off must stay findable and removable.
  assert.equal(out.body.Labels!["com.docker.compose.service"], "app");
  assert.equal(out.body.Labels!["com.docker.compose.oneoff"], "True");
  assert.equal(out.body.Labels!["dev.slipway.run"], "r1");
  // The spec it started from is unchanged (a pure builder).
  assert.equal(spec.body.HostConfig!.AutoRemove, undefined);
  assert.equal(spec.body.Labels!["team"], "a");
});

test("a one-off has no published ports and only its own name as alias unless asked (as compose v2)", async () => {
  const { project, spec } = await oneoff();
  assert.equal(spec.body.HostConfig!.PortBindings, undefined);
  const plain = withRunFlags(spec, project, { useAliases: false });
  assert.deepEqual(Object.values(plain.body.NetworkingConfig!.EndpointsConfig!).map((e) => e.Aliases), [[spec.name]]);
  const aliased = withRunFlags(spec, project, { useAliases: true });
  assert.deepEqual(Object.values(aliased.body.NetworkingConfig!.EndpointsConfig!).map((e) => e.Aliases), [[spec.name, "app", "api"]]);
  // Unset keeps what the spec has: the pipeline's runs are unchanged.
  assert.deepEqual(withRunFlags(spec, project, {}).body, spec.body);
});
