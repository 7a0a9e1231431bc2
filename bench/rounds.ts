/**
 * How the benchmarks that time whole commands turn runs into figures: command-line flags, medians,
 * per-round ratios with their spread, and phases (a run cut at marks, each phase ending where the next
 * one starts).
 */

export function flagValue(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

export function numberFlag(name: string, fallback: number): number {
  const value = Number(flagValue(name) ?? Number.NaN);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A median with its range: `1.032 [0.933–1.101]`. */
export const spread = (values: readonly number[], digits = 3) => `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;

/** Seconds with two decimals. */
export const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export interface RatioStats {
  /** Median of the per-round ratios. */
  median: number;
  min: number;
  max: number;
  /** The ratio of the two medians, which single outliers move less than a mean would. */
  ofMedians: number;
  perRound: number[];
}

/** Ratios of times measured in the same round (under the same load), then their median and spread. */
export function ratioStats(rounds: readonly { ours: number; theirs: number }[]): RatioStats {
  const perRound = rounds.map((r) => r.ours / r.theirs);
  return {
    median: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    ofMedians: median(rounds.map((r) => r.ours)) / median(rounds.map((r) => r.theirs)),
    perRound,
  };
}

export const formatRatio = (r: RatioStats) => `${r.median.toFixed(3)} [${r.min.toFixed(3)}–${r.max.toFixed(3)}], ratio of medians ${r.ofMedians.toFixed(3)}`;

/** One phase of a run: where it starts, ms since spawn; it ends where the next one starts. */
export interface Phase {
  name: string;
  startMs: number;
}

/** Durations of the phases (in start order; a phase without its mark is left out), ms. */
export function phaseDurations(phases: readonly Phase[], endMs: number): [string, number][] {
  const sorted = phases.filter((p) => Number.isFinite(p.startMs)).sort((a, b) => a.startMs - b.startMs);
  return sorted.map((p, i) => [p.name, (sorted[i + 1]?.startMs ?? endMs) - p.startMs]);
}

/**
 * Phases of a process from the lines it printed: each mark is looked for after the previous one's
 * line, so a message printed once per stage ("Pulling latest images...") marks each stage in turn.
 */
export function phasesFromLines(lines: readonly { at: number; text: string }[], first: string, marks: readonly [RegExp, string][]): Phase[] {
  const phases: Phase[] = [{ name: first, startMs: 0 }];
  let from = 0;
  for (const [pattern, name] of marks) {
    const at = lines.findIndex((l, i) => i >= from && pattern.test(l.text));
    if (at === -1) continue;
    phases.push({ name, startMs: lines[at]!.at });
    from = at + 1;
  }
  return phases;
}

/** The median of each phase over runs, in the order of the first run's phases. */
export function medianPhases(runs: readonly (readonly [string, number][])[]): [string, number][] {
  const names = [...new Set(runs.flatMap((r) => r.map(([n]) => n)))];
  return names.map((n) => [n, median(runs.map((r) => r.find(([x]) => x === n)?.[1] ?? Number.NaN).filter(Number.isFinite))]);
}
