import { readFileSync } from "node:fs";

/** Set by the bundler (scripts/bundle-cli.mjs) in the published CLI; absent when run from sources. */
declare const __SLIPWAY_VERSION__: string | undefined;

/** The package version: baked into the bundle, or read from package.json two levels above src/cli. */
export function slipwayVersion(): string {
  if (typeof __SLIPWAY_VERSION__ === "string") return __SLIPWAY_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
