import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseDockerHost, resolveEndpoint, describeEndpoint, targetEnv, type FileReader } from "./endpoint.ts";
import { SlipwayError } from "../errors/index.ts";

const files = (map: Record<string, string>): FileReader => ({ readText: (f) => map[f] });
const home = "/home/u";
const resolve = (env: Record<string, string>, map: Record<string, string> = {}) =>
  resolveEndpoint({ env, homeDir: home, files: files(map), platform: "linux" });

test("no DOCKER_HOST and no context: the default unix socket", () => {
  assert.deepEqual(resolve({}), { kind: "unix", socketPath: "/var/run/docker.sock", source: "default" });
});

test("DOCKER_HOST unix://", () => {
  const e = resolve({ DOCKER_HOST: "unix:///tmp/d.sock" });
  assert.equal(e.kind, "unix");
  assert.equal(describeEndpoint(e), "unix:///tmp/d.sock");
});

test("DOCKER_HOST tcp:// without TLS defaults to port 2375", () => {
  const e = resolve({ DOCKER_HOST: "tcp://10.0.0.1" });
  assert.deepEqual(e, { kind: "tcp", host: "10.0.0.1", port: 2375, source: "DOCKER_HOST" });
});

test("DOCKER_TLS_VERIFY: any non-empty value means verify, certs from DOCKER_CERT_PATH, port 2376", () => {
  for (const value of ["1", "0", "false", "yes"]) {
    const e = resolve(
      { DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: value, DOCKER_CERT_PATH: "/certs" },
      { "/certs/ca.pem": "CA", "/certs/cert.pem": "CERT", "/certs/key.pem": "KEY" },
    );
    assert.equal(e.kind, "tcp");
    if (e.kind !== "tcp") return;
    assert.equal(e.port, 2376);
    assert.deepEqual(e.tls, { verify: true, ca: "CA", cert: "CERT", key: "KEY" });
  }
});

test("DOCKER_TLS_VERIFY empty string does not enable TLS", () => {
  const e = resolve({ DOCKER_HOST: "tcp://h:1234", DOCKER_TLS_VERIFY: "" });
  assert.deepEqual(e, { kind: "tcp", host: "h", port: 1234, source: "DOCKER_HOST" });
});

test("DOCKER_CERT_PATH defaults to ~/.docker", () => {
  const e = resolve({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1" }, { [`${home}/.docker/ca.pem`]: "CA" });
  assert.ok(e.kind === "tcp" && e.tls?.ca === "CA");
});

test("DOCKER_TLS without verify: TLS but no verification", () => {
  const e = resolve({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS: "1" });
  assert.ok(e.kind === "tcp" && e.tls && e.tls.verify === false);
});

test("verify without a readable ca.pem is a clear error", () => {
  assert.throws(() => resolve({ DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/nope" }), (err) => {
    assert.ok(err instanceof SlipwayError);
    assert.match(err.message, /\/nope\/ca\.pem/);
    assert.ok(err.hint);
    return true;
  });
});

test("ssh:// with user, port and socket path", () => {
  assert.deepEqual(parseDockerHost("ssh://deploy@example.org:2222/run/user/1000/docker.sock", undefined, "DOCKER_HOST"), {
    kind: "ssh",
    host: "example.org",
    user: "deploy",
    port: 2222,
    socketPath: "/run/user/1000/docker.sock",
    source: "DOCKER_HOST",
  });
  assert.deepEqual(parseDockerHost("ssh://box", undefined, "DOCKER_HOST"), { kind: "ssh", host: "box", source: "DOCKER_HOST" });
});

test("IPv6 tcp host", () => {
  const e = parseDockerHost("tcp://[::1]:2375", undefined, "x");
  assert.deepEqual(e, { kind: "tcp", host: "::1", port: 2375, source: "x" });
});

test("unsupported protocol is a clear error", () => {
  assert.throws(() => resolve({ DOCKER_HOST: "ftp://h" }), /unsupported protocol "ftp"/);
});

const contextId = (name: string) => createHash("sha256").update(name).digest("hex");

test("DOCKER_CONTEXT selects a context from the store, with its TLS material", () => {
  const id = contextId("prod");
  const e = resolve(
    { DOCKER_CONTEXT: "prod" },
    {
      [`${home}/.docker/contexts/meta/${id}/meta.json`]: JSON.stringify({
        Name: "prod",
        Endpoints: { docker: { Host: "tcp://prod:2376", SkipTLSVerify: false } },
      }),
      [`${home}/.docker/contexts/tls/${id}/docker/ca.pem`]: "CA",
    },
  );
  assert.equal(e.kind, "tcp");
  assert.ok(e.kind === "tcp" && e.tls?.verify === true && e.tls.ca === "CA");
  assert.match(e.source, /prod/);
});

test("currentContext from config.json is used when DOCKER_CONTEXT is unset", () => {
  const id = contextId("remote");
  const e = resolve(
    {},
    {
      [`${home}/.docker/config.json`]: JSON.stringify({ currentContext: "remote" }),
      [`${home}/.docker/contexts/meta/${id}/meta.json`]: JSON.stringify({ Endpoints: { docker: { Host: "ssh://me@remote" } } }),
    },
  );
  assert.equal(e.kind, "ssh");
});

test("DOCKER_HOST beats DOCKER_CONTEXT (docker CLI order)", () => {
  const e = resolve({ DOCKER_HOST: "unix:///a.sock", DOCKER_CONTEXT: "prod" });
  assert.ok(e.kind === "unix" && e.socketPath === "/a.sock");
});

test("DOCKER_CONTEXT=default is the default socket", () => {
  assert.equal(resolve({ DOCKER_CONTEXT: "default" }).kind, "unix");
});

test("a missing context is a clear error", () => {
  assert.throws(() => resolve({ DOCKER_CONTEXT: "ghost" }), /docker context "ghost" does not exist/);
});

test("DOCKER_CONFIG moves the context store", () => {
  const id = contextId("c");
  const e = resolve(
    { DOCKER_CONFIG: "/cfg", DOCKER_CONTEXT: "c" },
    { [`/cfg/contexts/meta/${id}/meta.json`]: JSON.stringify({ Endpoints: { docker: { Host: "unix:///c.sock" } } }) },
  );
  assert.ok(e.kind === "unix" && e.socketPath === "/c.sock");
});

test("a deploy target's endpoint: a URL is DOCKER_HOST (TLS still from the environment); a name is a docker context, which a DOCKER_HOST in the environment must not override", () => {
  const id = contextId("swarm-prod");
  const store = { [`${home}/.docker/contexts/meta/${id}/meta.json`]: JSON.stringify({ Endpoints: { docker: { Host: "ssh://deploy@manager-1" } } }) };
  const shell = { DOCKER_HOST: "unix:///var/run/docker.sock", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" };
  const viaContext = resolve(targetEnv(shell, "swarm-prod") as Record<string, string>, store);
  assert.ok(viaContext.kind === "ssh" && viaContext.host === "manager-1" && viaContext.user === "deploy", JSON.stringify(viaContext));
  const viaUrl = resolve(targetEnv(shell, "tcp://manager-1:2376") as Record<string, string>, { "/certs/ca.pem": "CA", "/certs/cert.pem": "CERT", "/certs/key.pem": "KEY" });
  assert.ok(viaUrl.kind === "tcp" && viaUrl.host === "manager-1" && viaUrl.tls?.verify === true && viaUrl.tls.ca === "CA", JSON.stringify(viaUrl));
  assert.equal(targetEnv(shell, undefined), shell);
});
