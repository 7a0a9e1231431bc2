/**
 * `slipway tag`, `slipway buildtag` and `slipway publish`: the tag and publish stages on their
 * own, as runs of their own (one evidence folder, one verdict, one record), taking the images the
 * newest run accepted for the checkout's commit (src/stages/accepted-images.ts).
 */
import { Command } from "commander";
import type { CliIo } from "../io.ts";
import { runPipelineCommand, withRunOptions, type OutputFlags } from "./pipeline-run.ts";

export function tagCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return withRunOptions(
    new Command("tag")
      .description("tag the accepted release images (by image ID) with the tag plan's tags, or with TAG…")
      .argument("[tags...]", "these tags instead of the plan's (`slipway tags` prints the plan)"),
  ).action(async (tags: string[], o: OutputFlags) => {
    const result = await runPipelineCommand(io, signal, o, () => ({ stages: ["tag"], command: "tag", ...(tags.length ? { tag: { explicit: tags } } : {}) }));
    setExit(result.verdict.exitCode);
  });
}

export function buildtagCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return withRunOptions(new Command("buildtag").description("tag the accepted release images with the plan's build tags (`tags.build`) only")).action(async (o: OutputFlags) => {
    const result = await runPipelineCommand(io, signal, o, () => ({ stages: ["tag"], command: "buildtag", tag: { buildOnly: true } }));
    setExit(result.verdict.exitCode);
  });
}

export function publishCommand(io: CliIo, signal: AbortSignal, setExit: (code: number) => void): Command {
  return withRunOptions(
    new Command("publish")
      .description("publish the accepted release images to slipway.yml's registry under the tag plan's tags")
      .option("--dry-run", "print every tag with what it points at now and what would happen to it; push nothing")
      .option("--force", "point exact version and build tags that name another image at this one")
      .option("--allow-dirty", "publish images built from a work tree with uncommitted changes")
      .option("--image <name...>", "only these images (keys of slipway.yml's `images:`)"),
  ).action(async (o: OutputFlags & { dryRun?: boolean; force?: boolean; allowDirty?: boolean; image?: string[] }) => {
    const result = await runPipelineCommand(io, signal, o, () => ({
      stages: ["publish"],
      command: o.dryRun ? "publish --dry-run" : "publish",
      publish: { ...(o.dryRun ? { dryRun: true } : {}), ...(o.force ? { force: true } : {}), ...(o.allowDirty ? { allowDirty: true } : {}), ...(o.image ? { images: o.image } : {}) },
    }));
    setExit(result.verdict.exitCode);
  });
}
