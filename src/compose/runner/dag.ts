/**
 * Runs operations in dependency order, each as soon as its dependencies are done, in parallel
 * otherwise. Fails fast: on the first failure no new operation starts, the ones in flight are
 * aborted through their signal, and the first error is thrown once they have settled.
 */
import { setMaxListeners } from "node:events";
import { CancelledError } from "../../errors/index.ts";

export interface DagNode {
  id: string;
  deps: string[];
}

export async function runDag<N extends DagNode>(
  nodes: N[],
  run: (node: N, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
  concurrency = Infinity,
): Promise<void> {
  const ids = new Set(nodes.map((n) => n.id));
  const remaining = new Map(nodes.map((n) => [n.id, n.deps.filter((d) => ids.has(d)).length]));
  const dependents = new Map<string, N[]>();
  for (const n of nodes) for (const d of n.deps) if (ids.has(d)) dependents.set(d, [...(dependents.get(d) ?? []), n]);

  const controller = new AbortController();
  const combined = AbortSignal.any([signal, controller.signal]);
  // Every in-flight request listens on it: many at once is normal, not a leak.
  setMaxListeners(0, combined);
  let firstError: unknown;
  let running = 0;
  let finished = 0;
  const queue: N[] = nodes.filter((n) => remaining.get(n.id) === 0);
  if (queue.length === 0 && nodes.length > 0) throw new Error("dependency cycle in plan");

  await new Promise<void>((resolve) => {
    const pump = () => {
      if (firstError === undefined && signal.aborted) firstError = new CancelledError();
      if (firstError !== undefined) {
        if (running === 0) resolve();
        return;
      }
      while (queue.length && running < concurrency) {
        const node = queue.shift()!;
        running += 1;
        run(node, combined).then(
          () => {
            running -= 1;
            finished += 1;
            for (const next of dependents.get(node.id) ?? []) {
              const left = remaining.get(next.id)! - 1;
              remaining.set(next.id, left);
              if (left === 0) queue.push(next);
            }
            pump();
          },
          (err: unknown) => {
            running -= 1;
            finished += 1;
            if (firstError === undefined) {
              firstError = err;
              controller.abort();
            }
            pump();
          },
        );
      }
      if (running === 0 && (queue.length === 0 || firstError !== undefined)) {
        if (finished < nodes.length && firstError === undefined && queue.length === 0) {
          firstError = new Error("dependency cycle in plan");
        }
        resolve();
      }
    };
    signal.addEventListener("abort", pump, { once: true });
    pump();
  });
  if (firstError !== undefined) throw firstError;
}
