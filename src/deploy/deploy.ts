/**
 * `slipway deploy`, as a library call: a compose project onto a swarm as one stack, in one pass
 * of resolve → model → pre-flight → observe → plan → apply → supervise, ending in a verdict that
 * never lies (a rollback is never a success; a rollout still going is never done).
 */
import { createHash } from "node:crypto";
import { fileObjectSource, readSourceFile } from "../compose/file-objects.ts";
import type { Project } from "../compose/model/project.ts";
import type { Healthcheck } from "../compose/model/service.ts";
import { splitImageRef, type RegistryAuth } from "../engine/index.ts";
import { CancelledError, SlipwayError } from "../errors/index.ts";
import { parseReference } from "../registry/reference.ts";
import { applyPlan, observeStack, type DeployContext } from "./apply.ts";
import { generationsToRemove, planDeploy, type DeployPlan, type ObservedStack } from "./plan.ts";
import { preflight } from "./preflight.ts";
import { releaseRecord, runningRelease, writeRelease } from "./release-record.ts";
import { RolloutKind, type RolloutOutcome } from "./rollout.ts";
import { describePin, pinToPublished, type PublishedImage } from "./published.ts";
import { buildStackModel, StackLabel, type Locate, type StackIssue, type StackModel } from "./stack-model.ts";
import { supervise, type SupervisedService } from "./supervise.ts";

export interface DeployStackOptions {
  project: Project;
  stack: string;
  locate?: Locate;
  prune?: boolean;
  allowFailureActionContinue?: boolean;
  dryRun?: boolean;
  /** The longest the rollout may take (ms). */
  timeoutMs: number;
  /**
   * The release this deploy runs: a service whose image's repository one of these published is
   * pinned to the published digest, whatever tag the file writes (newest first). Other images are
   * resolved by the manager, from their tags, as the deploy starts.
   */
  published?: readonly PublishedImage[];
  /**
   * Reads the HEALTHCHECK of a pinned image (`registry/repo@sha256:…`) from its registry, for the
   * services whose file has none: Swarm runs the image's, so the pre-flight counts it and the
   * monitor waits for it. Absent: an image's healthcheck is not known, and such a service is refused.
   */
  imageHealthcheck?: (ref: string) => Promise<Healthcheck | undefined>;
  /** Credentials for an image's registry (host[:port]), for the manager's resolve and the nodes' pulls. */
  registryAuth?: (registry: string) => RegistryAuth | undefined;
  /** ms between two looks at the rollout. */
  intervalMs?: number;
  /** ms allowed for a task's pull and start, per batch (default 60 s). */
  startMs?: number;
  /** Told how the deploy ended, before deployStack returns or throws (the CLI writes the deployment record). */
  onOutcome?: (o: DeployOutcome) => Promise<void>;
}

export interface DeployOutcome {
  outcome: Exclude<RolloutOutcome, "in-progress"> | "refused";
  model: StackModel;
  plan?: DeployPlan;
  services: SupervisedService[];
  /** The verdict's message when it did not converge. */
  message?: string;
}

export interface DeployStackResult {
  model: StackModel;
  plan: DeployPlan;
  /** Every service this deploy changed, with its outcome. */
  services: SupervisedService[];
  /** `planned`: a dry run, which changed and watched nothing. */
  outcome: Exclude<RolloutOutcome, "in-progress"> | "planned";
}

const where = (i: StackIssue) => (i.place?.file ? `${i.place.file}${i.place.line ? `:${i.place.line}${i.place.column ? `:${i.place.column}` : ""}` : ""}: ` : "");
const list = (issues: readonly StackIssue[]) => issues.map((i) => `  ${where(i)}${i.path}: ${i.message}`).join("\n");
const pinned = (ref: string) => /@sha256:[0-9a-f]{64}$/.test(ref);

/**
 * Each service's image pinned by digest: to the published release's digest when a publish wrote
 * its repository; as written when the file pins one; else as the manager resolves its tag now.
 */
async function resolveImages(ctx: DeployContext, opts: Pick<DeployStackOptions, "project" | "published" | "registryAuth">): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    Object.values(opts.project.services).map(async (s) => {
      if (!s.image) return;
      const pin = opts.published?.length ? pinToPublished(s.image, opts.published) : undefined;
      if (pin) ctx.events.emit(pin.kind === "published" ? { type: "log", level: "info", message: describePin(s.name, pin) } : { type: "warning", message: describePin(s.name, pin) });
      if (pin?.kind === "published") return void out.set(s.name, pin.ref);
      if (pinned(s.image)) return;
      const { repo } = splitImageRef(s.image);
      const credentials = opts.registryAuth?.(parseReference(s.image).registry);
      const { Descriptor } = await ctx.engine.images.distribution(s.image, { signal: ctx.signal, ...(credentials ? { auth: credentials } : {}) });
      out.set(s.name, `${repo}@${Descriptor.digest}`);
    }),
  );
  return out;
}

