export function bundleWithCodeCache(opts: {
  entry: string;
  outdir: string;
  /** The bundle is NAME.cjs. */
  name: string;
  /** The loader's file name in outdir (what is run). */
  loader: string;
  define?: Record<string, string>;
  external?: string[];
  legalComments?: "none" | "linked";
}): Promise<{ loader: string; outputs: string[] }>;
