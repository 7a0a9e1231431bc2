/**
 * JUnit XML → a summary a person reads at the end of a run: counts, the slowest tests, and every
 * failure with its message. Accepts the dialects real runners write (a bare <testsuite>, or
 * <testsuites> with nested suites as node's test runner and Jest write).
 */
import { XMLParser } from "fast-xml-parser";

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
});

const asArray = (v: unknown): XmlNode[] => (Array.isArray(v) ? (v as XmlNode[]) : v === undefined ? [] : [v as XmlNode]);

function messageOf(nodes: XmlNode[]): string {
  const n = nodes[0];
  if (!n) return "";
  if (typeof n === "string") return n;
  const message = typeof n["message"] === "string" ? n["message"] : "";
  const text = typeof n["#text"] === "string" ? n["#text"] : "";
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

/** Parses one JUnit XML document into its test cases. Throws on text that is not XML. */
export function parseJUnit(xml: string): TestCaseResult[] {
  const doc = parser.parse(xml) as XmlNode;
  const cases: TestCaseResult[] = [];
  const root = (doc["testsuites"] as XmlNode | undefined) ?? doc;
  collectCases(root, "", cases);
  return cases;
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
