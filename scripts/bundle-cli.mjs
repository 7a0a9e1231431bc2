// The published CLI as one ESM bundle (dist/bin/slipway.js) with its dependencies inside, split so
// that what a command does not use can load only when needed (a dynamic import() becomes a chunk).
// Why: start-up. Resolving and evaluating node_modules file by file cost `slipway --version`
// 0.45–0.5 s against 0.16–0.19 s for this bundle (bare node: 0.08–0.12 s), measured 2026-11-23.
//
//   node scripts/bundle-cli.mjs [--outdir DIR]     (part of `npm run build`; default dist/bin)
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : path.join(root, "dist/bin");
await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { slipway: path.join(root, "src/cli/main.ts") },
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  define: { __SLIPWAY_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies (undici) call require() for node's own modules.
  banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
  legalComments: "linked",
  logLevel: "warning",
  metafile: true,
});

// With code splitting, a dynamic import() of a CommonJS module (undici, …) yields a namespace with
// only `default`: its named exports are undefined in the bundle, though they work from the sources
// (https://github.com/evanw/esbuild/issues/3245; it broke `slipway doctor`'s registry check once).
// Refuse to publish such a bundle; import the module statically instead.
const { inputs, outputs } = result.metafile;
for (const [file, output] of Object.entries(outputs)) {
  for (const target of output.imports.filter((i) => i.kind === "dynamic-import")) {
    const entry = outputs[target.path]?.entryPoint;
    if (entry && inputs[entry]?.format === "cjs") {
      console.error(`${file}: import() of the CommonJS module ${entry} loses its named exports in a split bundle; import it statically`);
      process.exitCode = 1;
    }
  }
}
if (process.exitCode) {
  await rm(outdir, { recursive: true, force: true });
  process.exit();
}
console.log(`${path.relative(process.cwd(), path.join(outdir, "slipway.js"))} ${version}`);
