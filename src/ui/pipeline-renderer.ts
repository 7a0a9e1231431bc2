/**
 * Human output of a pipeline run, for a terminal (live progress line, colours) or a CI log (plain
 * lines, collapsible sections on GitHub Actions and GitLab). Chosen once at the edge; it only
 * reads events.
 */
import type { Listener, SlipwayEvent } from "../events/index.ts";
import type { Style } from "./style.ts";

export type CiFlavour = "github" | "gitlab" | undefined;

export interface PipelineRendererOptions {
  write: (s: string) => void;
  style: Style;
  /** A TTY: one self-updating progress line. */
  live: boolean;
  ci: CiFlavour;
  verbose?: boolean;
}

type Event = SlipwayEvent & { time: number };

/**
 * The scope of `log` events that tell the URL of a published port of an environment kept after a
 * failure (--keep): gathered into the summary, beside how to remove the environment.
 */

/** Steps every run shows as they end and in the summary: image builds, readiness, bootstrap tasks. */
const summarized = (step: string) => step.startsWith("build ") || step.startsWith("ready:") || step.startsWith("bootstrap ");

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function detectCi(env: Record<string, string | undefined>): CiFlavour {
  if (env["GITHUB_ACTIONS"] === "true") return "github";
  if (env["GITLAB_CI"] === "true") return "gitlab";
  return undefined;
}

