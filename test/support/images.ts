/** Images for tests that need many distinct ones fast: busybox plus a unique label, built by the classic builder. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Engine } from "../../src/engine/index.ts";
import { builtImageId, tarFromEntries } from "../../src/engine/streams/index.ts";

/** Builds a distinct image FROM `from` with `labels` (Slipway's, to look like a pipeline's build) and tags it `tags`; returns its id. */
export async function labelledImage(engine: Engine, tags: string[], labels: Record<string, string>, from = "busybox:latest"): Promise<string> {
  const messages = await engine.images.build({
    context: await tarFromEntries([{ name: "Dockerfile", content: `FROM ${from}\nLABEL unique=${randomBytes(8).toString("hex")}\n` }]),
    labels,
    builder: "classic",
  });
  const id = builtImageId(messages);
  assert.ok(id, JSON.stringify(messages));
  for (const t of tags) await engine.images.tag(id, t);
  return id;
}
