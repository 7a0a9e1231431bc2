/**
 * The commands that read, with docker compose v2's (2.26.1) flags and output, so that scripts
 * that parse compose's keep working: `config`, `ps`, `ls`, `images`, `events`, `port`, `top`,
 * `version`. Their `--format json` objects carry compose's field names; `ps --format` takes
 * compose's Go templates, in the subset format.ts runs.
 */
import { writeFile } from "node:fs/promises";
import { InvalidArgumentError, Option, type Command } from "commander";
import { renderConfig } from "../../compose/load/index.ts";
import { renderConfigJson } from "../../compose/load/render-config-json.ts";
import type { Project } from "../../compose/model/index.ts";
import { serviceConfigHash } from "../../compose/runner/config-hash.ts";
import { goJson, humanSize } from "../../compose/runner/display-values.ts";
import { composeEvents, eventJson, eventLine } from "../../compose/runner/events.ts";
import { composeImages } from "../../compose/runner/images.ts";
import { composeLs, filterStacks } from "../../compose/runner/ls.ts";
import { builtImageName } from "../../compose/runner/names.ts";
import { composePort } from "../../compose/runner/port.ts";
import {
  filterByStatus,
  PS_HEADERS,
  PS_RAW_FORMAT,
  PS_TABLE_FORMAT,
  psContainers,
  psFields,
  sortByName,
  type ComposeContainer,
} from "../../compose/runner/ps.ts";
import { composeTop } from "../../compose/runner/top.ts";
import { SlipwayError } from "../../errors/index.ts";
import { slipwayVersion } from "../../run/version.ts";
import { compileFormat, GoSlice, GoStruct, headerContext, listFormat, renderFormat, tabwrite, TemplateError } from "./format.ts";
import { collect, type ComposeDeps, type GlobalOptions } from "./shared.ts";

export function registerListing(compose: Command, d: ComposeDeps): void {
  registerConfig(compose, d);
  registerPs(compose, d);
  registerLs(compose, d);
  registerImages(compose, d);
  registerEvents(compose, d);
  registerPort(compose, d);
  registerTop(compose, d);
  registerVersion(compose, d);
}

/** Engine access for a listing: its events (sweeps) go to stderr, never into the listing on stdout. */
const quietContext = (d: ComposeDeps, g: GlobalOptions) => d.context({ ...g, json: false, progress: "plain" });

/** compose's toProjectName: `-p`, else COMPOSE_PROJECT_NAME, else the compose file's project. */
async function projectName(d: ComposeDeps, g: GlobalOptions): Promise<string> {
  return g.projectName ?? (d.io.env["COMPOSE_PROJECT_NAME"] || (await d.load(g)).name);
}

/**
 * compose's projectOrName (ps): the file's project when `-f` is given or `-p` is not; with `-p`
 * alone, the name. A file that cannot be found or loaded falls back to COMPOSE_PROJECT_NAME.
 */
async function projectOrName(d: ComposeDeps, g: GlobalOptions): Promise<{ project?: Project; name: string }> {
  if (g.projectName && !g.file?.length) return { name: g.projectName };
  try {
    const project = await d.load(g);
    return { project, name: project.name };
  } catch (err) {
    const fromEnv = d.io.env["COMPOSE_PROJECT_NAME"];
    if (fromEnv) return { name: fromEnv };
    throw err;
  }
}

/** A command line Slipway will not run (exit 2), with what to run instead. */
function usageError(message: string, hint: string): SlipwayError {
  return new SlipwayError(message, { code: "USAGE", kind: "usage", hint });
}

function refuseFlag(flag: string, why: string, hint: string): never {
  throw usageError(`${flag} is not supported: ${why}`, hint);
}

// ---------------------------------------------------------------------------------------------

interface ConfigFlags {
  services?: boolean;
  volumes?: boolean;
  images?: boolean;
  profiles?: boolean;
  hash?: string;
  format: string;
  quiet?: boolean;
  output?: string;
  interpolate?: boolean;
  normalize?: boolean;
  pathResolution?: boolean;
  consistency?: boolean;
  resolveImageDigests?: boolean;
  variables?: boolean;
}

/** compose's config flags that Slipway does not have: refused by name. */
const REFUSED_CONFIG_FLAGS: readonly { flag: string; given: (o: ConfigFlags) => boolean | undefined; why: string }[] = [
  { flag: "--no-interpolate", given: (o) => o.interpolate === false, why: "Slipway prints the project as it runs it, variables interpolated" },
  { flag: "--no-normalize", given: (o) => o.normalize === false, why: "Slipway prints the normalized project only" },
  { flag: "--no-path-resolution", given: (o) => o.pathResolution === false, why: "Slipway prints paths resolved against the project directory" },
  { flag: "--no-consistency", given: (o) => o.consistency === false, why: "Slipway checks the project's consistency on every load" },
  { flag: "--resolve-image-digests", given: (o) => o.resolveImageDigests, why: "Slipway does not resolve image digests in config" },
  { flag: "--variables", given: (o) => o.variables, why: "Slipway does not list the model's variables" },
];

