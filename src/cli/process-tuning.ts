/**
 * Process-wide settings of the CLI, imported first by main.ts (before anything compiles
 * WebAssembly). Only the CLI sets them: a program using Slipway as a library keeps its own.
 *
 * `--liftoff-only`: undici parses HTTP with llhttp compiled to WebAssembly. V8 starts it on its
 * baseline compiler (Liftoff) and re-compiles hot functions with TurboFan in the background; at
 * exit the process then waits for that background compilation to finish — 170–220 ms after the
 * last request on these machines, more than a whole `slipway compose ps` takes (measured
 * 2026-11-23: exit 0.17–0.22 s after the engine closed; with the flag, 2–3 ms). The engine's
 * answers are small and parsing them on baseline code costs nothing measurable.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--liftoff-only");
