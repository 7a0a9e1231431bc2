/**
 * The engine side of a deploy: read what a swarm holds of a stack (observeStack), and carry a
 * plan out on a manager (applyPlan) through the compose runner's DAG executor, each step
 * reported as a step event. Secrets' and configs' contents are read when their step runs and go
 * straight to the engine: never into the plan, events or records.
 */
import { runDag } from "../compose/runner/dag.ts";
import { fileObjectSource, readSourceFile } from "../compose/file-objects.ts";
import type { Project } from "../compose/model/project.ts";
import { EngineApiError, type Engine, type RegistryAuth } from "../engine/index.ts";
import { isOutOfSequence } from "../engine/swarm-errors.ts";
import type { ServiceSpec } from "../engine/swarm-types.ts";
import type { EventBus } from "../events/index.ts";
import { parseReference } from "../registry/reference.ts";
import type { DeployStep, ObservedStack } from "./plan.ts";
import { StackLabel, type DesiredService } from "./stack-model.ts";

export interface DeployContext {
  engine: Engine;
  events: EventBus;
  signal: AbortSignal;
  /** Credentials for an image's registry (host[:port]), sent with each service that runs one, so that every node can pull it (as `--with-registry-auth` does). */
  registryAuth?: (registry: string) => RegistryAuth | undefined;
  /** Which deploy this is, written in the labels of every service it creates or updates, so that any machine can read what runs from the swarm itself. */
  meta?: DeployMeta;
}

export interface DeployMeta {
  commit: string;
  version?: string;
  runId: string;
  /** ISO-8601 */
  at: string;
}

const label = (stack: string) => ({ label: [`${StackLabel.namespace}=${stack}`] });

/** The stack's services, networks, secrets and configs (by its namespace label), and every network, secret and config by name for external ones. */
export async function observeStack(engine: Engine, stack: string, signal?: AbortSignal): Promise<ObservedStack> {
  const [services, networks, secrets, configs] = await Promise.all([
    engine.services.list({ filters: label(stack), signal }),
    engine.networks.list({ signal }),
    engine.secrets.list({ signal }),
    engine.configs.list({ signal }),
  ]);
  return {
    services: services.map((s) => ({ id: s.ID, name: s.Spec.Name, version: s.Version.Index, labels: s.Spec.Labels ?? {} })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} })),
    secrets: secrets.map((o) => ({ id: o.ID, name: o.Spec.Name, labels: o.Spec.Labels ?? {}, ...(o.CreatedAt ? { createdAt: o.CreatedAt } : {}) })),
    configs: configs.map((o) => ({ id: o.ID, name: o.Spec.Name, labels: o.Spec.Labels ?? {}, ...(o.CreatedAt ? { createdAt: o.CreatedAt } : {}) })),
  };
}

/** What the rollout supervisor follows: each service this deploy created or updated, and when. */
export interface Rollout {
  service: DesiredService;
  id: string;
  created: boolean;
  /** ms since the epoch, just before the request. */
  since: number;
}

/** The engine's spec for a desired service: secrets and configs by ID as well as by name. */
function engineSpec(d: DesiredService, ids: { secrets: Map<string, string>; configs: Map<string, string> }, meta: DeployMeta | undefined): ServiceSpec {
  const c = d.spec.TaskTemplate.ContainerSpec;
  const { Secrets, Configs, ...container } = c;
  const labels = meta
    ? { ...d.spec.Labels, [StackLabel.commit]: meta.commit, ...(meta.version ? { [StackLabel.version]: meta.version } : {}), [StackLabel.run]: meta.runId, [StackLabel.at]: meta.at }
    : d.spec.Labels;
  return {
    ...d.spec,
    Labels: labels,
    TaskTemplate: {
      ...d.spec.TaskTemplate,
      ContainerSpec: {
        ...container,
        ...(Secrets ? { Secrets: Secrets.map((s) => ({ File: s.File, SecretName: s.Name, SecretID: ids.secrets.get(s.Name) ?? s.Name })) } : {}),
        ...(Configs ? { Configs: Configs.map((s) => ({ File: s.File, ConfigName: s.Name, ConfigID: ids.configs.get(s.Name) ?? s.Name })) } : {}),
      },
    },
  } as unknown as ServiceSpec;
}

