/**
 * Which stages a run runs, in which order, and what may overlap: pure, so the order, the slices
 * (`--from`/`--until`) and what is skipped after a failure are tested without an engine.
 *
 * The workflow's order is fixed (test → build → release → acceptance → tag → publish → deploy); a
 * pipeline runs the stages it has, a slice of them. A stage's preparation (an image build that
 * needs nothing from the stages before it) may start before its turn: at the start of the run, or
 * once the stage it needs has passed. A stage itself runs only after every stage before it passed.
 */
import { SlipwayError } from "../errors/index.ts";
import { STAGE_NAMES, type StageName } from "../stages/stage.ts";

export interface PlannedStage {
  name: StageName;
  /** When its preparation may start: with the run (undefined), or once this stage has passed. */
  prepareAfter?: StageName;
}

export interface StagePlan {
  stages: PlannedStage[];
  /** The pipeline's stages outside the slice, with why. */
  outside: { name: StageName; reason: string }[];
}

export interface SliceOptions {
  from?: StageName;
  until?: StageName;
}

const order = (name: StageName) => STAGE_NAMES.indexOf(name);

/**
 * `available`: the stages the pipeline has, each with the stage its preparation needs (if any).
 * A preparation that needs a stage outside the slice starts with the run: that stage's output is
 * taken as it is (a slice starts from what earlier runs left).
 */
export function planStages(available: readonly { name: StageName; prepareAfter?: StageName }[], slice: SliceOptions = {}): StagePlan {
  const sorted = [...available].sort((a, b) => order(a.name) - order(b.name));
  const names = sorted.map((s) => s.name);
  for (const [flag, value] of [["--from", slice.from], ["--until", slice.until]] as const) {
    if (value !== undefined && !names.includes(value)) {
      throw new SlipwayError(`${flag} ${value}: this pipeline has no ${value} stage`, { code: "NO_SUCH_STAGE", kind: "usage", hint: `Its stages: ${names.join(", ") || "none"}.` });
    }
  }
  const from = slice.from === undefined ? 0 : order(slice.from);
  const until = slice.until === undefined ? Infinity : order(slice.until);
  if (from > until) {
    throw new SlipwayError(`--from ${slice.from} comes after --until ${slice.until}`, { code: "EMPTY_SLICE", kind: "usage", hint: `The order is ${STAGE_NAMES.join(" → ")}.` });
  }
  const inside = (name: StageName) => order(name) >= from && order(name) <= until;
  const stages = sorted.filter((s) => inside(s.name)).map((s) => (s.prepareAfter !== undefined && inside(s.prepareAfter) && names.includes(s.prepareAfter) ? { name: s.name, prepareAfter: s.prepareAfter } : { name: s.name }));
  const outside = sorted.filter((s) => !inside(s.name)).map((s) => ({ name: s.name, reason: order(s.name) < from ? `before --from ${slice.from}` : `after --until ${slice.until}` }));
  return { stages, outside };
}

/** The stages a failure leaves unrun: every stage after the one that did not pass. */
export function skippedAfter(plan: StagePlan, failed: StageName): { name: StageName; reason: string }[] {
  const at = plan.stages.findIndex((s) => s.name === failed);
  return plan.stages.slice(at + 1).map((s) => ({ name: s.name, reason: `${failed} did not pass` }));
}

/** The preparations that may start once `passed` has passed (or, with undefined, at the start of the run). */
export function preparationsAfter(plan: StagePlan, passed: StageName | undefined): StageName[] {
  return plan.stages.filter((s) => s.prepareAfter === passed).map((s) => s.name);
}
