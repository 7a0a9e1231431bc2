import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { load } from "./test-support.ts";

describe("dropUnusedResources (compose-go's WithoutUnnecessaryResources)", () => {
  it("keeps only the networks, volumes, secrets and configs an active service uses", async () => {
    const p = await load({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: x",
        "    networks: [front]",
        "    volumes: [data:/data, /anonymous, ./bind:/bind]",
        "    secrets: [token]",
        "    configs: [conf]",
        "  debug:",
        "    image: x",
        "    profiles: [debug]",
        "    networks: [back]",
        "    volumes: [scratch:/scratch]",
        "networks: {front: {}, back: {}, spare: {}}",
        "volumes: {data: {}, scratch: {}, spare: {external: true}}",
        "secrets: {token: {file: ./t}, spare: {file: ./s}}",
        "configs: {conf: {content: x}, spare: {content: y}}",
      ].join("\n") + "\n",
    });
    assert.deepEqual(Object.keys(p.networks), ["front"]);
    assert.deepEqual(Object.keys(p.volumes), ["data"]);
    assert.deepEqual(Object.keys(p.secrets), ["token"]);
    assert.deepEqual(Object.keys(p.configs), ["conf"]);
  });
  it("keeps the default network while a service relies on it, and what an enabled profile uses", async () => {
    const p = await load(
      { "compose.yaml": "services:\n  a:\n    image: x\n  b:\n    image: x\n    profiles: [p]\n    networks: [back]\nnetworks: {back: {}}\n" },
      { profiles: ["p"] },
    );
    assert.deepEqual(Object.keys(p.networks).sort(), ["back", "default"]);
  });
  it("still reports an invalid definition that nothing uses", async () => {
    await assert.rejects(load({ "compose.yaml": "services:\n  a:\n    image: x\nsecrets:\n  s: {}\n" }), /secret "s" needs one of file, environment or external/);
  });
});
