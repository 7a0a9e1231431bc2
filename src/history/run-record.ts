/**
 * Evidence of a run, on any outcome: `.slipway/runs/<run-id>/` keeps every service's logs, health
 * probe history, `inspect` of failed containers, the reports, the resolved config and the event
 * log — everything passed through the Redactor first. Old runs are pruned past a limit.
 */
import { appendFile, mkdir, readdir, rm, writeFile, cp } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import type { Listener } from "../events/index.ts";
import type { Redactor } from "../run/redact.ts";

export const RUNS_DIR = path.join(".slipway", "runs");

/** A read-only checkout or a full disk: the user's to fix, said once (exit 3), not a crash. */
function cannotWrite(target: string, err: unknown): SlipwayError {
  return new SlipwayError(`Cannot write the run's evidence to ${target}: ${err instanceof Error ? err.message : String(err)}`, {
    code: "EVIDENCE_NOT_WRITABLE",
    kind: "config",
    hint: "Slipway keeps each run's evidence in .slipway/runs/ beside slipway.yml: make that folder writable (and add .slipway/ to .gitignore).",
    cause: err,
  });
}

export class RunRecord {
  readonly dir: string;
  readonly #redactor: Redactor;
  #writes: Promise<void> = Promise.resolve();

  private constructor(dir: string, redactor: Redactor) {
    this.dir = dir;
    this.#redactor = redactor;
  }

  static async create(projectDir: string, runId: string, redactor: Redactor): Promise<RunRecord> {
    const dir = path.join(projectDir, RUNS_DIR, runId);
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw cannotWrite(dir, err);
    });
    return new RunRecord(dir, redactor);
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.#write(name, `${JSON.stringify(this.#redactor.redactValue(value), null, 2)}\n`);
  }

  async writeText(name: string, text: string): Promise<void> {
    await this.#write(name, this.#redactor.redact(text));
  }

  async #write(name: string, content: string): Promise<void> {
    const file = path.join(this.dir, name);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    } catch (err) {
      throw cannotWrite(file, err);
    }
  }

  /** A listener that appends every event, redacted, to events.jsonl (in order). */
  eventLog(schemaVersion: number): Listener {
    const file = path.join(this.dir, "events.jsonl");
    return (event) => {
      const line = `${JSON.stringify(this.#redactor.redactValue({ schemaVersion, ...event }))}\n`;
      this.#writes = this.#writes.then(() => appendFile(file, line)).catch(() => undefined);
    };
  }

  /** Waits for pending event-log writes. */
  async flush(): Promise<void> {
    await this.#writes;
  }

  /** A stage's reports, into `reports/<environment>/` of the evidence (stages' reports never overwrite each other's). */
  async copyReports(from: string, environment: string): Promise<void> {
    await cp(from, path.join(this.dir, "reports", environment), { recursive: true }).catch(() => undefined);
  }
}

/** Keeps the newest `keep` runs (run ids sort by time). */
export async function pruneRuns(projectDir: string, keep: number): Promise<string[]> {
  const root = path.join(projectDir, RUNS_DIR);
  let entries: string[];
  try {
    entries = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
  const old = entries.slice(0, Math.max(0, entries.length - keep));
  await Promise.all(old.map((name) => rm(path.join(root, name), { recursive: true, force: true })));
  return old;
}
