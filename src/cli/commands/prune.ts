/**
 * `slipway prune`: removes the images this repository's pipeline made that nothing needs — never
 * `latest`, the current commit's, the newest published releases, anything a deployment record
 * references, anything a container or a live run uses — plus Slipway's displaced images and
 * dangling volumes. `--dry-run` lists the same decisions and changes nothing.
 */
import { Command, InvalidArgumentError } from "commander";
import type { PruneReport } from "../../cleanup/prune.ts";
import { describeImage } from "../../cleanup/prune-plan.ts";
import { loadPipelineConfig } from "../../config/load-pipeline-config.ts";
import { Engine, endpointFromEnv } from "../../engine/index.ts";
import { EventBus } from "../../events/index.ts";
import { prunePipeline } from "../../pipeline/prune-pipeline.ts";
import type { CliIo } from "../io.ts";

const count = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("expected a whole number of releases (0 or more).");
  return Number(v);
};

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function pruneCommand(io: CliIo, signal: AbortSignal): Command {
  return new Command("prune")
    .description("remove the images this repository's pipeline made that nothing needs (never latest, the current commit's, the newest published releases, what a deployment record references, or what a container or a live run uses), and Slipway's displaced images and dangling volumes")
    .option("-c, --config <file>", "pipeline file (default: slipway.yml here or in a parent folder)")
    .option("--dry-run", "list what would be removed and what stays, and why; change nothing")
    .option("--keep <count>", "how many of the newest published releases stay (default: slipway.yml's prune.keep, 5)", count)
    .option("--build-cache", "also prune the builder's whole cache (it cannot be told apart by who made it)")
    .option("--json", "print the decisions as JSON")
    .action(async (o: { config?: string; dryRun?: boolean; keep?: number; buildCache?: boolean; json?: boolean }) => {
      const pipeline = await loadPipelineConfig({ cwd: io.cwd, ...(o.config ? { file: o.config } : {}) });
      await using engine = await Engine.connect({ endpoint: endpointFromEnv(io.env), signal });
      const events = new EventBus();
      events.on((e) => void (e.type === "warning" && io.stderr.write(`warning: ${e.message}\n`)));
      const report = await prunePipeline(engine, pipeline, {
        events,
        signal,
        ...(o.keep !== undefined ? { keep: o.keep } : {}),
        ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.buildCache ? { buildCache: true } : {}),
      });
      if (o.json) return void io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      io.stdout.write(renderPrune(report, !!o.buildCache));
    });
}

export function renderPrune(report: PruneReport, buildCache: boolean): string {
  const out: string[] = [];
  const would = report.dryRun ? "would remove" : "removed";
  for (const r of report.runs) out.push(`${report.dryRun ? "would sweep" : "swept"} run ${r.runId}: ${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes (${r.reason})`);
  for (const d of report.images) {
    const what = `${describeImage(d.image)}, ${mb(d.image.size)}`;
    if (!d.remove) out.push(`keep          ${what}: ${d.reasons.join("; ")}`);
    else if (d.failure) out.push(`not removed   ${what}: ${d.failure}`);
    else out.push(`${would.padEnd(13)} ${what}: ${d.reasons.join("; ")}`);
  }
  for (const v of report.volumes) out.push(v.failure ? `not removed   volume ${v.name}: ${v.failure}` : `${would.padEnd(13)} volume ${v.name}: ${v.reason}`);
  const cache = report.buildCache;
  if (cache.failure) out.push(`build cache   ${buildCache && !report.dryRun ? "not pruned" : "size unknown"}: ${cache.failure}`);
  else if (cache.pruned) out.push(`build cache   removed ${cache.pruned.records} records, ${mb(cache.pruned.reclaimed)}`);
  else if (cache.records > 0) out.push(`build cache   ${mb(cache.size)} in ${cache.records} records: kept${buildCache ? "" : " (the builder's cache cannot be told apart by who made it; --build-cache prunes all of it)"}`);
  const images = report.images.filter((d) => d.remove && !d.failure).length;
  const volumes = report.volumes.filter((v) => !v.failure).length;
  const kept = report.images.filter((d) => !d.remove).length;
  if (report.images.length + report.volumes.length + report.runs.length === 0) out.push("nothing of this pipeline's to prune");
  else out.push(`${report.dryRun ? "would remove" : "removed"} ${images} images (${mb(report.reclaimed)}) and ${volumes} volumes; kept ${kept} images`);
  return `${out.join("\n")}\n`;
}
