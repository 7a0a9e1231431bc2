/**
 * End to end: the compose listings as a script reads them, from the published CLI: compose v2's
 * JSON shapes and Go templates, and the refusals (exit 2, naming what was refused) of what Slipway
 * does not take. The project goes down whatever happens.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { uniqueProject } from "../../support/run-context.ts";
import { repoRoot, slipway } from "../support.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = slipway(args, { cwd: here });
  const code = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `slipway ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

test("ps, ls, images, port, top, version and config answer in docker compose v2's shapes", async (t) => {
  const project = uniqueProject("e2e-listing");
  const p = ["compose", "-p", project];
  t.after(() => cli([...p, "down", "-t", "0"]));
  await ok([...p, "up", "-d", "--wait"]);

  const rows = (await ok([...p, "ps", "--format", "json"]))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    rows.map((r) => [r["Name"], r["Service"], r["State"], r["Project"]]),
    [
      [`${project}-web-1`, "web", "running", project],
      [`${project}-worker-1`, "worker", "running", project],
    ],
  );
  assert.deepEqual(Object.keys(rows[0]!), [
    "Command", "CreatedAt", "ExitCode", "Health", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Name",
    "Names", "Networks", "Ports", "Project", "Publishers", "RunningFor", "Service", "Size", "State", "Status",
  ]);
  const web = rows[0]!;
  const publishers = web["Publishers"] as { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
  assert.equal(publishers.length, 1);
  assert.equal(publishers[0]!.URL, "127.0.0.1");
  assert.equal(publishers[0]!.TargetPort, 80);
  assert.equal(rows[1]!["Publishers"], null);

  assert.equal(await ok([...p, "ps", "--format", "{{.Service}}\\t{{.State}}"]), "web\trunning\nworker\trunning\n");
  assert.equal(await ok([...p, "ps", "--services", "--status", "running"]), "web\nworker\n");
  assert.match(await ok([...p, "ps", "--format", "table {{.Name}}\\t{{.Ports}}", "web"]), new RegExp(`^NAME {2,}PORTS\\n${project}-web-1 {3,}127\\.0\\.0\\.1:\\d+->80/tcp\\n$`));
  assert.equal((await ok([...p, "ps", "-q"])).trim().split("\n").length, 2);

  const address = (await ok([...p, "port", "web", "80"])).trim();
  assert.equal(address, `127.0.0.1:${publishers[0]!.PublishedPort}`);

  assert.deepEqual(JSON.parse(await ok(["compose", "ls", "--filter", `name=^${project}$`, "--format", "json"])), [
    { Name: project, Status: "running(2)", ConfigFiles: path.join(here, "compose.yaml") },
  ]);
  const images = JSON.parse(await ok([...p, "images", "--format", "json"])) as Record<string, unknown>[];
  assert.deepEqual(images.map((i) => Object.keys(i)), [["ID", "ContainerName", "Repository", "Tag", "Size"], ["ID", "ContainerName", "Repository", "Tag", "Size"]]);
  assert.deepEqual(images.map((i) => i["ContainerName"]), [`${project}-web-1`, `${project}-worker-1`]);

  const top = await ok([...p, "top", "web"]);
  assert.match(top, new RegExp(`^${project}-web-1\\nUID +PID +PPID +C +STIME +TTY +TIME +CMD\\n(.*\\n)+\\n$`));
  assert.match(top, /httpd -f -p 80/);

  const config = JSON.parse(await ok(["compose", "config", "--format", "json"])) as { services: Record<string, { command: unknown; entrypoint: unknown }> };
  assert.deepEqual(config.services["web"]!.command, ["httpd", "-f", "-p", "80"]);
  assert.equal(config.services["web"]!.entrypoint, null);
  assert.equal(await ok(["compose", "config", "--services"]), "web\nworker\n");

  const { version } = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
  assert.equal(await ok(["compose", "version", "--format", "json"]), `{"version":"${version}"}\n`);
  assert.equal(await ok(["compose", "version", "--short"]), `${version}\n`);
  assert.equal(await ok(["compose", "version"]), `Slipway compose version ${version}\n`);
});

test("what Slipway does not take is refused by name with exit 2, never answered wrongly", async () => {
  const p = ["compose", "-p", uniqueProject("e2e-listing-refused")];
  for (const [args, named] of [
    [[...p, "ps", "--format", "{{with .Name}}{{.}}{{end}}"], "{{with}} is not supported"],
    [[...p, "ps", "--format", "{{$x := .Name}}{{$x}}"], "variables are not supported"],
    [[...p, "ps", "--format", "{{html .Name}}"], 'function "html" is not supported'],
    [[...p, "ps", "--bogus"], "--bogus"],
    [[...p, "ps", "--filter", "foo=bar"], "unknown filter foo"],
    [[...p, "ls", "--format", "{{.Name}}"], 'format value "{{.Name}}" could not be parsed'],
    [[...p, "images", "--format", "{{.ID}}"], 'format value "{{.ID}}" could not be parsed'],
    [[...p, "config", "--no-interpolate"], "--no-interpolate is not supported"],
    [[...p, "config", "--format", "toml"], 'unsupported format "toml"'],
    [[...p, "port", "web", "80/tcp"], "is not a port number"],
  ] as const) {
    const r = await cli([...args]);
    assert.equal(r.code, 2, `slipway ${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
    assert.ok(r.stderr.includes(named), `slipway ${args.join(" ")} names ${JSON.stringify(named)}:\n${r.stderr}`);
    assert.equal(r.stdout, "", `slipway ${args.join(" ")} prints nothing`);
  }
});
