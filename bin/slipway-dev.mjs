#!/usr/bin/env node
// Runs Slipway from its TypeScript sources (for development, tests and the demo); the published
// bin is the bundle dist/bin/slipway.js (npm run build).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
