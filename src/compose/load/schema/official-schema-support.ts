/**
 * Test support: locating and reading the official compose-spec JSON schema kept beside the
 * project (../shared/reference). Never used at run time; the project does not ship it.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * SLIPWAY_REFERENCE_DIR when set; else <repo>/../shared/reference (the checkout beside the shared
 * folder); else /work/shared/reference, where these machines keep it (CI clones elsewhere).
 */
const candidates = [
  ...(process.env["SLIPWAY_REFERENCE_DIR"] ? [path.join(process.env["SLIPWAY_REFERENCE_DIR"], "compose-spec.json")] : []),
  path.resolve(here, "../../../../../shared/reference/compose-spec.json"),
  "/work/shared/reference/compose-spec.json",
];
export const OFFICIAL_SCHEMA = candidates.find((c) => existsSync(c)) ?? candidates[0]!;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };
export const isJsonObject = (j: unknown): j is JsonObject => j !== null && typeof j === "object" && !Array.isArray(j);

/** Follows `$ref` (local `#/...` pointers only, which is all that schema uses). */
export function deref(root: JsonObject, node: JsonObject): JsonObject {
  let n = node;
  while (typeof n["$ref"] === "string") {
    const parts = n["$ref"].replace(/^#\//, "").split("/");
    let target: Json | undefined = root;
    for (const p of parts) target = isJsonObject(target) ? target[p] : undefined;
    if (!isJsonObject(target)) throw new Error(`unresolvable $ref ${n["$ref"]}`);
    n = target;
  }
  return n;
}
