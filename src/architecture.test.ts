/**
 * Data flows one way: cli → pipeline → stages → domain → run → engine. This test reads every
 * import of the sources (tests excluded) and holds them to the layers below, whatever the tree
 * looks like: a folder imports only folders of lower layers. The rules are checked by name
 * too, so that a change of layers cannot quietly drop them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Lower numbers are lower layers. Folders of one layer do not import each other. */
const LAYER: Record<string, number> = {
  errors: 0,
  events: 1,
  yaml: 1,
  engine: 1,
  git: 1,
  run: 2,
  readiness: 3,
  reports: 3,
  images: 3,
  history: 3,
  doctor: 3,
  registry: 3,
  tags: 3,
  ui: 3,
  compose: 4,
  publish: 4,
  cleanup: 5,
  // Swarm deploys: the stack model over compose's project, executed on the compose runner's DAG.
  deploy: 5,
  config: 5,
  // Versioned base images (seed 003): over config's types; the release stage builds on them.
  base: 5.5,
  stages: 6,
  pipeline: 7,
  cli: 8,
  // The library's entry: the public API, at the top like the CLI.
  "index.ts": 8,
};

interface Import {
  from: string;
  to: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : sources(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

const top = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;

function imports(): Import[] {
  const out: Import[] = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      out.push({ from: path.relative(SRC, file), to: path.relative(SRC, path.resolve(path.dirname(file), spec)) });
    }
  }
  return out;
}

const all = imports();
const crossing = all.filter((i) => top(path.join(SRC, i.from)) !== top(path.join(SRC, i.to)));

test("the import reader sees the imports (it is not vacuous)", () => {
  assert.ok(all.length > 300, `only ${all.length} imports read`);
  assert.ok(crossing.some((i) => i.from.startsWith("cli/") && i.to.startsWith("pipeline/")));
});

test("every top-level folder has a layer", () => {
  const unknown = [...new Set(all.flatMap((i) => [i.from, i.to]).map((f) => f.split("/")[0]!))].filter((t) => !(t in LAYER));
  assert.deepEqual(unknown, []);
});

test("a folder imports only folders of lower layers", () => {
  const upward = crossing.filter((i) => LAYER[i.from.split("/")[0]!]! <= LAYER[i.to.split("/")[0]!]!).map((i) => `${i.from} → ${i.to}`);
  assert.deepEqual(upward, []);
});

test("nothing under compose/ imports pipeline/, stages/ or config/", () => {
  assert.deepEqual(crossing.filter((i) => i.from.startsWith("compose/") && /^(pipeline|stages|config)\//.test(i.to)), []);
});

test("nothing under engine/ imports a domain folder", () => {
  assert.deepEqual(crossing.filter((i) => i.from.startsWith("engine/") && !/^errors\//.test(i.to)), []);
});

test("nothing imports cli/ or ui/ but cli/", () => {
  assert.deepEqual(crossing.filter((i) => /^(cli|ui)\//.test(i.to) && !i.from.startsWith("cli/")), []);
});
