/**
 * Every problem found in a configuration file (a compose file, slipway.yml) is an issue that names
 * where it is (file:line:column) and which key (services.web.deploy.replicas). A loader collects
 * several issues before failing, so a user fixes a file in one round instead of one error per run.
 */
import { SlipwayError } from "../errors/slipway-error.ts";
import type { Pos } from "./node.ts";

export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted key path, e.g. `services.web.ports[0]`; empty for the whole file. */
  path: string;
  message: string;
  hint?: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}:${issue.line}:${issue.column}` : "";
  const head = [where, issue.path].filter((s) => s !== "").join(" ");
  return head ? `${head}: ${issue.message}` : issue.message;
}

/** What kind of file the issues are about: its name in the message, its code, the hint when the issues have none. */
export interface IssueSubject {
  name: string;
  code: string;
  hint: string;
}

export const COMPOSE_FILE: IssueSubject = { name: "compose file", code: "COMPOSE_INVALID", hint: "Fix the compose file at the position shown." };

export class ConfigFileError extends SlipwayError {
  readonly issues: readonly ConfigIssue[];
  readonly subject: IssueSubject;

  constructor(issues: readonly ConfigIssue[], subject: IssueSubject = COMPOSE_FILE) {
    const lines = issues.map(formatIssue);
    const message = issues.length === 1 ? `Invalid ${subject.name}: ${lines[0]}` : `Invalid ${subject.name} (${issues.length} problems):\n  ${lines.join("\n  ")}`;
    const hints = [...new Set(issues.map((i) => i.hint).filter((h): h is string => h !== undefined))];
    super(message, {
      code: subject.code,
      kind: "config",
      hint: hints.length > 0 ? hints.join("\n") : subject.hint,
      details: { issues: issues.map((i) => ({ ...i })) },
    });
    this.issues = issues;
    this.subject = subject;
  }
}

/** Gathers issues during one loading step; `throwIfAny` ends the step. */
export class IssueList {
  readonly items: ConfigIssue[] = [];
  readonly subject: IssueSubject;

  constructor(subject: IssueSubject = COMPOSE_FILE) {
    this.subject = subject;
  }

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
    if (this.items.length > 0) throw new ConfigFileError(this.items, this.subject);
  }
}

/** Fails at once with a single issue: for problems that make further checks meaningless. */
export function fail(pos: Pos | undefined, path: string, message: string, hint?: string, subject: IssueSubject = COMPOSE_FILE): never {
  const list = new IssueList(subject);
  list.add(pos, path, message, hint);
  return list.throwIfAny() as never;
}
