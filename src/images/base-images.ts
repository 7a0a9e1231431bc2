/** The base images a Dockerfile builds FROM (not its own stages, not scratch, not ARG-dependent). */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  const joined = dockerfile.replace(/\\\r?\n/g, " ");
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!m) continue;
    const ref = m[1]!;
    if (m[2]) stages.add(m[2].toLowerCase());
    if (ref.toLowerCase() === "scratch" || stages.has(ref.toLowerCase()) || ref.includes("$")) continue;
    if (!out.includes(ref)) out.push(ref);
  }
  return out;
}