export function pipelineRenderer(opts: PipelineRendererOptions): Listener {
  const { write, style } = opts;
  const colours = new Map<string, number>();
  let progressShown = false;
  const progress = new Map<string, { current: number; total: number }>();
  const sectionIds = new Map<string, string>();
  const steps: { step: string; ok: boolean; durationMs: number; note?: string; cancelled?: boolean }[] = [];
  const reports: Extract<Event, { type: "reports" }>[] = [];
  const urls: string[] = [];
  const published: string[] = [];
  let cleanup: Extract<Event, { type: "cleanup" }> | undefined;
  let pruned: Extract<Event, { type: "pruned" }> | undefined;
  const stages: { stage: string; status: string; durationMs?: number }[] = [];

  const clearProgress = () => {
    if (progressShown) {
      write("\r\u001b[2K");
      progressShown = false;
    }
  };
  const line = (s: string) => {
    clearProgress();
    write(`${s}\n`);
  };
  const sectionStart = (name: string, title: string, time: number) => {
    if (opts.ci === "github") line(`::group::${title}`);
    else if (opts.ci === "gitlab") {
      const id = name.replace(/[^a-zA-Z0-9_]/g, "_");
      sectionIds.set(name, id);
      line(`\u001b[0Ksection_start:${Math.floor(time / 1000)}:${id}[collapsed=false]\r\u001b[0K${title}`);
    } else line(style.bold(`▶ ${title}`));
  };
  const sectionEnd = (name: string, time: number) => {
    if (opts.ci === "github") line("::endgroup::");
    else if (opts.ci === "gitlab") line(`\u001b[0Ksection_end:${Math.floor(time / 1000)}:${sectionIds.get(name) ?? name}\r\u001b[0K`);
  };

  return (event: Event) => {
    switch (event.type) {
      case "run.start":
        line(style.dim(`slipway ${event.command} · run ${event.runId}`));
        break;
      case "stage.start":
        sectionStart(event.stage, `stage ${event.stage}${event.environment && event.environment !== event.stage ? ` · environment ${event.environment}` : ""}${event.project ? ` (project ${event.project})` : ""}`, event.time);
        break;
      case "stage.skip":
        stages.push({ stage: event.stage, status: "skipped" });
        line(style.dim(`- stage ${event.stage} skipped: ${event.reason}`));
        break;
      case "stage.end":
        stages.push({ stage: event.stage, status: event.ok ? "ok" : "failed", durationMs: event.durationMs });
        sectionEnd(event.stage, event.time);
        line(`${event.ok ? style.green("✔") : style.red("✖")} stage ${event.stage} ${style.dim(seconds(event.durationMs))}`);
        break;
      case "step.start":
        if (opts.verbose && event.cause) line(style.dim(`… ${event.cause}`));
        break;
      case "step.end":
        steps.push({ step: event.step, ok: event.ok, durationMs: event.durationMs, ...(event.note ? { note: event.note } : {}), ...(event.cancelled ? { cancelled: true } : {}) });
        if (event.cancelled) line(`${style.yellow("-")} ${event.step}: cancelled`);
        else if (!event.ok) line(`${style.red("✖")} ${event.step}: ${event.error ?? "failed"}`);
        else if (opts.verbose || summarized(event.step)) line(`${style.green("✔")} ${event.step} ${style.dim(seconds(event.durationMs))}${event.note ? style.dim(` (${event.note})`) : ""}`);
        break;
      case "progress": {
        if (!opts.live) break;
        if (event.id && event.total) progress.set(`${event.task}/${event.id}`, { current: event.current ?? 0, total: event.total });
        let current = 0;
        let total = 0;
        for (const [key, p] of progress) if (key.startsWith(`${event.task}/`)) {
          current += p.current;
          total += p.total;
        }
        const pct = total ? Math.min(100, Math.round((current / total) * 100)) : 0;
        const width = 20;
        const bar = "█".repeat(Math.round((pct / 100) * width)).padEnd(width, "░");
        write(`\r\u001b[2K${style.cyan(event.task)} ${bar} ${pct}% ${style.dim(event.status)}`);
        progressShown = true;
        break;
      }
      case "environment.url":
        urls.push(`${event.service} ${event.port} → ${event.url}`);
        break;
      case "log":
        if (event.level === "debug" && !opts.verbose) break;
        if (event.scope?.startsWith("build ") && !opts.verbose) break;
        line(`${event.scope ? style.dim(`${event.scope} | `) : ""}${event.message}`);
        break;
      case "warning":
        line(`${style.yellow("warning")}: ${event.message}`);
        break;
      case "container.log": {
        if (!colours.has(event.service)) colours.set(event.service, colours.size);
        line(`${style.palette(colours.get(event.service)!, event.service)} | ${event.line}`);
        break;
      }
      case "reports":
        reports.push(event);
        break;
      case "publish.plan": {
        line(`${style.bold(event.name)} ${style.dim(`image ${event.imageId.slice(7, 19)}${event.digest ? `, pushed before as ${event.digest.slice(7, 19)}` : ", digest known once pushed"}`)}`);
        const width = Math.max(...event.tags.map((t) => t.tag.length), 3);
        for (const t of event.tags) line(`  ${t.tag.padEnd(width)}  ${t.action.padEnd(9)}  ${t.current ? t.current.slice(7, 19) : "-"}${t.reason ? style.dim(`  ${t.reason}`) : ""}`);
        break;
      }
      case "published":
        published.push(`${event.name}@${event.digest.slice(0, 19)}: ${event.tags.join(", ")}${event.kept?.length ? ` (left at a higher version: ${event.kept.join(", ")})` : ""}`);
        break;
      case "cleanup":
        // A run cleans up after each environment and once more at its end: the summary says it all.
        cleanup = cleanup ? mergeCleanup(cleanup, event) : event;
        break;
      case "pruned":
        pruned = event;
        break;
      case "verdict":
        line(summary(event, reports, cleanup, steps, style, stages, urls, published, pruned));
        break;
    }
  };
}

function mergeCleanup(a: Extract<Event, { type: "cleanup" }>, b: Extract<Event, { type: "cleanup" }>): Extract<Event, { type: "cleanup" }> {
  const removed = { containers: a.removed.containers + b.removed.containers, networks: a.removed.networks + b.removed.networks, volumes: a.removed.volumes + b.removed.volumes, images: a.removed.images + b.removed.images };
  const kept = a.kept ?? b.kept;
  const incomplete = a.incomplete ?? b.incomplete;
  return { type: "cleanup", time: b.time, removed, ...(kept ? { kept } : {}), ...(incomplete ? { incomplete } : {}) };
}

