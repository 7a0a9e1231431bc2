/**
 * JUnit XML → a summary a person reads at the end of a run: counts, the slowest tests, and every
 * failure with its message. Accepts the dialects real runners write (a bare <testsuite>, or
 * <testsuites> with nested suites as node's test runner and Jest write). A file that is not one of
 * them is said to be so, never read as zero tests: a cancelled mocha run leaves a 0-byte report.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

export interface TestCaseResult {
  suite: string;
  name: string;
  /** Seconds. */
  time: number;
  status: "passed" | "failed" | "skipped";
  message?: string;
}

export interface JUnitSummary {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Seconds, summed over cases. */
  time: number;
  failures: TestCaseResult[];
  slowest: TestCaseResult[];
  files: string[];
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  // Elements that may repeat are always arrays, so one suite and many suites read the same.
  isArray: (name) => ["testsuite", "testcase", "failure", "error", "skipped"].includes(name),
  textNodeName: "#text",
  processEntities: true,
  // Since fast-xml-parser 5.7 numeric character references (`&#x22;`, `&#34;`, which reporters
  // write for quotes and newlines in failure messages) are decoded only with htmlEntities on
  // (NaturalIntelligence/fast-xml-parser#829, #823). Decoding is one pass: `&amp;lt;` stays `&lt;`.
  htmlEntities: true,
});

const asArray = (v: unknown): XmlNode[] => (Array.isArray(v) ? (v as XmlNode[]) : v === undefined ? [] : [v as XmlNode]);

function messageOf(nodes: XmlNode[]): string {
  const n = nodes[0];
  if (!n) return "";
  // `<failure>text</failure>` without attributes parses to the text itself.
  const message = typeof n === "string" ? "" : typeof n["message"] === "string" ? n["message"] : "";
  const text = typeof n === "string" ? n : typeof n["#text"] === "string" ? n["#text"] : "";
  return (message || text).trim().split("\n").slice(0, 5).join("\n");
}

function collectCases(suite: XmlNode, suiteName: string, out: TestCaseResult[]): void {
  const name = typeof suite["name"] === "string" ? suite["name"] : suiteName;
  for (const tc of asArray(suite["testcase"])) {
    const failures = [...asArray(tc["failure"]), ...asArray(tc["error"])];
    const skipped = asArray(tc["skipped"]);
    const result: TestCaseResult = {
      suite: typeof tc["classname"] === "string" && tc["classname"] ? tc["classname"] : name,
      name: String(tc["name"] ?? "(unnamed)"),
      time: Number(tc["time"] ?? 0) || 0,
      status: failures.length ? "failed" : skipped.length || tc["skipped"] === "" ? "skipped" : "passed",
    };
    if (failures.length) result.message = messageOf(failures);
    out.push(result);
  }
  for (const child of asArray(suite["testsuite"])) collectCases(child, name, out);
}

/**
 * What one report file holds. `other-xml` is well-formed XML with another root element (a
 * coverage.xml beside junit.xml): whether that is a problem depends on what the report spec names.
 */
export type JUnitDocument =
  | { kind: "junit"; cases: TestCaseResult[] }
  | { kind: "unreadable"; reason: string }
  | { kind: "other-xml"; root: string };

const JUNIT_ROOTS = ["testsuites", "testsuite"];

/** Reads one report file's text. Never throws: the parser accepts anything, so XML is checked first. */
export function readJUnit(text: string): JUnitDocument {
  if (text.replace(/^\uFEFF/, "").trim() === "") return { kind: "unreadable", reason: "empty file" };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { kind: "unreadable", reason: `not XML, line ${valid.err.line}: ${valid.err.msg}` };
  const doc = parser.parse(text) as XmlNode;
  const elements = Object.keys(doc).filter((k) => !k.startsWith("?"));
  if (!elements.some((k) => JUNIT_ROOTS.includes(k))) return { kind: "other-xml", root: elements[0] ?? "" };
  const cases: TestCaseResult[] = [];
  const root = (doc["testsuites"] as XmlNode | undefined) ?? doc;
  collectCases(root, "", cases);
  return { kind: "junit", cases };
}

/** Why a file that had to be JUnit is not, for the summary. */
export function notJUnitReason(root: string): string {
  return `not JUnit, root element <${root}> instead of <testsuites> or <testsuite>`;
}

export function summarize(cases: TestCaseResult[], files: string[], slowest = 5): JUnitSummary {
  const failures = cases.filter((c) => c.status === "failed");
  const skipped = cases.filter((c) => c.status === "skipped").length;
  return {
    tests: cases.length,
    passed: cases.length - failures.length - skipped,
    failed: failures.length,
    skipped,
    time: cases.reduce((t, c) => t + c.time, 0),
    failures,
    slowest: [...cases].sort((a, b) => b.time - a.time).slice(0, slowest),
    files,
  };
}
