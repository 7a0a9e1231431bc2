import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBytes, parsePortSpec, parseVolumeSpec, shellSplit } from "./formats.ts";

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T => {
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

describe("formats", () => {
  it("parses byte sizes with binary units", () => {
    assert.equal(value(parseBytes("512m")), 512 * 1024 ** 2);
    assert.equal(value(parseBytes("1g")), 1024 ** 3);
    assert.equal(value(parseBytes("2GB")), 2 * 1024 ** 3);
    assert.equal(value(parseBytes(1000)), 1000);
    assert.equal(parseBytes("lots").ok, false);
  });
  it("parses port short syntax", () => {
    assert.deepEqual(value(parsePortSpec("127.0.0.1:8080:80/udp")), [{ target: 80, published: "8080", host_ip: "127.0.0.1", protocol: "udp" }]);
    assert.deepEqual(value(parsePortSpec("3000-3002")).map((p) => p.target), [3000, 3001, 3002]);
    assert.deepEqual(value(parsePortSpec("8000-8001:80-81")), [
      { target: 80, published: "8000", protocol: "tcp" },
      { target: 81, published: "8001", protocol: "tcp" },
    ]);
    assert.deepEqual(value(parsePortSpec("9000-9010:80")), [{ target: 80, published: "9000-9010", protocol: "tcp" }]);
    assert.deepEqual(value(parsePortSpec("127.0.0.1::80")), [{ target: 80, host_ip: "127.0.0.1", protocol: "tcp" }]);
    assert.deepEqual(value(parsePortSpec("[::1]:80:80")), [{ target: 80, published: "80", host_ip: "::1", protocol: "tcp" }]);
    assert.equal(parsePortSpec("80/http").ok, false);
    assert.equal(parsePortSpec("8000-8002:80-81").ok, false);
    assert.equal(parsePortSpec("a:b:c:d").ok, false);
    assert.equal(parsePortSpec("70000").ok, false);
  });
  it("parses volume short syntax", () => {
    assert.deepEqual(value(parseVolumeSpec("./data:/data:ro")), { type: "bind", source: "./data", target: "/data", read_only: true });
    assert.deepEqual(value(parseVolumeSpec("db:/var/lib/db")), { type: "volume", source: "db", target: "/var/lib/db", read_only: false });
    assert.deepEqual(value(parseVolumeSpec("/anon")), { type: "volume", target: "/anon", read_only: false });
    assert.deepEqual(value(parseVolumeSpec("~/x:/x:z,rshared")), { type: "bind", source: "~/x", target: "/x", read_only: false, selinux: "z", propagation: "rshared" });
    assert.equal(parseVolumeSpec("db:relative").ok, false);
    // A lone letter before ":" is a Windows drive to compose-go, never a volume name.
    assert.deepEqual(value(parseVolumeSpec("c:/data:/data:ro")), { type: "bind", source: "c:/data", target: "/data", read_only: true });
    assert.deepEqual(value(parseVolumeSpec("v:/v")), { type: "volume", target: "v:/v", read_only: false });
    assert.deepEqual(value(parseVolumeSpec("./a:c:/x")), { type: "bind", source: "./a", target: "c:/x", read_only: false });
    assert.equal(parseVolumeSpec("a:/b:bogus").ok, false);
  });
  it("splits shell-form commands like compose", () => {
    assert.deepEqual(value(shellSplit(`sh -c "echo 'hi there' \\"x\\""`)), ["sh", "-c", `echo 'hi there' "x"`]);
    assert.deepEqual(value(shellSplit("a  b\\ c ''")), ["a", "b c", ""]);
    assert.equal(shellSplit("'open").ok, false);
  });
});
