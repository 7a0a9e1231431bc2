import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../errors/index.ts";
import { publishedPort } from "./port.ts";

const c = {
  Id: "4febc5d65eef",
  Names: ["/lpdemo-web-1"],
  Ports: [
    { IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 32787, Type: "tcp" },
    { IP: "0.0.0.0", PrivatePort: 8081, PublicPort: 32768, Type: "tcp" },
    { IP: "::", PrivatePort: 8081, PublicPort: 32768, Type: "tcp" },
    { IP: "0.0.0.0", PrivatePort: 53, PublicPort: 40053, Type: "udp" },
  ],
};

test("the first binding of the port and protocol, as the engine lists them (0.0.0.0 before ::)", () => {
  assert.deepEqual(publishedPort(c, 8080, "tcp"), { ip: "127.0.0.1", port: 32787 });
  assert.deepEqual(publishedPort(c, 8081, "tcp"), { ip: "0.0.0.0", port: 32768 });
  assert.deepEqual(publishedPort(c, 53, "udp"), { ip: "0.0.0.0", port: 40053 });
});

test("no such binding: compose's message, listing the container's public ports", () => {
  assert.throws(
    () => publishedPort(c, 8080, "udp"),
    (e: unknown) => e instanceof SlipwayError && e.message === "no port 8080/udp for container lpdemo-web-1: 32787/tcp, 32768/tcp, 32768/tcp, 40053/udp",
  );
  assert.throws(() => publishedPort({ ...c, Ports: [] }, 80, "tcp"), /no port 80\/tcp for container lpdemo-web-1: $/);
});
