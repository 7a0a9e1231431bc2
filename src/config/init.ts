/**
 * `slipway init`: a commented starter slipway.yml for a repository that has a Dockerfile and a
 * compose file. It guesses from the files (which compose file is for tests, which service runs
 * them) and says so in comments; the result always validates against the schema.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { SlipwayError } from "../errors/index.ts";
import { normalizeProjectName } from "../compose/load/index.ts";
import { parseYaml } from "../yaml/parse.ts";

export interface InitGuess {
  name: string;
  testCompose: string;
  testService: string;
  releaseCompose?: string;
  dockerfile: string;
}

const COMPOSE = /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/;

export async function guessProject(dir: string): Promise<InitGuess> {
  const files = await readdir(dir);
  const dockerfile = files.find((f) => f === "Dockerfile") ?? files.find((f) => /^Dockerfile/.test(f));
  const composeFiles = files.filter((f) => COMPOSE.test(f)).sort();
  if (!dockerfile || composeFiles.length === 0) {
    throw new SlipwayError(`slipway init needs a Dockerfile and a compose file in ${dir}`, {
      code: "INIT_NOTHING_TO_GUESS",
      kind: "config",
      hint: "Add them first, or write slipway.yml by hand (docs/config.md).",
    });
  }
  const testCompose = composeFiles.find((f) => /test/.test(f)) ?? composeFiles[0]!;
  const releaseCompose = composeFiles.find((f) => /release|prod/.test(f));
  // Parsed as the loader parses (a broken file is a config error with its position, exit 3).
  const composePath = path.join(dir, testCompose);
  const servicesNode = parseYaml(await readFile(composePath, "utf8"), composePath).entries.find((e) => e.key === "services")?.value;
  const services = servicesNode?.kind === "map" ? servicesNode.entries.map((e) => e.key) : [];
  const testService = services.find((s) => /test/.test(s)) ?? services[0] ?? "test";
  return { name: normalizeProjectName(path.basename(dir)) || "app", testCompose, testService, dockerfile, ...(releaseCompose ? { releaseCompose } : {}) };
}

export function starterConfig(g: InitGuess): string {
  return `# Slipway pipeline (docs/config.md describes every key).
# Written by \`slipway init\` from what it found here; check the guesses marked "guessed".

# Prefix of the unique compose project names of each run (two runs never collide).
name: ${g.name}

environments:
  # \`slipway test\`: build the images of this compose file, bring it up under a unique project
  # name, wait for the test service's dependencies to be ready, run it, copy its reports out
  # (also when it fails), tear everything down. Its exit code is the verdict.
  test:
    compose: [${g.testCompose}]   # guessed
    service: ${g.testService}              # guessed: the service that runs the tests
    # Where the tests write JUnit XML inside the container (copied out to reports/test/).
    reports:
      - path: /app/reports
        required: false             # set to true once your tests write reports there
    timeout: 10m
${g.releaseCompose ? `
  # The release environment, for the acceptance stage (coming with \`slipway ci\`).
  release:
    compose: [${g.releaseCompose}]   # guessed
` : ""}
# Images the pipeline builds and publishes (used by the build and publish stages).
images:
  app:
    build:
      context: .
      dockerfile: ${g.dockerfile}

# Where images that passed are published; \`slipway doctor\` checks it answers.
# registry: registry.example.com

history:
  keep: 20   # runs kept under .slipway/runs/
`;
}
