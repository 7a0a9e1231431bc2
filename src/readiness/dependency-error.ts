import { SlipwayError } from "../errors/index.ts";
import { formatDiagnostics, type ContainerDiagnostics } from "./diagnostics.ts";

/** A dependency exited, turned unhealthy, or has no healthcheck to wait on. */
export class DependencyFailedError extends SlipwayError {
  readonly service: string;
  readonly diagnostics: ContainerDiagnostics | undefined;

  constructor(service: string, what: string, diagnostics?: ContainerDiagnostics, hint?: string) {
    const detail = diagnostics ? formatDiagnostics(diagnostics) : "";
    super(`Dependency ${service} ${what}${detail ? `\n${detail}` : ""}`, {
      code: "DEPENDENCY_FAILED",
      kind: "dependency",
      hint: hint ?? `Check the logs above; \`slipway compose logs ${service}\` shows more (with --keep the environment stays up).`,
      details: { service },
    });
    this.service = service;
    this.diagnostics = diagnostics;
  }
}
