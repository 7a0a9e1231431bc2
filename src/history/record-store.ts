/**
 * One record store for what Slipway did: runs now; the publishes and deployments of the next
 * stages are written through the same interface, so `slipway releases` and the run history have
 * one source. Callers see only `RecordStore`: a PostgreSQL store can take the file store's place
 * without touching them.
 *
 * The file store keeps one JSON file per record under `.slipway/records/<kind>/`, written to a
 * temporary file and renamed into place: a reader never sees half a record, and several Slipway
 * processes writing at once (two CI jobs in one checkout) lose nothing — no file is shared.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import type { VerdictKind } from "../errors/index.ts";

export interface RunEntry {
  /** The run id. */
  id: string;
  /** When it started, ISO-8601. */
  at: string;
  endedAt: string;
  durationMs: number;
  /** What ran, e.g. `test` or `ci`. */
  command: string;
  host: string;
  stages: { name: string; ok: boolean; durationMs: number }[];
  verdict: { kind: VerdictKind; exitCode: number; message: string };
  /** The evidence folder, relative to the repository. */
  evidence: string;
  /** The release images this run accepted (acceptance passed, or release where there is no acceptance): what `tag` and `publish` take. */
  accepted?: AcceptedImage[];
}

export interface AcceptedImage {
  /** The image's key in slipway.yml. */
  name: string;
  /** The local image ID (its config digest). */
  imageId: string;
  /** The commit it was built from ("unknown" outside git). */
  commit: string;
  /** Built from a work tree with changes. */
  dirty: boolean;
  /** The version it carries (`org.opencontainers.image.version`), from a version tag on the commit. */
  version?: string;
}

export interface PublishEntry {
  /** One publish: `<run id>-<image>`. */
  id: string;
  at: string;
  runId: string;
  /** The image's key in slipway.yml. */
  image: string;
  imageId: string;
  registry: string;
  repository: string;
  /** The manifest digest the tags point at. */
  digest: string;
  /** The tags that point at it after the publish (created, moved or already there). */
  tags: string[];
  /** Moving tags left at a higher version. */
  kept?: string[];
  commit: string;
  version?: string;
}

export interface DeployedService {
  /** The compose service. */
  service: string;
  /** The swarm service (`<stack>_<service>`). */
  name: string;
  /** The image it was set to, pinned by digest. */
  image: string;
  /** The hash of its spec (the dev.slipway.deploy.spec-hash label). */
  specHash: string;
  /** What this deploy did to it. */
  change: "created" | "updated" | "unchanged" | "removed";
  outcome?: "converged" | "failed" | "rolled-back" | "paused" | "timed-out";
  durationMs?: number;
}

export interface DeploymentEntry {
  /** One deploy: `<run id>-<target>`. */
  id: string;
  at: string;
  runId: string;
  target: string;
  stack: string;
  /** The checkout's commit ("unknown" outside git), and the version tag on it. */
  commit: string;
  version?: string;
  /** Who deployed: user@host. */
  by: string;
  services: DeployedService[];
  outcome: "converged" | "failed" | "rolled-back" | "paused" | "timed-out" | "refused";
  durationMs: number;
  /** The verdict's message when it did not converge. */
  message?: string;
  /** A rollback: the run whose release it went back to. */
  rollbackTo?: string;
}

/** A versioned base image (`slipway base build`, seed 003): one record per version, updated when it is published. */
export interface BaseEntry {
  /** `base-<version>`. */
  id: string;
  /** When it was built (or last found unchanged), ISO-8601. */
  at: string;
  /** The run of `slipway base build` that built it. */
  runId: string;
  version: string;
  /** The local reference the app image is built on: `<repository>:base-<version>`. */
  ref: string;
  imageId: string;
  repository: string;
  /** The commit it was built from ("unknown" outside git). */
  commit: string;
  /** Where it was published, once it was. */
  registry?: string;
  /** The manifest digest its tag points at in `registry`. */
  digest?: string;
  /** Its tags in `registry`. */
  tags?: string[];
}

export interface RecordKinds {
  runs: RunEntry;
  publishes: PublishEntry;
  deployments: DeploymentEntry;
  bases: BaseEntry;
}
export type RecordKind = keyof RecordKinds;

export interface RecordStore {
  /** Writes a record (a record with the same id is replaced whole). */
  put<K extends RecordKind>(kind: K, entry: RecordKinds[K]): Promise<void>;
  get<K extends RecordKind>(kind: K, id: string): Promise<RecordKinds[K] | undefined>;
  /** Newest first (by `at`, then id). */
  list<K extends RecordKind>(kind: K, opts?: { limit?: number }): Promise<RecordKinds[K][]>;
  /** Keeps the newest `keep` records of a kind; returns the ids removed. */
  prune(kind: RecordKind, keep: number): Promise<string[]>;
}

export const RECORDS_DIR = path.join(".slipway", "records");

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class FileRecordStore implements RecordStore {
  readonly root: string;

  /** `projectDir`: the folder of slipway.yml; records go to its `.slipway/records/`. */
  constructor(projectDir: string) {
    this.root = path.join(projectDir, RECORDS_DIR);
  }

  #file(kind: RecordKind, id: string): string {
    // An id is a file name here: nothing may climb out of the folder.
    if (!SAFE_ID.test(id)) throw new Error(`record id ${JSON.stringify(id)} is not a safe file name`);
    return path.join(this.root, kind, `${id}.json`);
  }

  async put<K extends RecordKind>(kind: K, entry: RecordKinds[K]): Promise<void> {
    const file = this.#file(kind, entry.id);
    const temp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temp, `${JSON.stringify(entry, null, 2)}\n`);
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new SlipwayError(`Cannot write the ${kind} record ${entry.id} to ${path.dirname(file)}: ${err instanceof Error ? err.message : String(err)}`, {
        code: "RECORD_NOT_WRITABLE",
        kind: "config",
        hint: "Slipway keeps its records in .slipway/ beside slipway.yml: make that folder writable (and add .slipway/ to .gitignore).",
        cause: err,
      });
    }
  }

  async get<K extends RecordKind>(kind: K, id: string): Promise<RecordKinds[K] | undefined> {
    const file = this.#file(kind, id);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as RecordKinds[K];
    } catch (err) {
      // Records are renamed into place whole: one that does not parse was edited or damaged by hand.
      throw new SlipwayError(`The ${kind} record ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, {
        code: "RECORD_UNREADABLE",
        kind: "config",
        hint: "Remove or restore that file; the other records are untouched.",
        cause: err,
      });
    }
  }

  async list<K extends RecordKind>(kind: K, opts: { limit?: number } = {}): Promise<RecordKinds[K][]> {
    const ids = await this.#ids(kind);
    const entries: RecordKinds[K][] = [];
    for (const e of await Promise.all(ids.map((id) => this.get(kind, id)))) if (e !== undefined) entries.push(e);
    entries.sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
    return opts.limit === undefined ? entries : entries.slice(0, opts.limit);
  }

  async prune(kind: RecordKind, keep: number): Promise<string[]> {
    const old = (await this.list(kind)).slice(keep).map((e) => e.id);
    await Promise.all(old.map((id) => rm(this.#file(kind, id), { force: true })));
    return old;
  }

  async #ids(kind: RecordKind): Promise<string[]> {
    try {
      // Temporary files of writes in progress end in .tmp: only whole records are listed.
      return (await readdir(path.join(this.root, kind))).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -".json".length));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }
}