/** The sha256 of each declared secret's and config's content (external ones have none here), by `secret:KEY` / `config:KEY`: never the content itself. */
async function hashFileObjects(project: Project): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const kind of ["secret", "config"] as const) {
    for (const [key, o] of Object.entries(kind === "secret" ? project.secrets : project.configs)) {
      if (o.external) continue;
      const source = fileObjectSource(project, kind, key);
      const data = "file" in source ? await readSourceFile(source.file, kind, key) : Buffer.from(source.content);
      out.set(`${kind}:${key}`, createHash("sha256").update(data).digest("hex"));
    }
  }
  return out;
}

/** The HEALTHCHECK of each pinned image whose service's file has no healthcheck (a disabled one counts as written). */
async function readImageHealthchecks(ctx: DeployContext, opts: Pick<DeployStackOptions, "project" | "imageHealthcheck">, images: ReadonlyMap<string, string>): Promise<Map<string, Healthcheck>> {
  const out = new Map<string, Healthcheck>();
  const read = opts.imageHealthcheck;
  if (!read) return out;
  await Promise.all(
    Object.values(opts.project.services).map(async (s) => {
      const ref = images.get(s.name) ?? (s.image && pinned(s.image) ? s.image : undefined);
      if (s.healthcheck || !ref) return;
      const found = await read(ref).catch((err: unknown) => {
        if (ctx.signal.aborted) throw err;
        ctx.events.emit({ type: "warning", message: `${s.name}: could not read the HEALTHCHECK of ${ref} from its registry (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); the service counts as having none` });
        return undefined;
      });
      if (found) out.set(s.name, found);
    }),
  );
  return out;
}

/**
 * The checks that need no engine, before any is asked: what the file says about healthchecks,
 * monitors, ports and failure actions (images are not resolved yet, so their pinning is not
 * checked here). deployStack checks everything again once the images are pinned.
 */
export function checkStack(opts: Pick<DeployStackOptions, "project" | "stack" | "locate" | "allowFailureActionContinue">): void {
  const placeholder = `sha256:${"0".repeat(64)}`;
  const images = new Map(Object.values(opts.project.services).map((s) => [s.name, `${s.image ?? s.name}@${placeholder}`]));
  const model = buildStackModel({ project: opts.project, stack: opts.stack, images, ...(opts.locate ? { locate: opts.locate } : {}) });
  const refused = preflight(model, opts.project, { imageHealthchecks: "unknown", ...(opts.allowFailureActionContinue ? { allowContinue: true } : {}), ...(opts.locate ? { locate: opts.locate } : {}) });
  if (refused.length) throw preflightError(opts.stack, refused);
}

function preflightError(stack: string, refused: readonly StackIssue[]): SlipwayError {
  return new SlipwayError(`The stack ${stack} would deploy without a way to tell a failed update from a good one:\n${list(refused)}`, {
    code: "DEPLOY_PREFLIGHT",
    kind: "config",
    hint: "Fix the compose file at the places named (docs/deploy.md, \"Pre-flight checks\"); nothing was changed on the swarm.",
  });
}

const WORST: Exclude<RolloutOutcome, "in-progress">[] = ["rolled-back", "paused", "failed", "timed-out", "converged"];

export async function deployStack(ctx: DeployContext, opts: DeployStackOptions): Promise<DeployStackResult> {
  const images = await resolveImages(ctx, opts);
  const imageHealthchecks = await readImageHealthchecks(ctx, opts, images);
  const contentHashes = await hashFileObjects(opts.project);
  const model = buildStackModel({ project: opts.project, stack: opts.stack, images, imageHealthchecks, contentHashes, ...(opts.locate ? { locate: opts.locate } : {}) });
  for (const w of model.warnings) ctx.events.emit({ type: "warning", message: `${where(w)}${w.message}` });
  const refuse = async (error: SlipwayError): Promise<never> => {
    await opts.onOutcome?.({ outcome: "refused", model, services: [], message: error.message });
    throw error;
  };
  if (model.errors.length) {
    await refuse(new SlipwayError(`The stack ${opts.stack} cannot be deployed:\n${list(model.errors)}`, { code: "DEPLOY_INVALID", kind: "config", hint: "Fix the compose file at the places named; nothing was changed on the swarm." }));
  }
  const refused = preflight(model, opts.project, { imageHealthchecks: new Set(imageHealthchecks.keys()), ...(opts.allowFailureActionContinue ? { allowContinue: true } : {}), ...(opts.locate ? { locate: opts.locate } : {}) });
  if (refused.length) await refuse(preflightError(opts.stack, refused));
  const observed = await observeStack(ctx.engine, opts.stack, ctx.signal);
  const plan = planDeploy(model, observed, { ...(opts.prune ? { prune: true } : {}) });
  if (plan.errors.length) {
    await refuse(new SlipwayError(`The stack ${opts.stack} names what the swarm does not have:\n${list(plan.errors)}`, { code: "DEPLOY_MISSING", kind: "config", hint: "Create what is named, or drop `external`; nothing was changed on the swarm." }));
  }
  if (opts.dryRun) return { model, plan, services: [], outcome: "planned" };
  // The nodes pull with the same credentials the manager resolved with.
  return rollOut(opts.registryAuth ? { ...ctx, registryAuth: opts.registryAuth } : ctx, { ...opts, model, plan, observed, what: "deploy" });
}

