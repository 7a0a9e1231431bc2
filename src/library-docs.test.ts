/**
 * docs/library.md against what it describes: its example is examples/library/run-tests.mjs word for
 * word (test/e2e/library runs that file), and every name the package exports (src/index.ts) is in it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as api from "./index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (file: string) => readFile(path.join(root, file), "utf8");

test("docs/library.md's example is examples/library/run-tests.mjs, verbatim", async () => {
  const [doc, example] = await Promise.all([read("docs/library.md"), read("examples/library/run-tests.mjs")]);
  const block = /<!-- examples\/library\/run-tests\.mjs -->\n```js\n([\s\S]*?)```\n/.exec(doc)?.[1];
  assert.ok(block !== undefined, "docs/library.md has a ```js block right after <!-- examples/library/run-tests.mjs -->");
  assert.equal(block, example, "copy examples/library/run-tests.mjs into docs/library.md's example block (or the other way round)");
});

test("docs/library.md names everything src/index.ts exports", async () => {
  const [doc, index] = await Promise.all([read("docs/library.md"), read("src/index.ts")]);
  const exported = [...index.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].flatMap((m) =>
    m[1]!
      .split(",")
      .map((name) => name.trim().replace(/^type /, ""))
      .filter(Boolean),
  );
  // The parse sees every runtime export too (a renamed or starred export would slip past it).
  for (const name of Object.keys(api)) assert.ok(exported.includes(name), `${name} is exported by src/index.ts in a form this test reads`);
  const missing = exported.filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, [], "docs/library.md's list of exports is missing these");
});
