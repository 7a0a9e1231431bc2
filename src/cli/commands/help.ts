/**
 * `slipway help [command|topic]`: a command's help, or a topic that is no command. `config` is the
 * slipway.yml reference, rendered from the schema when asked (src/config/docs.ts), so the published
 * bundle carries it with no repository files; docs/config.md is the same text, for the repository's
 * readers.
 */
import { Command } from "commander";
import { renderPipelineDocs } from "../../config/docs.ts";
import { SlipwayError } from "../../errors/index.ts";
import type { CliIo } from "../io.ts";

export const HELP_TOPICS: Readonly<Record<string, { summary: string; render: () => string }>> = {
  config: { summary: "the slipway.yml reference: every key, its type, default and meaning", render: renderPipelineDocs },
};

/** The lines `slipway --help` and `slipway help` end with. */
export function topicsHelp(): string {
  const width = Math.max(...Object.keys(HELP_TOPICS).map((t) => t.length)) + 2;
  return `\nTopics:\n${Object.entries(HELP_TOPICS).map(([name, t]) => `  slipway help ${name.padEnd(width)}${t.summary}`).join("\n")}\n`;
}

/** Replaces commander's own help command, which knows commands only. */
export function helpCommand(io: CliIo, program: Command): Command {
  return new Command("help")
    .argument("[topic]", `a command, or ${Object.keys(HELP_TOPICS).join(", ")}`)
    .description("show a command's help, or a topic: `slipway help config` prints the slipway.yml reference")
    .action((topic: string | undefined) => {
      if (topic === undefined) {
        program.outputHelp();
        return;
      }
      const page = HELP_TOPICS[topic];
      if (page) {
        io.stdout.write(page.render());
        return;
      }
      const command = program.commands.find((c) => c.name() === topic || c.aliases().includes(topic));
      if (command) {
        io.stdout.write(command.helpInformation());
        return;
      }
      const known = [...program.commands.map((c) => c.name()), ...Object.keys(HELP_TOPICS)].sort();
      throw new SlipwayError(`no command or help topic named ${topic}`, { code: "USAGE", kind: "usage", hint: `Known: ${known.join(", ")}.` });
    });
}
