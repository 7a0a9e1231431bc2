// Bundles an entry the way Slipway's CLI is published (scripts/bundle-cli.mjs): one CommonJS file
// with its dependencies inside (NAME.cjs), started by src/cli/loader.ts (LOADER) with V8's code
// cache; node 20 has no code cache for ES modules. The benches bundle their child processes with
// it too, so that those start as the CLI does.
import { createHash } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function bundleWithCodeCache({ entry, outdir, name, loader, define = {}, external = [], legalComments = "none" }) {
  const { build } = await import("esbuild");
  const bundleFile = `${name}.cjs`;
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: path.join(outdir, bundleFile),
    // The loader passes the bundle's URL in: CommonJS has no import.meta.
    define: { ...define, "import.meta.url": "__slipway_import_meta_url" },
    external,
    legalComments,
    logLevel: "warning",
    metafile: true,
  });
  // An entry's #! line would be a syntax error inside the loader's function wrapper.
  const bundled = Buffer.from((await readFile(path.join(outdir, bundleFile), "utf8")).replace(/^#![^\n]*\n/, ""));
  await writeFile(path.join(outdir, bundleFile), bundled);
  const loaderPath = path.join(outdir, loader);
  await build({
    entryPoints: [path.join(root, "src/cli/loader.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: loaderPath,
    banner: { js: "#!/usr/bin/env node" },
    define: {
      __SLIPWAY_BUNDLE_FILE__: JSON.stringify(bundleFile),
      __SLIPWAY_BUNDLE_HASH__: JSON.stringify(createHash("sha256").update(bundled).digest("hex")),
    },
    logLevel: "warning",
  });
  await chmod(loaderPath, 0o755);
  return { loader: loaderPath, outputs: Object.keys(result.metafile.outputs) };
}
