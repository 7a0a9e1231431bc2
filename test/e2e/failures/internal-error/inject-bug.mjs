// Preloaded into the CLI's process (`node --import`): simulates a bug inside a run without any
// test hook in Slipway itself. When SLIPWAY_E2E_INJECT_BUG is set, node:crypto's randomBytes throws
// a TypeError when called from composeRun (naming the test service's one-off container, after the
// environment came up); every other caller is served as usual. syncBuiltinESMExports() makes the
// patched function what ESM importers of node:crypto (the bundle) see.
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";

if (process.env.SLIPWAY_E2E_INJECT_BUG) {
  const randomBytes = crypto.randomBytes;
  crypto.randomBytes = function patchedRandomBytes(...args) {
    if (new Error().stack?.includes("composeRun")) throw new TypeError("injected bug");
    return randomBytes.apply(this, args);
  };
  syncBuiltinESMExports();
}
