/**
 * Process-wide settings of the CLI, imported first by main.ts (before anything compiles
 * WebAssembly). Only the CLI sets them: a program using Slipway as a library keeps its own.
 *
 * `--liftoff-only`: undici parses HTTP with llhttp compiled to WebAssembly. V8 starts it on its
 * baseline compiler (Liftoff) and re-compiles hot functions with TurboFan in the background; at
 * exit the process then waits for that background compilation to finish — 170–220 ms after the
 * last request on these machines, more than a whole `slipway compose ps` takes (measured
 * 2026-11-23: exit 0.17–0.22 s after the engine closed; with the flag, 2–3 ms). llhttp only
 * frames the HTTP messages (headers, chunk sizes); bodies — logs, build output, archives — pass
 * through it as spans, so its baseline code costs nothing measurable next to the engine.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--liftoff-only");