export interface RollOutOptions extends Pick<DeployStackOptions, "stack" | "timeoutMs" | "intervalMs" | "startMs" | "onOutcome"> {
  /** Where secrets and configs the plan creates come from (a rollback creates none). */
  project: Project | undefined;
  model: StackModel;
  plan: DeployPlan;
  /** The stack as it was observed for the plan. */
  observed: ObservedStack;
  /** What is rolled out, for the verdict's words: a deploy writes its release into the swarm; a rollback goes to one. */
  what: "deploy" | "rollback";
}

/**
 * Carries a plan out and watches every service it changed to one outcome: the worst of them. A
 * deploy's release (what it deployed, whatever the outcome) is written into the swarm, so that a
 * later rollback can go to it from any machine.
 */
export async function rollOut(ctx: DeployContext, opts: RollOutOptions): Promise<DeployStackResult> {
  const { model, plan } = opts;
  const rollouts = await applyPlan(ctx, opts.project, plan.steps);
  let services: SupervisedService[];
  try {
    services = await supervise(ctx.engine, ctx.events, rollouts, ctx.signal, {
      timeoutMs: opts.timeoutMs,
      ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
      ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
    });
  } catch (err) {
    if (ctx.signal.aborted) {
      throw new CancelledError(`Stopped watching the ${opts.what} of ${opts.stack}: it goes on in the swarm (\`docker stack ps ${opts.stack}\` shows it)`, err);
    }
    throw err;
  }
  const outcome = WORST.find((o) => services.some((s) => s.judgement.outcome === o)) ?? "converged";
  if (opts.what === "deploy" && ctx.meta && rollouts.length > 0) {
    const running = outcome === "converged" ? ctx.meta.runId : runningRelease(opts.observed.services);
    await writeRelease(ctx.engine, releaseRecord(model, ctx.meta, outcome), running, ctx.signal).catch((err: unknown) => {
      ctx.events.emit({ type: "warning", message: `the release could not be recorded in the swarm (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): \`slipway rollback\` will not find it` });
    });
  }
  if (outcome !== "converged") {
    const bad = services.filter((s) => s.judgement.outcome !== "converged");
    const detail = bad
      .map((s) => {
        // The tasks' own errors, each once, unless the one-line detail already says them.
        const tasks = [...new Set(s.judgement.failing.slice(-3).map((t) => `task ${t.slot ?? t.id.slice(0, 12)}: ${t.err || t.message}`))].filter((line) => !s.judgement.detail.includes(line));
        return [`  ${s.name}: ${s.judgement.outcome}: ${s.judgement.detail}`, ...tasks.map((line) => `    ${line}`), ...s.logs.map((l) => `    | ${l}`)].join("\n");
      })
      .join("\n");
    const error = new SlipwayError(`The ${opts.what} of ${opts.stack} ${outcome === "rolled-back" ? "failed and was rolled back" : outcome === "paused" ? "failed and is paused" : outcome === "timed-out" ? "did not converge in time" : "failed"}:\n${detail}`, {
      code: `DEPLOY_${outcome.toUpperCase().replace("-", "_")}`,
      kind: RolloutKind[outcome],
      hint: outcome === "rolled-back" ? "The previous version runs. Fix what the tasks and the swarm say (a node that went away mid-update also rolls it back), publish, and deploy again." : `See \`docker service ps ${bad[0]!.name} --no-trunc\`; fix, publish and deploy again.`,
    });
    await opts.onOutcome?.({ outcome, model, plan, services, message: error.message });
    throw error;
  }
  // Only a stack with generations (secrets or configs named by content) has old ones to look for.
  const rotates = [...model.secrets, ...model.configs].some((o) => o.labels[StackLabel.contentHash] !== undefined);
  if (opts.what === "deploy" && rotates) {
    // The generations of secrets and configs beyond the one in use and the one before it (what a rollback needs).
    for (const { kind, object: o } of generationsToRemove(model, await observeStack(ctx.engine, opts.stack, ctx.signal))) {
      await (kind === "secret" ? ctx.engine.secrets : ctx.engine.configs).remove(o.id, { signal: ctx.signal }).then(
        () => ctx.events.emit({ type: "log", level: "info", message: `removed ${o.name}: an old generation no service uses` }),
        (err: unknown) => ctx.events.emit({ type: "warning", message: `could not remove the old generation ${o.name} (${err instanceof Error ? err.message.split("\n")[0] : String(err)})` }),
      );
    }
  }
  await opts.onOutcome?.({ outcome, model, plan, services });
  return { model, plan, services, outcome };
}
