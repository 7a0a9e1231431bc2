/**
 * Observe → plan for a stack: what to create, update and remove so the swarm holds the stack
 * model, each step with its cause. Pure: the observed state comes in (read by labels from a
 * manager), steps come out as DAG nodes the compose runner's executor machinery runs
 * (compose/runner/dag.ts), printed by the same formatPlan. A service whose spec hash label
 * equals the model's is not touched: a redeploy of an unchanged stack plans nothing.
 */
import type { DesiredFileObject, DesiredNetwork, DesiredService, StackIssue, StackModel } from "./stack-model.ts";
import { StackLabel } from "./stack-model.ts";

export interface ObservedService {
  id: string;
  name: string;
  /** The swarm's version index: an update must name it. */
  version: number;
  labels: Record<string, string>;
}

export interface ObservedObject {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** ISO-8601, when the swarm made it (secrets and configs). */
  createdAt?: string;
}

/** What the swarm holds of a stack (by com.docker.stack.namespace), plus the external objects it names. */
export interface ObservedStack {
  services: ObservedService[];
  networks: ObservedObject[];
  secrets: ObservedObject[];
  configs: ObservedObject[];
}

interface Step {
  id: string;
  deps: string[];
  cause: string;
}

export type DeployStep =
  | (Step & { kind: "network.create"; network: DesiredNetwork })
  | (Step & { kind: "network.remove"; network: ObservedObject })
  | (Step & { kind: "secret.create" | "config.create"; object: DesiredFileObject })
  | (Step & { kind: "secret.remove" | "config.remove"; object: ObservedObject })
  | (Step & { kind: "service.create"; service: DesiredService })
  | (Step & { kind: "service.update"; service: DesiredService; current: ObservedService })
  | (Step & { kind: "service.remove"; current: ObservedService });

export interface DeployPlan {
  steps: DeployStep[];
  /** Services whose spec is already the model's. */
  unchanged: string[];
  /** What makes the plan impossible (an external object that does not exist). */
  errors: StackIssue[];
}

export interface PlanOptions {
  /** Remove services, networks, secrets and configs of the stack that left the file (`--prune`). */
  prune?: boolean;
}

export function planDeploy(model: StackModel, observed: ObservedStack, opts: PlanOptions = {}): DeployPlan {
  const steps: DeployStep[] = [];
  const errors: StackIssue[] = [];
  const ours = (o: { labels: Record<string, string> }) => o.labels[StackLabel.namespace] === model.stack;

  // Networks, secrets and configs first: services name them.
  const ready = new Map<string, string>(); // object name → the step that makes it
  const networkNames = new Set(observed.networks.map((n) => n.name));
  for (const n of model.networks) {
    if (networkNames.has(n.name)) continue;
    if (n.external) {
      errors.push({ path: `networks.${n.key}`, message: `external network ${n.name} does not exist on the swarm: create it (an overlay network) or drop external` });
      continue;
    }
    const id = `network.create:${n.name}`;
    steps.push({ kind: "network.create", id, deps: [], cause: `create network ${n.name} (${n.driver})`, network: n });
    ready.set(`network:${n.name}`, id);
  }
  for (const kind of ["secret", "config"] as const) {
    const existing = new Map((kind === "secret" ? observed.secrets : observed.configs).map((o) => [o.name, o]));
    for (const o of kind === "secret" ? model.secrets : model.configs) {
      const found = existing.get(o.name);
      const wanted = o.labels[StackLabel.contentHash];
      const had = found?.labels[StackLabel.contentHash];
      if (found && wanted && had && wanted !== had) {
        // A name written in the file (`name:`) keeps its name whatever the content: Swarm cannot change an object's data.
        errors.push({ path: `${kind}s.${o.key}`, message: `${kind} ${o.name} exists on the swarm with other content, and a Swarm ${kind} cannot change: drop \`name:\` so that Slipway names each content's generation (<stack>_${o.key}_<hash>), or give it a new name` });
        continue;
      }
      if (found) continue;
      if (o.external) {
        errors.push({ path: `${kind}s.${o.key}`, message: `external ${kind} ${o.name} does not exist on the swarm: create it with \`docker ${kind} create ${o.name} -\`, or drop external` });
        continue;
      }
      const id = `${kind}.create:${o.name}`;
      steps.push({ kind: `${kind}.create`, id, deps: [], cause: `create ${kind} ${o.name}`, object: o });
      ready.set(`${kind}:${o.name}`, id);
    }
  }

  const current = new Map(observed.services.map((s) => [s.name, s]));
  const unchanged: string[] = [];
  const serviceSteps: string[] = [];
  for (const d of model.services) {
    const c = d.spec.TaskTemplate.ContainerSpec;
    const needs = [
      ...(d.spec.TaskTemplate.Networks ?? []).map((n) => ready.get(`network:${n.Target}`)),
      ...(c.Secrets ?? []).map((s) => ready.get(`secret:${s.Name}`)),
      ...(c.Configs ?? []).map((s) => ready.get(`config:${s.Name}`)),
    ].filter((x): x is string => x !== undefined);
    const deps = [...new Set(needs)];
    const existing = current.get(d.spec.Name);
    if (!existing) {
      const id = `service.create:${d.spec.Name}`;
      steps.push({ kind: "service.create", id, deps, cause: `create service ${d.spec.Name}`, service: d });
      serviceSteps.push(id);
    } else if (existing.labels[StackLabel.specHash] !== d.hash) {
      const id = `service.update:${d.spec.Name}`;
      const why = existing.labels[StackLabel.specHash] ? "its spec changed" : "it was not deployed by Slipway";
      steps.push({ kind: "service.update", id, deps, cause: `update service ${d.spec.Name}: ${why}`, service: d, current: existing });
      serviceSteps.push(id);
    } else unchanged.push(d.spec.Name);
  }

  if (opts.prune) {
    const wanted = new Set(model.services.map((s) => s.spec.Name));
    const removals: string[] = [];
    for (const s of observed.services) {
      if (!ours(s) || wanted.has(s.name)) continue;
      const id = `service.remove:${s.name}`;
      steps.push({ kind: "service.remove", id, deps: [], cause: `remove service ${s.name}: no longer in the file (--prune)`, current: s });
      removals.push(id);
    }
    // What services leave goes once no service can still use it: after every service step.
    const after = [...removals, ...serviceSteps];
    const wantedNetworks = new Set(model.networks.map((n) => n.name));
    for (const n of observed.networks) {
      if (!ours(n) || wantedNetworks.has(n.name)) continue;
      steps.push({ kind: "network.remove", id: `network.remove:${n.name}`, deps: after, cause: `remove network ${n.name}: no longer in the file (--prune)`, network: n });
    }
    for (const kind of ["secret", "config"] as const) {
      const wantedObjects = new Set((kind === "secret" ? model.secrets : model.configs).map((o) => o.name));
      for (const o of kind === "secret" ? observed.secrets : observed.configs) {
        if (!ours(o) || wantedObjects.has(o.name)) continue;
        steps.push({ kind: `${kind}.remove`, id: `${kind}.remove:${o.name}`, deps: after, cause: `remove ${kind} ${o.name}: no longer in the file (--prune)`, object: o });
      }
    }
  }
  return { steps, unchanged, errors };
}

