/**
 * What the engine's builder cannot build, found before the build with the file and the line.
 * Left to the engine, such a file fails with a message that names neither (or, for a heredoc
 * on an old frontend, with an "unknown instruction" on the line after it).
 *
 * - The classic builder: no heredocs, no `FROM --platform=`, no `RUN --mount/--network/--security`.
 * - BuildKit: no ssh mounts (Slipway forwards no ssh agent; secret mounts come through its session).
 *   Engines before 23.0 (API 1.42) carry a Dockerfile frontend before 1.4: no heredocs, no
 *   `RUN --network/--security` (unless a `# syntax=` directive brings a newer one).
 */
import { syntaxDirective } from "./base-images.ts";

export interface BuilderFeatures {
  buildkit: boolean;
  /** BuildKit's Dockerfile frontend 1.4 or newer (heredocs, RUN --network): Engine 23.0, API 1.42. */
  modernFrontend: boolean;
}

export const CLASSIC_BUILDER: BuilderFeatures = { buildkit: false, modernFrontend: false };

export interface DockerfileProblem {
  line: number;
  message: string;
}

/** Instructions as the parser sees them: continuation lines joined, comments skipped. */
function* instructions(text: string): Generator<{ line: number; text: string }> {
  const lines = text.split(/\r?\n/);
  let start = -1;
  let buffer = "";
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (start < 0 && /^\s*#/.test(raw)) continue;
    if (start < 0) {
      if (!raw.trim()) continue;
      start = i + 1;
    }
    if (/\\\s*$/.test(raw)) {
      buffer += raw.replace(/\\\s*$/, " ");
      continue;
    }
    buffer += raw;
    yield { line: start, text: buffer.trim() };
    start = -1;
    buffer = "";
  }
  if (start >= 0) yield { line: start, text: buffer.trim() };
}

export function dockerfileProblems(text: string, builder: BuilderFeatures): DockerfileProblem[] {
  const problems: DockerfileProblem[] = [];
  // A `# syntax=` directive makes BuildKit use that frontend instead of the engine's own.
  const modern = builder.buildkit && (builder.modernFrontend || syntaxDirective(text) !== undefined);
  const which = builder.buildkit ? "this engine's BuildKit" : "this engine's classic builder";
  for (const { line, text: instr } of instructions(text)) {
    const [keyword = "", ...rest] = instr.split(/\s+/);
    const upper = keyword.toUpperCase();
    const args = rest.join(" ");
    if (upper === "FROM" && /(^|\s)--platform[=\s]/.test(args) && !builder.buildkit) {
      problems.push({ line, message: "FROM --platform is not supported by this engine's classic builder" });
    }
    if (upper === "RUN") {
      // The instruction's own flags come before its command; each is checked.
      for (const token of leadingFlags(rest)) {
        const flag = /^--(mount|network|security)(?:=|$)/.exec(token)?.[1];
        if (!flag) continue;
        const mountType = flag === "mount" ? /(?:^--mount=|,)type=(\w+)/.exec(token)?.[1] : undefined;
        if (!builder.buildkit) {
          problems.push({ line, message: `RUN --${flag} needs BuildKit, which this engine's builder is not` });
        } else if (mountType === "ssh") {
          problems.push({ line, message: "RUN --mount=type=ssh needs an ssh agent forwarded into the build, which Slipway does not do yet" });
        } else if ((flag === "network" || flag === "security") && !modern) {
          problems.push({ line, message: `RUN --${flag} is not supported by ${which} (its Dockerfile frontend is older than 1.4)` });
        }
      }
    }
    if ((upper === "RUN" || upper === "COPY" || upper === "ADD") && /<<-?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?/.test(args) && !modern) {
      problems.push({ line, message: `${upper} with a heredoc (<<) is not supported by ${which}` });
    }
  }
  return problems;
}

function leadingFlags(tokens: string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    if (!t.startsWith("--")) break;
    out.push(t);
  }
  return out;
}
