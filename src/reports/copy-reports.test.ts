import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { Engine } from "../engine/index.ts";
import { tarFromEntries, type TarEntry } from "../engine/streams/tar-pack.ts";
import { copyReports, type ReportSpec } from "./copy-reports.ts";

const JUNIT = `<testsuites><testsuite name="s"><testcase name="ok"/><testcase name="bad"><failure message="ensure &#x22;done()&#x22; is called"/></testcase></testsuite></testsuites>`;

/** A container's file system as the archive API answers it: a folder's archive holds the folder itself. */
function fakeEngine(fs: Record<string, Record<string, string> | string>): Engine {
  const readArchive = async (_id: string, p: string) => {
    const at = fs[p];
    if (at === undefined) return undefined;
    const name = path.posix.basename(p);
    const isDirectory = typeof at !== "string";
    const entries: TarEntry[] = isDirectory ? [{ name, type: "directory" }, ...Object.entries(at).map(([f, content]) => ({ name: `${name}/${f}`, content }))] : [{ name, content: at }];
    const tar = Readable.from([await tarFromEntries(entries)]);
    return { stat: { name, size: 0, mode: 0, mtime: "", linkTarget: "", isDirectory }, tar };
  };
  return { containers: { readArchive } } as unknown as Engine;
}

async function copy(fs: Record<string, Record<string, string> | string>, specs: ReportSpec[]) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-reports-"));
  try {
    const copied = await copyReports(fakeEngine(fs), "ctr", specs, path.join(dir, "out"));
    return { ...copied, dir: path.relative(dir, copied.dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const spec = (p: string, more: Partial<ReportSpec> = {}): ReportSpec => ({ path: p, junit: true, required: true, ...more });

test("a 0-byte mocha.xml is unreadable and there is no JUnit summary, not 0 tests", async () => {
  const copied = await copy({ "/app/reports": { "mocha.xml": "" } }, [spec("/app/reports")]);
  assert.deepEqual(copied.unreadable, [{ file: "mocha.xml", reason: "empty file", report: "/app/reports" }]);
  assert.equal(copied.junit, undefined);
  assert.deepEqual(copied.files, ["mocha.xml"]);
});

test("an HTML file named as the report is not XML", async () => {
  const copied = await copy({ "/app/junit.xml": "<!DOCTYPE html><html><body>Oops<br></body></html>" }, [spec("/app/junit.xml")]);
  assert.equal(copied.unreadable.length, 1);
  assert.match(copied.unreadable[0]!.reason, /^not XML/);
});

test("XML that is not JUnit: unreadable when the spec names the file, another report when it sits in a folder", async () => {
  const named = await copy({ "/app/junit.xml": `<coverage line-rate="1"/>` }, [spec("/app/junit.xml")]);
  assert.deepEqual(named.unreadable, [{ file: "junit.xml", reason: "not JUnit, root element <coverage> instead of <testsuites> or <testsuite>", report: "/app/junit.xml" }]);
  const folder = await copy({ "/app/reports": { "junit.xml": JUNIT, "coverage.xml": `<coverage line-rate="1"/>` } }, [spec("/app/reports")]);
  assert.deepEqual(folder.unreadable, []);
  assert.deepEqual(folder.junit?.files, ["junit.xml"]);
  assert.equal(folder.junit?.failures[0]!.message, `ensure "done()" is called`);
});

test("several specs: each unreadable file names its own spec; junit: false files are not parsed", async () => {
  const copied = await copy(
    { "/app/unit": { "unit.xml": JUNIT }, "/app/e2e": { "e2e.xml": "" }, "/app/coverage": { "cobertura.xml": "not xml" } },
    [spec("/app/unit"), spec("/app/e2e", { required: false }), spec("/app/coverage", { junit: false })],
  );
  assert.deepEqual(copied.unreadable, [{ file: path.join("e2e", "e2e.xml"), reason: "empty file", report: "/app/e2e" }]);
  assert.deepEqual([copied.junit?.tests, copied.junit?.failed, copied.junit?.files], [2, 1, [path.join("unit", "unit.xml")]]);
  assert.deepEqual(copied.missing, []);
});

test("a required report that is not there is missing, an optional one is not", async () => {
  const copied = await copy({}, [spec("/app/reports"), spec("/app/extra", { required: false })]);
  assert.deepEqual(copied.missing, ["/app/reports"]);
  assert.deepEqual(copied.unreadable, []);
});

test("the stage's report folder is emptied first: an earlier run's files are neither kept nor counted; its siblings and a symlink's target are untouched", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-reports-"));
  try {
    const reports = path.join(root, "reports");
    const dest = path.join(reports, "test");
    await mkdir(path.join(dest, "old"), { recursive: true });
    await writeFile(path.join(dest, "stale.xml"), JUNIT);
    await writeFile(path.join(dest, "old", "stale2.xml"), JUNIT);
    await mkdir(path.join(reports, "acceptance"));
    await writeFile(path.join(reports, "acceptance", "keep.xml"), JUNIT);
    await writeFile(path.join(reports, "README"), "keep");

    const copied = await copyReports(fakeEngine({ "/app/reports": { "junit.xml": JUNIT } }), "ctr", [spec("/app/reports")], dest);
    assert.deepEqual(copied.files, ["junit.xml"]);
    assert.deepEqual([copied.junit?.tests, copied.junit?.files], [2, ["junit.xml"]], "only this run's file is counted");
    assert.deepEqual(await readdir(dest), ["junit.xml"]);
    assert.deepEqual((await readdir(reports)).sort(), ["README", "acceptance", "test"]);
    assert.equal(await readFile(path.join(reports, "acceptance", "keep.xml"), "utf8"), JUNIT);

    // Nothing found this time: the folder is empty, not the earlier run's.
    const none = await copyReports(fakeEngine({}), "ctr", [spec("/app/reports")], dest);
    assert.deepEqual([none.files, none.missing, none.junit], [[], ["/app/reports"], undefined]);

    // A report folder that is a symlink: the link goes, the folder it pointed to stays as it was.
    const elsewhere = path.join(root, "elsewhere");
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, "precious.xml"), JUNIT);
    await rm(dest, { recursive: true, force: true });
    await symlink(elsewhere, dest);
    await copyReports(fakeEngine({ "/app/reports": { "junit.xml": JUNIT } }), "ctr", [spec("/app/reports")], dest);
    assert.deepEqual(await readdir(elsewhere), ["precious.xml"]);
    assert.deepEqual(await readdir(dest), ["junit.xml"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
