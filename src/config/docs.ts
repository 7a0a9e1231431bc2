import { renderDocs, type AnyField, type ObjectType } from "./schema-dsl.ts";
import { pipelineSchema } from "./pipeline-schema.ts";

export function renderPipelineDocs(): string {
  return renderDocs(
    pipelineSchema as unknown as ObjectType<Record<string, AnyField>>,
    "slipway.yml reference",
    "Generated from `src/config/pipeline-schema.ts` by `npm run docs`; do not edit by hand. Unknown keys are errors (with a did-you-mean); keys starting with `x-` are ignored, for your own anchors.",
  );
}
