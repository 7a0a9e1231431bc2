import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redactor } from "../run/redact.ts";
import { RunRecord } from "./run-record.ts";

test("evidence that cannot be written is a config error (exit 3) saying where and what to do, not a crash", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-record-"));
  try {
    // `.slipway` is a file here, so nothing can be written under it (as in a read-only checkout).
    await writeFile(path.join(dir, ".slipway"), "");
    await assert.rejects(RunRecord.create(dir, "20261123-000000-abcdef", new Redactor()), (err: Error & { exitCode?: number; code?: string; hint?: string }) => {
      return err.code === "EVIDENCE_NOT_WRITABLE" && err.exitCode === 3 && err.message.includes(path.join(dir, ".slipway")) && /writable/.test(err.hint ?? "");
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("written evidence is redacted", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-record-"));
  try {
    const redactor = new Redactor();
    redactor.addEnvironment({ DB_PASSWORD: "s3cret-value" });
    const record = await RunRecord.create(dir, "20261123-000000-abcdef", redactor);
    await record.writeText("logs/db.log", "connecting with s3cret-value\n");
    assert.equal(await readFile(path.join(record.dir, "logs/db.log"), "utf8"), "connecting with ***\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