function summary(
  verdict: Extract<Event, { type: "verdict" }>,
  allReports: Extract<Event, { type: "reports" }>[],
  cleanup: Extract<Event, { type: "cleanup" }> | undefined,
  steps: { step: string; ok: boolean; durationMs: number; note?: string; cancelled?: boolean }[],
  style: Style,
  stages: { stage: string; status: string; durationMs?: number }[] = [],
  urls: string[] = [],
  published: string[] = [],
  pruned?: Extract<Event, { type: "pruned" }>,
): string {
  const out: string[] = ["", style.bold("Summary")];
  // A run of several stages gets a line per stage, in the order they ran or were skipped.
  const stageRows: [string, string, string][] = stages.length > 1 ? stages.map((s) => [`stage ${s.stage}`, s.status, s.durationMs === undefined ? "" : seconds(s.durationMs)]) : [];
  const rows: [string, string, string][] = [...stageRows, ...steps
    .filter((s) => summarized(s.step))
    .map((s): [string, string, string] => [s.step.replace(/^ready:/, "ready "), s.ok ? (s.note ? "unchanged" : "ok") : s.cancelled ? "cancelled" : "failed", seconds(s.durationMs)])];
  if (rows.length) {
    const w0 = Math.max(...rows.map((r) => r[0].length));
    for (const [a, b, c] of rows) out.push(`  ${a.padEnd(w0)}  ${b.padEnd(9)}  ${c.padStart(6)}`);
  }
  // Each stage's reports (test, then acceptance), named by stage when there are several.
  for (const reports of allReports) {
    const by = allReports.length > 1 ? `${reports.stage} ` : "";
    const j = reports.junit;
    if (j) {
      out.push(`  ${by}tests: ${style.green(`${j.passed} passed`)}, ${j.failed ? style.red(`${j.failed} failed`) : "0 failed"}, ${j.skipped} skipped (${j.tests} in ${j.time.toFixed(2)}s)`);
      if (j.slowest.length) out.push(`  slowest: ${j.slowest.slice(0, 3).map((s) => `${s.name} (${s.time.toFixed(2)}s)`).join(", ")}`);
      for (const f of j.failures) {
        out.push(`  ${style.red("✖")} ${f.suite ? `${f.suite} › ` : ""}${f.name}`);
        if (f.message) for (const l of f.message.split("\n").slice(0, 4)) out.push(`      ${style.dim(l)}`);
      }
    }
    out.push(`  ${by}reports: ${reports.dir}${reports.files.length ? ` (${reports.files.length} file${reports.files.length === 1 ? "" : "s"})` : ""}${reports.missing.length ? style.red(` — missing: ${reports.missing.join(", ")}`) : ""}`);
    for (const u of reports.unreadable) {
      const text = `unreadable: ${u.file} (${u.reason})${u.required ? "" : ", not required"}`;
      out.push(`  ${u.required ? style.red(`✖ ${text}`) : style.yellow(`! ${text}`)}`);
    }
  }
  if (cleanup?.kept) out.push(`  ${style.yellow(cleanup.kept)}`);
  else if (cleanup?.incomplete) out.push(`  ${style.yellow(`cleanup incomplete: ${cleanup.incomplete}`)}`);
  else if (cleanup) out.push(`  cleanup: removed ${cleanup.removed.containers} containers, ${cleanup.removed.networks} networks, ${cleanup.removed.volumes} volumes, ${cleanup.removed.images} images`);
  if (pruned) out.push(`  prune: removed ${pruned.images} images (${(pruned.reclaimed / 1e6).toFixed(1)} MB), ${pruned.volumes} volumes; kept ${pruned.kept}${pruned.failed ? style.yellow(`; ${pruned.failed} refused by the engine`) : ""}`);
  for (const u of urls) out.push(`  url: ${u}`);
  for (const p of published) out.push(`  published: ${p}`);
  if (verdict.evidence) out.push(`  evidence: ${verdict.evidence}`);
  const head = verdict.kind === "passed" ? style.green(style.bold("PASSED")) : style.red(style.bold(verdict.kind.toUpperCase()));
  out.push(`${head} ${verdict.message.split("\n")[0]} ${style.dim(`(exit ${verdict.exitCode}, ${seconds(verdict.durationMs)})`)}`);
  const rest = verdict.message.split("\n").slice(1);
  if (verdict.kind !== "passed" && rest.length) out.push(...rest);
  if (verdict.hint && verdict.kind !== "passed") out.push(`  ${style.dim("hint")}: ${verdict.hint}`);
  return out.join("\n");
}

/** --quiet: the verdict line only (errors still go to stderr at the edge). */
export function quietRenderer(write: (s: string) => void): Listener {
  return (event) => {
    if (event.type === "verdict") write(`${event.kind} (exit ${event.exitCode})\n`);
  };
}
