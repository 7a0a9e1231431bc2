// The published CLI as one CommonJS bundle (dist/bin/slipway.cjs) with its dependencies inside,
// started by a small loader (dist/bin/slipway.js, package.json's bin) that uses V8's code cache.
// Why: start-up. Resolving and evaluating node_modules file by file cost `slipway --version`
// 0.45–0.5 s against 0.16–0.19 s for one bundle (bare node: 0.08–0.12 s), measured 2026-11-23;
// compiling that bundle was then the largest part left, which the code cache removes
// (src/cli/loader.ts).
//
//   node scripts/bundle-cli.mjs [--outdir DIR]     (part of `npm run build`; default dist/bin)
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWithCodeCache } from "./bundle.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : path.join(root, "dist/bin");
await rm(outdir, { recursive: true, force: true });

const result = await bundleWithCodeCache({
  entry: path.join(root, "src/cli/main.ts"),
  outdir,
  name: "slipway",
  loader: "slipway.js",
  define: { __SLIPWAY_VERSION__: JSON.stringify(version) },
  legalComments: "linked",
});
if (result.outputs.length !== 2) {
  // slipway.cjs and its legal comments: a dynamic import() would have made a chunk CommonJS cannot load.
  console.error(`the CLI bundle is not one file: ${result.outputs.join(", ")}; import statically`);
  await rm(outdir, { recursive: true, force: true });
  process.exit(1);
}
console.log(`${path.relative(process.cwd(), path.join(outdir, "slipway.js"))} ${version}`);
