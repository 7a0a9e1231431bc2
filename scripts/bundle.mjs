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
    plugins: [lazyUndiciHttp2],
  });
  // An entry's #! line would be a syntax error inside the loader's function wrapper.
  const bundled = Buffer.from(asciiOnly((await readFile(path.join(outdir, bundleFile), "utf8")).replace(/^#![^\n]*\n/, "")), "latin1");
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

/**
 * undici's client requires its HTTP/2 client when it loads, and that requires node:http2, which
 * loads node:tls, for a protocol Slipway never asks for (no `allowH2`: a connection never
 * negotiates h2). Here the HTTP/2 client is required when a connection first needs it. With the
 * sources' own node:http2 and node:tls loaded where they are used, evaluating the bundle for
 * `slipway --version` took 77 ms instead of 95.5 (medians of 30 runs at load 5–6, 2026-12-06).
 * The line is undici's, pinned by package.json; when it changes the build fails, so that this is
 * looked at again rather than silently lost.
 */
const lazyUndiciHttp2 = {
  name: "lazy-undici-http2",
  setup(build) {
    build.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const eager = "const connectH2 = require('./client-h2.js')";
      if (!source.includes(eager)) throw new Error(`${args.path} no longer has \`${eager}\`: review lazyUndiciHttp2 in scripts/bundle.mjs`);
      return { contents: source.replace(eager, "const connectH2 = (client, socket) => require('./client-h2.js')(client, socket)"), loader: "js", resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * The bundle as ASCII: every other character as a \uXXXX escape. esbuild escapes strings and
 * templates but leaves comments in class bodies and regular-expression literals as written (an
 * em dash in a doc comment, `µs` in a duration pattern): a few of them made the loader decode the
 * whole 2 MB file as UTF-8 into a two-byte string. An ASCII file is read as Latin-1 instead, into
 * a one-byte string: reading it took 4.6 ms instead of 11.7, compiling it from the code cache 9.9
 * instead of 14.5, and the process peaked 4 MB lower (`slipway --version`, medians of 20 runs at
 * load 5–8, 2026-12-06). In a comment, a regular expression or an identifier, the escape means
 * the character itself; after a backslash it would not (`\µ` in a pattern): that fails the build.
 */
export function asciiOnly(code) {
  return code.replace(/[^\x00-\x7f]/g, (ch, at) => {
    let slashes = 0;
    while (code[at - 1 - slashes] === "\\") slashes++;
    if (slashes % 2 === 1) throw new Error(`bundle: a non-ASCII character after a backslash at offset ${at} (${JSON.stringify(code.slice(Math.max(0, at - 40), at + 10))}): write it as \\u${ch.charCodeAt(0).toString(16).padStart(4, "0")} in the source`);
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

