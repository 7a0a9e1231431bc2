/**
 * Whether what came out of the test container lets the run pass. A required report that is
 * missing, or a JUnit file of a required report that cannot be read (a cancelled mocha run leaves
 * a 0-byte mocha.xml), fails it: otherwise the run would pass on "0 tests". An unreadable file of a
 * report that is not required is only shown.
 */
import type { CopiedReports, ReportSpec } from "./copy-reports.ts";

export interface ReportProblems {
  /** Required report paths with nothing at them. */
  missing: string[];
  /** Every unreadable JUnit file, and whether its report spec is required. */
  unreadable: { file: string; reason: string; required: boolean }[];
  /** The run must fail (verdict `reports-missing`) unless it failed already. */
  failsRun: boolean;
  /** Present when `failsRun`. */
  message?: string;
  hint?: string;
}

/** `service` is the one whose container the reports came from, for the message. */
export function reportProblems(specs: ReportSpec[], copied: CopiedReports, service: string): ReportProblems {
  const missing = copied.missing;
  // A spec not found is required: that is the schema's default.
  const unreadable = copied.unreadable.map((u) => ({ file: u.file, reason: u.reason, required: specs.find((s) => s.path === u.report)?.required ?? true }));
  const failing = unreadable.filter((u) => u.required);
  if (missing.length === 0 && failing.length === 0) return { missing, unreadable, failsRun: false };
  const messages: string[] = [];
  const hints: string[] = [];
  if (missing.length > 0) {
    messages.push(`Required reports not found in ${service}: ${missing.join(", ")}`);
    hints.push("Check environments.*.reports paths in slipway.yml and where the tests write their reports.");
  }
  if (failing.length > 0) {
    messages.push(`Required JUnit reports from ${service} are unreadable: ${failing.map((u) => `${u.file} (${u.reason})`).join(", ")}`);
    hints.push(
      "An empty or cut-off report usually means the test run stopped before its reporter finished: look at the test service's log in the evidence. A file that is not JUnit XML needs `junit: false` on its report in slipway.yml.",
    );
  }
  return { missing, unreadable, failsRun: true, message: messages.join("; "), hint: hints.join(" ") };
}
