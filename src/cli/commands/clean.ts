/** `slipway clean`: remove what dead or expired runs left behind, or one run's resources. */
import { Command } from "commander";
import { hostFacts } from "../../cleanup/owner.ts";
import { removeDisplacedImages } from "../../cleanup/prune.ts";
import { findPipelineConfig, loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { FileRecordStore } from "../../history/record-store.ts";
import { findAbandonedRuns } from "../../cleanup/sweep.ts";
import { observeRun, teardownRun } from "../../cleanup/teardown-run.ts";
import { Engine, endpointFromEnv } from "../../engine/index.ts";
import { EventBus } from "../../events/index.ts";
import type { CliIo } from "../io.ts";

export function cleanCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("clean")
    .description("remove resources of runs whose owner is gone or expired, and the images Slipway built that newer builds displaced (never anything without Slipway's labels)")
    .option("--dry-run", "list what would be removed")
    .option("--run <id>", "remove every resource of this run (e.g. one kept with --keep)")
    .option("--json", "print the list as JSON")
    .action(async (o: { dryRun?: boolean; run?: string; json?: boolean }) => {
      // Inside a repository, the displaced images are its own (its records keep what they name);
      // outside, every one. A broken slipway.yml is said before anything is removed.
      const file = o.run ? undefined : await findPipelineConfig(io.cwd);
      const pipeline = file ? await loadPipelineConfig({ cwd: io.cwd, file }) : undefined;
      await using engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal });
      const events = new EventBus();
      let targets;
      if (o.run) {
        const observed = await observeRun(engine, o.run, signal);
        targets = [{ runId: o.run, reason: "requested", containers: observed.containers.length, networks: observed.networks.length, volumes: observed.volumes.length }];
      } else {
        targets = await findAbandonedRuns(engine, hostFacts(), signal);
      }
      if (!o.dryRun) for (const t of targets) await teardownRun(engine, events, t.runId, { timeout: 1 });
      // Then the images rebuilds displaced (untagged, Slipway's label) that no container or live run uses.
      const images = o.run
        ? []
        : await removeDisplacedImages(engine, {
            keep: pipeline?.config.prune.keep ?? 0,
            host: hostFacts(),
            signal,
            ...(pipeline ? { pipeline: pipeline.name, store: new FileRecordStore(pipeline.dir) } : {}),
            ...(o.dryRun ? { dryRun: true } : {}),
          });
      if (o.json) {
        io.stdout.write(`${JSON.stringify({ dryRun: !!o.dryRun, runs: targets, images: images.map((d) => ({ id: d.image.id, size: d.image.size, reason: d.reasons[0] })) })}\n`);
        return;
      }
      if (targets.length === 0 && images.length === 0) io.stdout.write("nothing to clean\n");
      for (const t of targets) {
        io.stdout.write(`${o.dryRun ? "would remove" : "removed"} run ${t.runId}: ${t.containers} containers, ${t.networks} networks, ${t.volumes} volumes (${t.reason})\n`);
      }
      if (images.length > 0) {
        const bytes = images.reduce((n, d) => n + d.image.size, 0);
        io.stdout.write(`${o.dryRun ? "would remove" : "removed"} ${images.length} displaced images (${(bytes / 1e6).toFixed(1)} MB, untagged by newer builds): ${images.map((d) => d.image.id.replace(/^sha256:/, "").slice(0, 12)).join(", ")}\n`);
      }
    });
}