function registerConfig(compose: Command, d: ComposeDeps): void {
  const config = compose
    .command("config")
    .alias("convert")
    .description("print the normalized project, as docker compose config does")
    .argument("[services...]")
    .option("--services", "print the service names, one per line")
    .option("--volumes", "print the volume names, one per line")
    .option("--images", "print the image names, one per line")
    .option("--profiles", "print the profile names, one per line")
    .option("--hash <services>", 'print each service\'s config hash: "*" for all, or names separated by commas')
    .option("--format <format>", "yaml or json", "yaml")
    .option("-q, --quiet", "only validate the configuration, print nothing")
    .option("-o, --output <file>", "write to this file instead of the standard output")
    .action(async (services: string[], o: ConfigFlags, cmd: Command) => {
      for (const r of REFUSED_CONFIG_FLAGS) if (r.given(o)) refuseFlag(r.flag, r.why, "Run `slipway compose config` without it.");
      const format = o.format.toLowerCase();
      if (format !== "yaml" && format !== "json") throw usageError(`unsupported format ${JSON.stringify(o.format)}`, "Use --format yaml or --format json.");
      const g = d.globals(cmd);
      const out = (text: string) => void d.io.stdout.write(text);
      // The order compose checks them in.
      if (o.services) {
        const project = await d.load(g);
        return out(lines(dependencyOrder(project)));
      }
      if (o.volumes) return out(lines(Object.keys((await d.load(g)).volumes).sort()));
      if (o.hash !== undefined) return out(await configHashes(d, g, o.hash));
      if (o.profiles) {
        const project = await d.load(g, services);
        const all = [...Object.values(project.services), ...Object.values(project.disabledServices)].flatMap((s) => s.profiles);
        return out(lines([...new Set(all)].sort()));
      }
      if (o.images) {
        const project = await d.load(g, services);
        return out(lines(dependencyOrder(project).map((name) => project.services[name]!.image ?? builtImageName(project.name, name))));
      }
      const project = await d.load(g, services);
      const text = format === "json" ? renderConfigJson(project) : renderConfig(project);
      if (o.quiet) return;
      if (o.output) await writeFile(o.output, text);
      else out(text);
    });
  for (const r of REFUSED_CONFIG_FLAGS) config.addOption(new Option(r.flag, `not supported: ${r.why}`).hideHelp());
}

const lines = (items: readonly string[]): string => items.map((i) => `${i}\n`).join("");

/**
 * Services in dependency order (each after what it depends on), as compose walks them for
 * `--services` and `--images`; compose takes independent services in Go's random map order,
 * Slipway by name.
 */
export function dependencyOrder(project: Project): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !project.services[name]) return;
    seen.add(name);
    for (const dep of Object.keys(project.services[name]!.depends_on).sort()) visit(dep);
    out.push(name);
  };
  for (const name of Object.keys(project.services).sort()) visit(name);
  return out;
}

/**
 * `config --hash`: Slipway's config hash of each service, the one `up` compares to recreate a
 * container. (On a container its label also covers the image's ID, which `config` does not
 * resolve; compose's hash is its own, so the values differ from compose's.)
 */
async function configHashes(d: ComposeDeps, g: GlobalOptions, spec: string): Promise<string> {
  const project = await d.load(g);
  const names = spec === "*" ? Object.keys(project.services) : spec.split(",");
  return lines(
    [...names].sort().map((name) => {
      const service = project.services[name];
      if (!service) throw new SlipwayError(`no such service: ${name}`, { code: "NO_SUCH_SERVICE", kind: "config", hint: "Run `slipway compose config --services` for the names." });
      return `${name} ${serviceConfigHash(service)}`;
    }),
  );
}

// ---------------------------------------------------------------------------------------------

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
  filter?: string;
  format?: string;
  trunc?: boolean;
  orphans?: boolean;
}

function boolValue(value: string): boolean {
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw new InvalidArgumentError("Expected true or false.");
}

/** `--filter KEY=VALUE`: compose's ps takes `status` only. */
function psFilterStatuses(filter: string | undefined): string[] {
  if (filter === undefined) return [];
  const eq = filter.indexOf("=");
  if (eq < 0) throw usageError("arguments to --filter should be in form KEY=VAL", "For example --filter status=running.");
  const key = filter.slice(0, eq);
  if (key === "status") return [filter.slice(eq + 1)];
  throw usageError(key === "source" ? "the source filter is not implemented" : `unknown filter ${key}`, "ps takes --filter status=STATE.");
}

