import { test } from "node:test";
import assert from "node:assert/strict";
import { insecureRegistry } from "./insecure.ts";

test("plain HTTP is allowed where the engine allows it: listed as not secure, or inside an insecure CIDR", () => {
  const config = { InsecureRegistryCIDRs: ["127.0.0.0/8", "10.1.0.0/16"], IndexConfigs: { "docker.io": { Mirrors: [], Secure: true }, "registry.lan:5000": { Mirrors: [], Secure: false } } };
  assert.equal(insecureRegistry("127.0.0.1:5002", config), true);
  assert.equal(insecureRegistry("localhost:5000", config), true);
  assert.equal(insecureRegistry("10.1.2.3:443", config), true);
  assert.equal(insecureRegistry("10.2.0.1", config), false);
  assert.equal(insecureRegistry("registry.lan:5000", config), true);
  assert.equal(insecureRegistry("registry.lan:5001", config), false, "a name the daemon does not list, not an address");
  assert.equal(insecureRegistry("docker.io", config), false);
  assert.equal(insecureRegistry("ghcr.io", config), false);
});

test("without the engine's list, loopback is insecure (the daemon's default) and nothing else", () => {
  assert.equal(insecureRegistry("127.0.0.1:5003", undefined), true);
  assert.equal(insecureRegistry("[::1]:5000", undefined), false);
  assert.equal(insecureRegistry("192.168.1.10:5000", {}), false);
});

test("IPv6: a bare address or one in brackets with a port, against v6 CIDRs; a host:port is never read as v6", () => {
  const config = { InsecureRegistryCIDRs: ["127.0.0.0/8", "fd00::/8"] };
  assert.equal(insecureRegistry("fd12::5", config), true);
  assert.equal(insecureRegistry("[fd12::5]:5000", config), true);
  assert.equal(insecureRegistry("[2001:db8::1]:5000", config), false);
  assert.equal(insecureRegistry("127.0.0.1:5002", config), true);
  assert.equal(insecureRegistry("fd12:5000", config), false, "one colon: a host and a port");
});