/** Carries the plan out (`project`: where secrets and configs it creates come from; none for a removal); returns the services to supervise. An update refused for a stale version is read again and sent again (at most 5 times). */
export async function applyPlan(ctx: DeployContext, project: Project | undefined, steps: readonly DeployStep[]): Promise<Rollout[]> {
  const { engine, signal } = ctx;
  const rollouts: Rollout[] = [];
  // IDs of the secrets and configs services name, once what the plan creates exists.
  let ids: Promise<{ secrets: Map<string, string>; configs: Map<string, string> }> | undefined;
  const objectIds = () =>
    (ids ??= Promise.all([engine.secrets.list({ signal }), engine.configs.list({ signal })]).then(([s, c]) => ({
      secrets: new Map(s.map((o) => [o.Spec.Name, o.ID])),
      configs: new Map(c.map((o) => [o.Spec.Name, o.ID])),
    })));
  const auth = (d: DesiredService) => {
    const found = ctx.registryAuth?.(parseReference(d.spec.TaskTemplate.ContainerSpec.Image).registry);
    return found ? { registryAuth: found } : {};
  };
  // Services wait for every object step: the IDs are read once, after all of them.
  const objectSteps = steps.filter((s) => s.kind === "secret.create" || s.kind === "config.create" || s.kind === "network.create").map((s) => s.id);
  const nodes = steps.map((s) => (s.kind === "service.create" || s.kind === "service.update" ? { ...s, deps: [...new Set([...s.deps, ...objectSteps])] } : s));
  await runDag(
    nodes,
    async (step, stepSignal) => {
      const started = performance.now();
      ctx.events.emit({ type: "step.start", step: step.id, cause: step.cause });
      try {
        switch (step.kind) {
          case "network.create":
            await engine.networks.create(
              { Name: step.network.name, Driver: step.network.driver, Attachable: step.network.attachable, Internal: step.network.internal, Options: step.network.driverOpts, Labels: step.network.labels, Scope: "swarm" },
              { signal: stepSignal },
            );
            break;
          case "secret.create":
          case "config.create": {
            const o = step.object;
            // Only a plan made from a project creates secrets and configs (a removal passes none).
            if (!project) throw new Error(`${step.id}: a plan that creates ${o.kind}s needs the project they come from`);
            const source = fileObjectSource(project, o.kind, o.key, `${o.kind} ${o.key}`);
            const data = "file" in source ? await readSourceFile(source.file, o.kind, o.key) : Buffer.from(source.content);
            const api = o.kind === "secret" ? engine.secrets : engine.configs;
            await api.create({ Name: o.name, Labels: o.labels, Data: data }, { signal: stepSignal });
            break;
          }
          case "service.create": {
            const spec = engineSpec(step.service, await objectIds(), ctx.meta);
            const since = Date.now();
            const { ID } = await engine.services.create(spec, { ...auth(step.service), signal: stepSignal });
            rollouts.push({ service: step.service, id: ID, created: true, since });
            break;
          }
          case "service.update": {
            const spec = engineSpec(step.service, await objectIds(), ctx.meta);
            let version = step.current.version;
            for (let attempt = 0; ; attempt++) {
              const since = Date.now();
              try {
                await engine.services.update(step.current.id, version, spec, { ...auth(step.service), signal: stepSignal });
                rollouts.push({ service: step.service, id: step.current.id, created: false, since });
                break;
              } catch (err) {
                // Someone (the swarm itself, mid-rollout) changed it since it was read: read it again.
                if (!isOutOfSequence(err) || attempt >= 4) throw err;
                version = (await engine.services.inspect(step.current.id, { signal: stepSignal })).Version.Index;
              }
            }
            break;
          }
          case "service.remove":
            await engine.services.remove(step.current.id, { signal: stepSignal });
            break;
          case "network.remove":
            try {
              await engine.networks.remove(step.network.id, { signal: stepSignal });
            } catch (err) {
              // A swarm network removed a moment ago is still listed on a node until its last task
              // there is gone, and removing it again answers 500 "network … not found" (not 404):
              // gone is what a removal wants. Only that answer, by its words (the status says nothing).
              if (!(err instanceof EngineApiError && err.status === 500 && /\bnot found\b/i.test(err.message))) throw err;
            }
            break;
          case "secret.remove":
            await engine.secrets.remove(step.object.id, { signal: stepSignal });
            break;
          case "config.remove":
            await engine.configs.remove(step.object.id, { signal: stepSignal });
            break;
        }
        ctx.events.emit({ type: "step.end", step: step.id, ok: true, durationMs: performance.now() - started });
      } catch (err) {
        ctx.events.emit({ type: "step.end", step: step.id, ok: false, durationMs: performance.now() - started, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
        throw err;
      }
    },
    signal,
  );
  return rollouts;
}