function registerPs(compose: Command, d: ComposeDeps): void {
  compose
    .command("ps")
    .description("list the project's containers")
    .argument("[services...]")
    .option("-a, --all", "show stopped containers too (and those of `run`)")
    .option("-q, --quiet", "only display IDs")
    .option("--services", "display services")
    .option("--status <status>", "filter by state: paused, restarting, removing, running, dead, created, exited (repeatable)", collect)
    .option("--filter <filter>", "filter by a property: status=STATE")
    .option("--format <format>", "table, table TEMPLATE, json, raw or TEMPLATE (a Go template)")
    .option("--no-trunc", "don't truncate output")
    .addOption(new Option("--orphans [bool]", "include containers of services not in the project (default true)").argParser(boolValue))
    .action(async (services: string[], o: PsFlags, cmd: Command) => {
      const g = d.globals(cmd);
      const statuses = [...(o.status ?? []), ...psFilterStatuses(o.filter)];
      const format = o.format ?? (g.json ? "json" : "table");
      // A template is read before anything else: one Slipway does not take fails at once.
      const compiled = o.quiet || o.services ? undefined : compileFormat(format, { table: PS_TABLE_FORMAT, raw: PS_RAW_FORMAT });
      const { project, name } = await projectOrName(d, g);
      const selected = services.length || o.orphans !== false || !project ? services : Object.keys(project.services);
      await using ctx = await quietContext(d, g);
      let containers = await psContainers(ctx.engine, name, { all: !!o.all || statuses.length > 0, services: selected, signal: d.signal });
      if (statuses.length) containers = filterByStatus(containers, statuses);
      containers = sortByName(containers);
      if (o.quiet) return void d.io.stdout.write(lines(containers.map((c) => c.ID)));
      if (o.services) return void d.io.stdout.write(`${[...new Set(containers.map((c) => c.Service))].join("\n")}\n`);
      const now = new Date();
      const rows = containers.map((c) => psRow(c, o.trunc !== false, now));
      d.io.stdout.write(renderFormat(compiled!, rows, headerContext(PS_HEADERS), format));
    });
}

/** A container as ps's templates see it: compose's ContainerContext. */
export function psRow(c: ComposeContainer, trunc: boolean, now: Date): GoStruct {
  const fields = psFields(c, { trunc, now });
  const publishers = new GoSlice(
    "api.PortPublishers",
    (fields.Publishers ?? []).map((p) => new GoStruct("api.PortPublisher", { URL: p.URL, TargetPort: p.TargetPort, PublishedPort: p.PublishedPort, Protocol: p.Protocol })),
    fields.Publishers === null,
  );
  return new GoStruct(
    "*formatter.ContainerContext",
    { ...fields, Publishers: publishers },
    {
      printable: false,
      // ContainerContext's MarshalJSON: a map of its fields (keys sorted), HTML escaped.
      json: () => goJson(fields),
      methods: {
        Label: {
          arity: 1,
          call([key]) {
            if (typeof key !== "string") throw new TemplateError(`wrong type for value; expected string; got ${typeof key}`);
            return c.Labels[key] ?? "";
          },
        },
      },
    },
  );
}

// ---------------------------------------------------------------------------------------------

function registerLs(compose: Command, d: ComposeDeps): void {
  compose
    .command("ls")
    .description("list the compose projects on the engine (running ones; -a: all)")
    .option("-a, --all", "show stopped projects too")
    .option("-q, --quiet", "only display project names")
    .option("--filter <filter>", "filter: name=REGEXP (repeatable)", collect)
    .option("--format <format>", "table or json", "table")
    .action(async (o: { all?: boolean; quiet?: boolean; filter?: string[]; format: string }, cmd: Command) => {
      const g = d.globals(cmd);
      const names: string[] = [];
      for (const f of o.filter ?? []) {
        const eq = f.indexOf("=");
        if (eq < 0) throw usageError(`bad format of filter (expected name=value)`, "For example --filter name=web.");
        const key = f.slice(0, eq);
        if (key !== "name") throw usageError(`invalid filter '${key}'`, "ls takes --filter name=REGEXP.");
        names.push(f.slice(eq + 1));
      }
      const format = o.quiet ? "table" : listFormat(o.format === "table" && g.json && cmd.getOptionValueSource("format") === "default" ? "json" : o.format);
      await using ctx = await quietContext(d, g);
      const stacks = filterStacks(await composeLs(ctx.engine, { all: !!o.all, signal: d.signal }), names);
      if (o.quiet) return void d.io.stdout.write(lines(stacks.map((s) => s.Name)));
      if (format === "json") return void d.io.stdout.write(`${goJson(stacks, { escapeHtml: false })}\n`);
      const rows = stacks.map((s) => `${s.Name}\t${s.Status}\t${s.ConfigFiles}\n`).join("");
      d.io.stdout.write(tabwrite(`NAME\tSTATUS\tCONFIG FILES\n${rows}`, { minWidth: 20, padding: 3 }));
    });
}

