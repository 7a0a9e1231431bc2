/**
 * Every problem found in a compose file is an issue that names where it is (file:line:column)
 * and which key (services.web.deploy.replicas). The loader collects several issues before
 * failing, so a user fixes a file in one round instead of one error per run.
 */
import { SlipwayError } from "../../errors/slipway-error.ts";
import type { Pos } from "./node.ts";

export interface ComposeIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted key path, e.g. `services.web.ports[0]`; empty for the whole file. */
  path: string;
  message: string;
  hint?: string;
}

export function formatIssue(issue: ComposeIssue): string {
  const where = issue.file ? `${issue.file}:${issue.line}:${issue.column}` : "";
  const head = [where, issue.path].filter((s) => s !== "").join(" ");
  return head ? `${head}: ${issue.message}` : issue.message;
}

export class ComposeConfigError extends SlipwayError {
  readonly issues: readonly ComposeIssue[];

  constructor(issues: readonly ComposeIssue[]) {
    const lines = issues.map(formatIssue);
    const message =
      issues.length === 1 ? `Invalid compose file: ${lines[0]}` : `Invalid compose file (${issues.length} problems):\n  ${lines.join("\n  ")}`;
    const hints = [...new Set(issues.map((i) => i.hint).filter((h): h is string => h !== undefined))];
    super(message, {
      code: "COMPOSE_INVALID",
      kind: "config",
      hint: hints.length > 0 ? hints.join("\n") : "Fix the compose file at the position shown.",
      details: { issues: issues.map((i) => ({ ...i })) },
    });
    this.issues = issues;
  }
}

/** Gathers issues during one pipeline stage; `throwIfAny` ends the stage. */
export class IssueList {
  readonly items: ComposeIssue[] = [];

  add(pos: Pos | undefined, path: string, message: string, hint?: string): void {
    this.items.push({
      file: pos?.file ?? "",
      line: pos?.line ?? 0,
      column: pos?.column ?? 0,
      path,
      message,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  get size(): number {
    return this.items.length;
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw new ComposeConfigError(this.items);
  }
}

/** Fails at once with a single issue: for problems that make further checks meaningless. */
export function fail(pos: Pos | undefined, path: string, message: string, hint?: string): never {
  const list = new IssueList();
  list.add(pos, path, message, hint);
  throw new ComposeConfigError(list.items);
}
