/**
 * Engine 20.10's built-in Dockerfile frontend (the legacy builder, which is what `POST /build`
 * uses without a BuildKit session) cannot parse heredocs, `FROM --platform=` or `RUN --mount`.
 * Left to the engine, such a file fails with a message that names neither the file nor the
 * line; we find it first and say both.
 */
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

export function legacyBuilderProblems(text: string): DockerfileProblem[] {
  const problems: DockerfileProblem[] = [];
  for (const { line, text: instr } of instructions(text)) {
    const [keyword = "", ...rest] = instr.split(/\s+/);
    const upper = keyword.toUpperCase();
    const args = rest.join(" ");
    if (upper === "FROM" && /(^|\s)--platform[=\s]/.test(args)) {
      problems.push({ line, message: "FROM --platform is not supported by this engine's builder" });
    }
    if (upper === "RUN" && /(^|\s)--(mount|network|security)[=\s]/.test(args)) {
      problems.push({ line, message: `RUN ${args.match(/--(mount|network|security)/)![0]} needs BuildKit, which this engine's builder is not` });
    }
    if ((upper === "RUN" || upper === "COPY" || upper === "ADD") && /<<-?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?/.test(args)) {
      problems.push({ line, message: `${upper} with a heredoc (<<) is not supported by this engine's builder` });
    }
  }
  return problems;
}
