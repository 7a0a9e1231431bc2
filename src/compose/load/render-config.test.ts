import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderConfig } from "./render-config.ts";
import { load, writeTree } from "./test-support.ts";
import { loadProject } from "./load-project.ts";

describe("renderConfig (docker compose config shape)", () => {
  it("prints the normalized model like compose v2", async () => {
    const dir = await writeTree({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx",
        "    command: nginx -g 'daemon off;'",
        "    ports: ['8080:80']",
        "    volumes: ['./html:/usr/share/nginx/html:ro', 'cache:/cache']",
        "    environment: [B=2, A=1]",
        "    depends_on: [db]",
        "    healthcheck: {test: [CMD, \"true\"], interval: 90s}",
        "  db:",
        "    image: postgres",
        "volumes:",
        "  cache:",
      ].join("\n"),
    });
    const out = renderConfig(await loadProject({ workingDir: dir, env: {} }));
    assert.equal(
      out,
      [
        "name: proj",
        "services:",
        "  db:",
        "    image: postgres",
        "    networks:",
        "      default: null",
        "  web:",
        "    command:",
        "      - nginx",
        "      - -g",
        "      - daemon off;",
        "    depends_on:",
        "      db:",
        "        condition: service_started",
        "        required: true",
        "    environment:",
        '      A: "1"',
        '      B: "2"',
        "    healthcheck:",
        "      test:",
        "        - CMD",
        '        - "true"',
        "      interval: 1m30s",
        "    image: nginx",
        "    networks:",
        "      default: null",
        "    ports:",
        "      - mode: ingress",
        "        target: 80",
        '        published: "8080"',
        "        protocol: tcp",
        "    volumes:",
        "      - type: bind",
        `        source: ${dir}/html`,
        "        target: /usr/share/nginx/html",
        "        read_only: true",
        "        bind:",
        "          create_host_path: true",
        "      - type: volume",
        "        source: cache",
        "        target: /cache",
        "        volume: {}",
        "networks:",
        "  default:",
        "    name: proj_default",
        "volumes:",
        "  cache:",
        "    name: proj_cache",
        "",
      ].join("\n"),
    );
  });
  it("prints external resources, byte sizes as strings and extensions", async () => {
    const out = renderConfig(
      await load({ "compose.yaml": "x-top: 1\nservices:\n  a:\n    image: x\n    mem_limit: 1g\n    networks: [ext]\nnetworks:\n  ext: {external: true}\n" }),
    );
    assert.match(out, /mem_limit: "1073741824"/);
    assert.match(out, /networks:\n {2}ext:\n {4}name: ext\n {4}external: true\n/);
    assert.match(out, /\nx-top: 1\n$/);
  });
});
