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
 *
 * `--semi-space-growth-factor=1`: V8 doubles its young generation (up to 16 MB semi-spaces, three
 * of them) whenever enough objects survived its collections, which any long steady stream of
 * work does: sending a 2 GB build context, which keeps about 5 MB alive, grew the heap from 20
 * to 44 MB and the process to 93 MB for nothing (measured 2026-12-05 on packing alone, 20,000
 * files: peak RSS 92.5 → 74.4 MB, heap 43.9 → 20.1 MB, CPU time unchanged: 1.31 and 1.34 s). The
 * growth factor is read when the young generation would grow, so setting it here takes effect;
 * the semi-space size flags are read only when the heap is made, before any code runs.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--liftoff-only");
setFlagsFromString("--semi-space-growth-factor=1");
