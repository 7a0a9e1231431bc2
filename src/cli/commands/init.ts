import { access, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { guessProject, starterConfig } from "../../config/init.ts";
import { SlipwayError } from "../../errors/index.ts";
import type { CliIo } from "../io.ts";

export function initCommand(io: CliIo): Command {
  return new Command("init")
    .description("write a commented starter slipway.yml for a repository with a Dockerfile and a compose file")
    .option("--force", "overwrite an existing slipway.yml")
    .action(async (o: { force?: boolean }) => {
      const file = path.join(io.cwd, "slipway.yml");
      const exists = await access(file).then(() => true, () => false);
      if (exists && !o.force) {
        throw new SlipwayError(`${file} already exists`, { code: "INIT_EXISTS", kind: "config", hint: "Pass --force to overwrite it." });
      }
      const guess = await guessProject(io.cwd);
      await writeFile(file, starterConfig(guess));
      io.stdout.write(`wrote ${file} (test: ${guess.testCompose}, service ${guess.testService}); check the guesses, then run \`slipway test\`\n`);
    });
}
