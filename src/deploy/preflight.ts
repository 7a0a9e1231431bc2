/**
 * Checks that refuse a deploy that could never tell a failed update from a good one, each with
 * the place in the file to fix. Pure: it reads the stack model and the project.
 *
 * - a replicated service without a healthcheck: Swarm calls a task good once its process runs,
 *   so a service that crashes after start-up, or never answers, still "completes";
 * - `update_config.monitor` shorter than the healthcheck's worst case (start period + interval ×
 *   retries): the update is judged before the healthcheck can say anything;
 * - `order: start-first` with a host-mode port: the new task cannot bind the port the old one holds;
 * - `failure_action: continue` without the target's explicit opt-in: a failed update would be
 *   carried on to every task.
 */
import type { Project } from "../compose/model/project.ts";
import type { Locate, StackIssue, StackModel } from "./stack-model.ts";

export interface PreflightOptions {
  /** The target allows `failure_action: continue` (slipway.yml: `allow_failure_action_continue: true`). */
  allowContinue?: boolean;
  /**
   * Services whose image declares a HEALTHCHECK (the file need not repeat it); "unknown" before
   * the images are read (the file's own checks): a service with an image is not refused then.
   */
  imageHealthchecks?: ReadonlySet<string> | "unknown";
  locate?: Locate;
}

const seconds = (ns: number) => `${+(ns / 1e9).toFixed(3)} s`;

export function preflight(model: StackModel, project: Project, opts: PreflightOptions = {}): StackIssue[] {
  const issues: StackIssue[] = [];
  const add = (keys: string[], message: string) => {
    const place = opts.locate?.(keys);
    issues.push({ path: keys.join("."), message, ...(place ? { place } : {}) });
  };
  for (const d of model.services) {
    const s = project.services[d.service]!;
    const keys = ["services", d.service];
    const replicated = "Replicated" in d.spec.Mode;
    const health = d.spec.TaskTemplate.ContainerSpec.Healthcheck;
    const disabled = health?.Test?.[0] === "NONE";
    const fromImage = opts.imageHealthchecks === "unknown" ? !!s.image : !!opts.imageHealthchecks?.has(d.service);
    const hasHealthcheck = (!!health && !disabled) || (!health && fromImage);
    if (replicated && !hasHealthcheck) {
      add([...keys, "healthcheck"], `service ${d.service} has no healthcheck${disabled ? " (it is disabled)" : ""}: Swarm would call a task that crashes after start-up, or never answers, a success. Add a healthcheck (test, interval, retries) to the service${s.image ? ` or a HEALTHCHECK to its image (${s.image} has none)` : ""}`);
    }
    for (const [which, config] of [["update_config", d.spec.UpdateConfig], ["rollback_config", d.spec.RollbackConfig]] as const) {
      const written = s.deploy?.[which];
      if (written?.monitor !== undefined && d.healthWorstCaseNs !== undefined && written.monitor < d.healthWorstCaseNs) {
        add([...keys, "deploy", which, "monitor"], `service ${d.service}: deploy.${which}.monitor is ${seconds(written.monitor)}, shorter than its healthcheck's worst case (start_period + interval × retries = ${seconds(d.healthWorstCaseNs)}): a task would be judged before its healthcheck could fail. Make the monitor at least ${seconds(d.healthWorstCaseNs)}, or leave it out (Slipway then uses the worst case plus 1 s)`);
      }
      const hostPorts = (d.spec.EndpointSpec.Ports ?? []).filter((p) => p.PublishMode === "host" && p.PublishedPort !== undefined);
      if (config.Order === "start-first" && hostPorts.length) {
        add([...keys, "deploy", which, "order"], `service ${d.service}: deploy.${which}.order start-first with host-mode port ${hostPorts.map((p) => p.PublishedPort).join(", ")}: the new task cannot bind a port the old one still holds on that node. Use stop-first, or publish in ingress mode`);
      }
      if (config.FailureAction === "continue" && !opts.allowContinue) {
        add([...keys, "deploy", which, "failure_action"], `service ${d.service}: deploy.${which}.failure_action continue carries a failed update on to every task. Use rollback (Slipway's default) or pause, or allow it for this target with allow_failure_action_continue: true`);
      }
    }
  }
  return issues;
}
