import { access, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { guessProject, starterConfig, type EnvironmentGuess, type InitGuess } from "../../config/init.ts";
import { SlipwayError } from "../../errors/index.ts";
import type { CliIo } from "../io.ts";

function environmentLine(key: string, env: EnvironmentGuess): string {
  const reports = env.reports.length > 0 ? `, reports ${env.reports.map((r) => r.value).join(" ")}` : "";
  return `  ${key.padEnd(10)}${env.compose.join(" + ")}${env.service ? `, service ${env.service.value}` : ""}${reports}`;
}

/** What init found, in a few lines: the file itself says why. */
export function initSummary(file: string, g: InitGuess): string {
  const lines = [`wrote ${file}:`];
  if (g.test) lines.push(environmentLine("test", g.test));
  if (g.release) lines.push(environmentLine("release", g.release));
  if (g.build) lines.push(environmentLine("build", g.build));
  if (g.image) lines.push(`  ${"image".padEnd(10)}${g.image.key} from ${g.image.context}${g.image.dockerfile ? ` (${g.image.dockerfile})` : ""}${g.image.target ? `, target ${g.image.target}` : ""}`);
  const later = [
    ...(g.builder ? [`build: ${g.builder.service.value} writes ${g.builder.artifacts.value}${g.builder.to ? ` → ${g.builder.to.value}` : ""}`] : []),
    ...(g.bootstrap.length > 0 ? [`bootstrap: ${g.bootstrap.map((b) => b.value).join(", ")}`] : []),
    ...(g.release?.service ? [`acceptance: ${g.release.service.value}`] : []),
  ];
  if (later.length > 0) lines.push(`  ${"stages".padEnd(10)}${later.join("; ")}`);
  for (const n of g.notes) lines.push(`  note: ${n}`);
  lines.push("Check the lines marked \"guessed\", then run `slipway doctor` and `slipway test`; `slipway help config` prints every key.");
  return `${lines.join("\n")}\n`;
}

export function initCommand(io: CliIo): Command {
  return new Command("init")
    .description("write a commented starter slipway.yml from the compose files found in the repository")
    .option("--force", "overwrite an existing slipway.yml")
    .action(async (o: { force?: boolean }) => {
      const file = path.join(io.cwd, "slipway.yml");
      const exists = await access(file).then(() => true, () => false);
      if (exists && !o.force) {
        throw new SlipwayError(`${file} already exists`, { code: "INIT_EXISTS", kind: "config", hint: "Pass --force to overwrite it." });
      }
      const guess = await guessProject(io.cwd);
      await writeFile(file, starterConfig(guess));
      io.stdout.write(initSummary(file, guess));
    });
}
