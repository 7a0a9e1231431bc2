import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileRecordStore, type RunEntry } from "./record-store.ts";

const run = (id: string, at: string): RunEntry => ({
  id,
  at,
  endedAt: at,
  durationMs: 1,
  command: "test",
  host: "h",
  stages: [{ name: "test", ok: true, durationMs: 1 }],
  verdict: { kind: "passed", exitCode: 0, message: "ok" },
  evidence: `.slipway/runs/${id}`,
});

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-store-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("put, get and list newest first; a record with the same id is replaced", async (t) => {
  const store = new FileRecordStore(await tempDir(t));
  await store.put("runs", run("a", "2026-12-01T00:00:00.000Z"));
  await store.put("runs", run("b", "2026-12-03T00:00:00.000Z"));
  await store.put("runs", run("c", "2026-12-02T00:00:00.000Z"));
  await store.put("runs", { ...run("a", "2026-12-01T00:00:00.000Z"), command: "ci" });
  assert.deepEqual((await store.list("runs")).map((r) => r.id), ["b", "c", "a"]);
  assert.equal((await store.get("runs", "a"))?.command, "ci");
  assert.equal(await store.get("runs", "nope"), undefined);
  assert.deepEqual(await store.list("publishes"), []);
  assert.deepEqual((await store.list("runs", { limit: 1 })).map((r) => r.id), ["b"]);
});

test("prune keeps the newest records of a kind", async (t) => {
  const store = new FileRecordStore(await tempDir(t));
  for (let i = 0; i < 5; i++) await store.put("runs", run(`r${i}`, `2026-12-0${i + 1}T00:00:00.000Z`));
  assert.deepEqual((await store.prune("runs", 2)).sort(), ["r0", "r1", "r2"]);
  assert.deepEqual((await store.list("runs")).map((r) => r.id), ["r4", "r3"]);
});

test("an id that is not a plain file name is refused (nothing written outside the store)", async (t) => {
  const store = new FileRecordStore(await tempDir(t));
  await assert.rejects(store.put("runs", run("../escape", "2026-12-01T00:00:00.000Z")), /not a safe file name/);
});

test("a write in progress is never listed: only whole records are", async (t) => {
  const dir = await tempDir(t);
  const store = new FileRecordStore(dir);
  await store.put("runs", run("whole", "2026-12-01T00:00:00.000Z"));
  await writeFile(path.join(store.root, "runs", "half.json.123-abcd.tmp"), '{"id": "ha');
  assert.deepEqual((await store.list("runs")).map((r) => r.id), ["whole"]);
});

test("a record damaged by hand is one clear config error naming its file, not a JSON stack", async (t) => {
  const store = new FileRecordStore(await tempDir(t));
  await store.put("runs", run("fine", "2026-12-01T00:00:00.000Z"));
  await writeFile(path.join(store.root, "runs", "broken.json"), "{ not json");
  await assert.rejects(store.list("runs"), (err: Error & { code?: string; exitCode?: number }) => err.code === "RECORD_UNREADABLE" && err.exitCode === 3 && err.message.includes("broken.json"));
});

test("several processes writing at once lose nothing", async (t) => {
  const dir = await tempDir(t);
  const storeModule = fileURLToPath(new URL("./record-store.ts", import.meta.url));
  const writer = (n: number) => `
    import { FileRecordStore } from ${JSON.stringify(storeModule)};
    const store = new FileRecordStore(${JSON.stringify(dir)});
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.put("runs", {
      id: "p${n}-" + i, at: new Date().toISOString(), endedAt: "", durationMs: 0, command: "test", host: "h",
      stages: [], verdict: { kind: "passed", exitCode: 0, message: "" }, evidence: "",
    })));
    // and reads while the others write: never half a record
    for (let i = 0; i < 5; i++) await store.list("runs");
  `;
  const exits = await Promise.all(
    [1, 2, 3, 4].map(
      (n) =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", writer(n)], { stdio: ["ignore", "ignore", "inherit"] });
          child.on("exit", (code) => resolve(code ?? -1));
        }),
    ),
  );
  assert.deepEqual(exits, [0, 0, 0, 0]);
  const store = new FileRecordStore(dir);
  assert.equal((await store.list("runs")).length, 100);
  assert.deepEqual((await readdir(path.join(store.root, "runs"))).filter((n) => !n.endsWith(".json")), [], "no temporary file left");
});
