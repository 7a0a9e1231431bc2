/**
 * The images a Dockerfile needs from outside: its FROM bases (not its own stages, not scratch),
 * images named by `COPY --from=`, and the frontend a `# syntax=` directive names. Variables in a
 * FROM are resolved from the build's args and the global ARG defaults, as the builder does;
 * a reference that still holds a variable is left out (the builder will say what is wrong).
 */
export function baseImages(dockerfile: string, args: Record<string, string> = {}): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  const add = (ref: string) => {
    if (ref.toLowerCase() === "scratch" || stages.has(ref.toLowerCase()) || ref.includes("$") || out.includes(ref)) return;
    out.push(ref);
  };
  const frontend = syntaxDirective(dockerfile);
  if (frontend) add(frontend);
  const globals: Record<string, string> = {};
  let seenFrom = false;
  const joined = dockerfile.replace(/\\\r?\n/g, " ");
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/i.exec(line);
    if (arg && !seenFrom) {
      const value = args[arg[1]!] ?? (arg[2] !== undefined ? arg[2].replace(/^(["'])(.*)\1$/, "$2") : undefined);
      if (value !== undefined) globals[arg[1]!] = value;
      continue;
    }
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      seenFrom = true;
      add(substitute(from[1]!, globals));
      if (from[2]) stages.add(from[2].toLowerCase());
      continue;
    }
    const copy = /^COPY\s+(?:--\S+\s+)*?--from=(\S+)/i.exec(line);
    // A stage's name or index is not an image.
    if (copy && !/^\d+$/.test(copy[1]!)) add(copy[1]!);
  }
  return out;
}

/** `$NAME` and `${NAME}` (and `${NAME:-default}`) from the known values; unknown ones stay. */
function substitute(ref: string, values: Record<string, string>): string {
  return ref.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = values[name];
    if (value !== undefined && value !== "") return value;
    return fallback ?? whole;
  });
}

/** The frontend image a `# syntax=` parser directive names (directives come first; any other line ends them). */
export function syntaxDirective(dockerfile: string): string | undefined {
  for (const raw of dockerfile.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^#\s*syntax\s*=\s*(\S+)$/i.exec(line);
    if (m) return m[1];
    if (!/^#\s*\w+\s*=/.test(line)) return undefined;
  }
  return undefined;
}