function registerImages(compose: Command, d: ComposeDeps): void {
  compose
    .command("images")
    .description("list the images of the project's containers")
    .argument("[services...]")
    .option("-q, --quiet", "only display IDs")
    .option("--format <format>", "table or json", "table")
    .action(async (services: string[], o: { quiet?: boolean; format: string }, cmd: Command) => {
      const g = d.globals(cmd);
      const format = o.quiet ? "table" : listFormat(o.format === "table" && g.json && cmd.getOptionValueSource("format") === "default" ? "json" : o.format);
      const name = await projectName(d, g);
      await using ctx = await quietContext(d, g);
      const images = await composeImages(ctx.engine, name, { services, signal: d.signal });
      if (o.quiet) return void d.io.stdout.write(lines([...new Set(images.map((i) => i.ID.replace(/^[^:]*:/, "")))]));
      const sorted = [...images].sort((a, b) => (a.ContainerName < b.ContainerName ? -1 : a.ContainerName > b.ContainerName ? 1 : 0));
      if (format === "json") return void d.io.stdout.write(`${goJson(sorted, { escapeHtml: false })}\n`);
      const rows = sorted
        .map((i) => `${i.ContainerName}\t${i.Repository || "<none>"}\t${i.Tag || "<none>"}\t${i.ID.replace(/^[^:]*:/, "").slice(0, 12)}\t${humanSize(i.Size)}\n`)
        .join("");
      d.io.stdout.write(tabwrite(`CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n${rows}`, { minWidth: 20, padding: 3 }));
    });
}

function registerEvents(compose: Command, d: ComposeDeps): void {
  compose
    .command("events")
    .description("stream the project's container events until Ctrl-C")
    .argument("[services...]")
    .option("--json", "output events as a stream of JSON objects")
    .action(async (services: string[], o: { json?: boolean }, cmd: Command) => {
      const g = d.globals(cmd);
      const json = !!o.json || !!g.json;
      const name = await projectName(d, g);
      await using ctx = await quietContext(d, g);
      await composeEvents(ctx.engine, name, {
        services,
        signal: d.signal,
        onEvent: (e) => void d.io.stdout.write(json ? `${eventJson(e)}\n` : `${eventLine(e)}\n`),
      });
    });
}

function port(value: string): number {
  // compose parses it as a 16-bit unsigned number (`8080/tcp` is refused: the protocol is --protocol).
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a port number (the protocol goes in --protocol).`);
  return Number(value);
}

function index(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError("Expected a whole number.");
  return Number(value);
}

function registerPort(compose: Command, d: ComposeDeps): void {
  compose
    .command("port")
    .description("print the public address of a port binding: IP:PORT")
    .argument("<service>")
    .argument("<private_port>", "the container's port", port)
    .option("--index <n>", "index of the container, when the service has several", index)
    .addOption(new Option("--protocol <protocol>", "tcp or udp").default("tcp"))
    .action(async (service: string, privatePort: number, o: { index?: number; protocol: string }, cmd: Command) => {
      const g = d.globals(cmd);
      const name = await projectName(d, g);
      await using ctx = await quietContext(d, g);
      const published = await composePort(ctx.engine, name, service, privatePort, { protocol: o.protocol, ...(o.index ? { index: o.index } : {}), signal: d.signal });
      d.io.stdout.write(`${published.ip}:${published.port}\n`);
    });
}

function registerTop(compose: Command, d: ComposeDeps): void {
  compose
    .command("top")
    .description("display the running processes of the project's containers")
    .argument("[services...]")
    .action(async (services: string[], _o, cmd: Command) => {
      const g = d.globals(cmd);
      const name = await projectName(d, g);
      await using ctx = await quietContext(d, g);
      for (const c of await composeTop(ctx.engine, name, { services, signal: d.signal })) {
        const table = `${c.titles.join("\t")}\n${c.processes.map((p) => p.map((cell) => `${cell}\t`).join("") + "\n").join("")}`;
        d.io.stdout.write(`${c.name}\n${tabwrite(table, { minWidth: 5, padding: 3 })}\n`);
      }
    });
}

function registerVersion(compose: Command, d: ComposeDeps): void {
  compose
    .command("version")
    .description("show Slipway's version, in docker compose version's shape")
    .option("--short", "only the version number")
    .option("-f, --format <format>", "pretty or json")
    .action((o: { short?: boolean; format?: string }) => {
      const version = slipwayVersion();
      if (o.short) d.io.stdout.write(`${version}\n`);
      else if (o.format === "json") d.io.stdout.write(`${goJson({ version })}\n`);
      else d.io.stdout.write(`Slipway compose version ${version}\n`);
    });
}
