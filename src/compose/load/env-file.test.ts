import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRawEnvFile } from "./env-file.ts";

test("env_file format raw: values as written, no quotes removed, no interpolation", () => {
  assert.deepEqual(parseRawEnvFile('# c\nA="quoted"\nB=${NOT_EXPANDED}\n\nC = spaced value \nbare\n'), { A: '"quoted"', B: "${NOT_EXPANDED}", C: " spaced value " });
});
