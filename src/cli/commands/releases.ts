/**
 * `slipway releases`: what was published, newest first, from the record store; with `--target`,
 * what was deployed there (releases-view.ts), marking what runs now. `slipway version
 * IMAGE`: the commit and version baked into an image, read from its labels — a local image's by
 * inspecting it, a remote one's from its config in the registry — without pulling or running it
 * (seed 002 ran a container for this).
 */
import { Command } from "commander";
import { findPipelineConfig, loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import type { PipelineConfig } from "../../config/pipeline-schema.ts";
import { observeStack } from "../../deploy/apply.ts";
import { listReleases, readRelease, runningRelease } from "../../deploy/release-record.ts";
import { formatReleaseRow, releaseRows } from "../../deploy/releases-view.ts";
import { Engine, endpointFromEnv, targetEnv } from "../../engine/index.ts";
import { isNotFound } from "../../engine/engine-error.ts";
import { SlipwayError } from "../../errors/index.ts";
import { FileRecordStore } from "../../history/record-store.ts";
import { OciLabel } from "../../images/release-labels.ts";
import { RegistryClient } from "../../registry/client.ts";
import { findCredential } from "../../registry/credentials.ts";
import { insecureRegistry } from "../../registry/insecure.ts";
import { formatReference, parseReference } from "../../registry/reference.ts";
import type { CliIo } from "../io.ts";
import { findTarget } from "./deploy.ts";

export function releasesCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("releases")
    .description("list what was published (image, digest, tags, commit, version, run), newest first; with --target, what was deployed there, marking what runs now")
    .option("-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)")
    .option("--target <name>", "the releases of a deploy target (read from its swarm), instead of the publishes")
    .option("--json", "print the records as JSON")
    .option("-n, --limit <count>", "at most this many", (v) => Number.parseInt(v, 10))
    .action(async (o: { config?: string; target?: string; json?: boolean; limit?: number }) => {
      const { dir, config } = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
      if (o.target !== undefined) return void (await targetReleases(io, signal, dir, config.targets, o as { target: string; json?: boolean; limit?: number }));
      const records = await new FileRecordStore(dir).list("publishes", o.limit ? { limit: o.limit } : {});
      if (o.json) {
        io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      if (records.length === 0) {
        io.stdout.write("Nothing was published from this repository yet (`slipway publish` after `slipway ci`).\n");
        return;
      }
      for (const r of records) {
        io.stdout.write(`${r.at}  ${r.image}  ${r.registry}/${r.repository}@${r.digest.slice(0, 19)}  ${r.tags.join(", ")}  commit ${r.commit.slice(0, 12)}${r.version ? `  version ${r.version}` : ""}  run ${r.runId}\n`);
      }
    });
}

/** The releases of a target: its swarm's release records, joined with this repository's deployment records. */
async function targetReleases(io: CliIo, signal: AbortSignal, dir: string, targets: PipelineConfig["targets"], o: { target: string; json?: boolean; limit?: number }): Promise<void> {
  const target = findTarget(targets, o.target);
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(targetEnv(io.env, target.endpoint)), signal });
  const [observed, summaries, deployments] = await Promise.all([observeStack(engine, target.stack, signal), listReleases(engine, target.stack, signal), new FileRecordStore(dir).list("deployments")]);
  const shown = o.limit ? summaries.slice(0, o.limit) : summaries;
  const releases = await Promise.all(shown.map(async (summary) => ({ summary, record: await readRelease(engine, summary, signal).catch(() => undefined) })));
  const rows = releaseRows(releases, deployments.filter((d) => d.target === o.target), runningRelease(observed.services));
  if (o.json) return void io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return void io.stdout.write(`No release of stack ${target.stack} is recorded on its swarm (\`slipway deploy --target ${o.target}\` records one).\n`);
  io.stdout.write(`Releases of ${o.target} (stack ${target.stack}), newest first; * runs now:\n`);
  for (const row of rows) io.stdout.write(`${formatReleaseRow(row)}\n`);
}

interface ImageVersion {
  image: string;
  /** Where the labels were read: the local engine or the registry. */
  from: "local" | "registry";
  commit?: string;
  version?: string;
  created?: string;
  source?: string;
  digest?: string;
}

export function versionCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("version")
    .description("the commit and version baked into an image (local, or in its registry), without pulling or running it")
    .argument("<image>", "an image reference, e.g. registry.example.com/team/app:1.2.3")
    .option("--remote", "read it from the registry even when the engine has the image")
    .option("--json", "print it as JSON")
    .action(async (image: string, o: { json?: boolean; remote?: boolean }) => {
      const found = (o.remote ? undefined : await localVersion(io, signal, image)) ?? (await remoteVersion(io, signal, image));
      if (o.json) {
        io.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
        return;
      }
      const rows: [string, string | undefined][] = [
        ["commit", found.commit],
        ["version", found.version],
        ["created", found.created],
        ["source", found.source],
        ["digest", found.digest],
      ];
      io.stdout.write(`${found.image} (${found.from === "local" ? "local image" : "read from the registry, not pulled"})\n`);
      for (const [k, v] of rows) if (v) io.stdout.write(`  ${k.padEnd(8)} ${v}\n`);
      if (!found.commit) io.stdout.write(`  no ${OciLabel.revision} label: not built by a release stage\n`);
    });
}

function fromLabels(image: string, from: ImageVersion["from"], labels: Record<string, string> | null | undefined, digest?: string): ImageVersion {
  const l = labels ?? {};
  const pick = (key: string) => (l[key] ? { [key === OciLabel.revision ? "commit" : key === OciLabel.version ? "version" : key === OciLabel.created ? "created" : "source"]: l[key] } : {});
  return { image, from, ...pick(OciLabel.revision), ...pick(OciLabel.version), ...pick(OciLabel.created), ...pick(OciLabel.source), ...(digest ? { digest } : {}) };
}

async function localVersion(io: CliIo, signal: AbortSignal, image: string): Promise<ImageVersion | undefined> {
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal });
  try {
    const inspect = await engine.images.inspect(image, { signal });
    return fromLabels(image, "local", inspect.Config?.Labels);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function remoteVersion(io: CliIo, signal: AbortSignal, image: string): Promise<ImageVersion> {
  const ref = parseReference(image);
  const pipeline = (await findPipelineConfig(io.cwd)) ? await loadPipelineConfig({ cwd: io.cwd }).catch(() => undefined) : undefined;
  const configured = pipeline?.config.registry?.address === ref.registry ? pipeline.config.registry : undefined;
  const credential = await findCredential(ref.registry, {
    env: io.env,
    signal,
    ...(configured?.username_env ? { usernameEnv: configured.username_env } : {}),
    ...(configured?.password_env ? { passwordEnv: configured.password_env } : {}),
  });
  await using engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal });
  const info = await engine.system.info({ signal });
  const client = await RegistryClient.connect({ registry: ref.registry, credential, insecure: insecureRegistry(ref.registry, info.RegistryConfig), signal });
  try {
    const config = await client.imageConfig(ref.repository, ref.digest ?? ref.tag ?? "latest");
    if (!config) {
      throw new SlipwayError(`${formatReference(ref)}: no such image in ${ref.registry}, and none in the engine`, { code: "IMAGE_NOT_FOUND", kind: "registry", hint: "Check the name and tag (`slipway releases` lists what was published)." });
    }
    return fromLabels(image, "registry", config.labels, config.manifestDigest);
  } finally {
    await client.close();
  }
}