/** Generations of a secret or config kept after a deploy: the one in use and the one before it (what a rollback needs). */
export const GENERATIONS_KEPT = 2;

/**
 * The secret and config generations a deploy leaves behind: those of this stack that Slipway named
 * by content, beyond the newest GENERATIONS_KEPT of each key, and never one the model uses.
 */
export function generationsToRemove(model: StackModel, observed: ObservedStack, keep = GENERATIONS_KEPT): { kind: "secret" | "config"; object: ObservedObject }[] {
  const out: { kind: "secret" | "config"; object: ObservedObject }[] = [];
  for (const [kind, wanted, have] of [["secret", model.secrets, observed.secrets], ["config", model.configs, observed.configs]] as const) {
    const used = new Set(wanted.map((o) => o.name));
    const byKey = new Map<string, ObservedObject[]>();
    for (const o of have) {
      const key = o.labels[StackLabel.objectKey];
      if (o.labels[StackLabel.namespace] !== model.stack || !key || !o.labels[StackLabel.contentHash]) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), o]);
    }
    for (const generations of byKey.values()) {
      generations.sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
      out.push(...generations.slice(keep).filter((o) => !used.has(o.name)).map((object) => ({ kind, object })));
    }
  }
  return out;
}

/** `--remove`: the whole stack down, services before what they use. */
export function planRemoval(stack: string, observed: ObservedStack): DeployStep[] {
  const ours = (o: { labels: Record<string, string> }) => o.labels[StackLabel.namespace] === stack;
  const services: DeployStep[] = observed.services.filter(ours).map((s) => ({ kind: "service.remove", id: `service.remove:${s.name}`, deps: [], cause: `remove service ${s.name}`, current: s }));
  const after = services.map((s) => s.id);
  return [
    ...services,
    ...observed.networks.filter(ours).map((n): DeployStep => ({ kind: "network.remove", id: `network.remove:${n.name}`, deps: after, cause: `remove network ${n.name}`, network: n })),
    ...observed.secrets.filter(ours).map((o): DeployStep => ({ kind: "secret.remove", id: `secret.remove:${o.name}`, deps: after, cause: `remove secret ${o.name}`, object: o })),
    ...observed.configs.filter(ours).map((o): DeployStep => ({ kind: "config.remove", id: `config.remove:${o.name}`, deps: after, cause: `remove config ${o.name}`, object: o })),
  ];
}
