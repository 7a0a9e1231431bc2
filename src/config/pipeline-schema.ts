/**
 * slipway.yml: the one definition its types, validation and docs/config.md come from.
 * Run `npm run docs` after changing it (a unit test fails while the docs are stale).
 */
import type { YNode } from "../yaml/node.ts";
import { boolean, duration, field, integer, list, map, object, oneOf, string, type Infer } from "./schema-dsl.ts";

const NAME = /^[a-z0-9][a-z0-9_.-]*$/;
const NAME_RULE = "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";

export const reportSchema = object("report", "Where a stage's test reports are inside the container; they are copied out through the Engine API (no bind mounts), also when the tests fail.", {
  path: field(string(), "Absolute path in the container: a file, or a folder whose files are all copied.", { required: true, example: "/app/reports" }),
  junit: field(boolean(), "Parse the copied `*.xml` files as JUnit XML into the summary.", { default: true }),
  required: field(boolean(), "Fail the run (exit code 9, verdict `reports-missing`) when nothing is found at `path`, or when a JUnit file found there cannot be read (empty, not XML, not JUnit).", { default: true }),
}, {
  // `reports: [/app/reports]` is short for `{ path: /app/reports }`.
  shorthand: (node) =>
    node.kind === "scalar" && typeof node.value === "string"
      ? { kind: "map", pos: node.pos, entries: [{ key: "path", keyPos: node.pos, value: node }] }
      : undefined,
});

export const waitSchema = object("wait", "A readiness gate: a service that must be ready (or done) before `service` runs, on top of its `depends_on`. A plain name is short for `{ service: NAME }`.", {
  service: field(string(), "The service to wait for.", { required: true, example: "db" }),
  until: field(
    oneOf("ready", "completed"),
    "`ready`: healthy when it has a healthcheck, running otherwise. `completed`: a one-shot (an \"agent\" that exits 0 once a port answers) that must exit 0 first; any other exit fails the run with its code and output, and its exit is never a dependency failure.",
    { default: "ready" as const },
  ),
}, {
  shorthand: (node) =>
    node.kind === "scalar" && typeof node.value === "string"
      ? { kind: "map", pos: node.pos, entries: [{ key: "service", keyPos: node.pos, value: node }] }
      : undefined,
});

export const environmentSchema = object("environment", "A set of compose files that a stage brings up under a unique project name, and the service whose exit code is the stage's verdict.", {
  compose: field(list(string(), { acceptSingle: true }), "Compose files, merged in order, relative to slipway.yml.", { required: true, example: "[docker-compose.test.yml]" }),
  service: field(string(), "The service that runs the tests: its container's own exit code is the verdict.", { example: "test" }),
  command: field(list(string(), { acceptSingle: true }), "Command for `service`, instead of the one in the compose file."),
  wait: field(list(waitSchema, { acceptSingle: true }), "Readiness gates of `service`, on top of its `depends_on`.", { default: [], example: "[db, { service: agent, until: completed }]" }),
  reports: field(list(reportSchema), "Test reports to copy out of `service`'s container.", { default: [] }),
  timeout: field(duration(), "How long the whole stage may take before it fails with exit code 8.", { default: 600_000, defaultText: "`10m`" }),
  ready_timeout: field(duration(), "How long dependencies may take to become ready.", { default: 180_000, defaultText: "`3m`" }),
  env: field(map(string()), "Extra environment variables for `service`.", { default: {} }),
});

export const buildSchema = object("build", "How an image is built by the engine's builder.", {
  context: field(string(), "Build context folder, relative to slipway.yml.", { default: "." }),
  dockerfile: field(string(), "Dockerfile, relative to the context.", { default: "Dockerfile" }),
  target: field(string(), "Multi-stage target."),
  args: field(map(string()), "Build arguments.", { default: {} }),
});

export const imageSchema = object("image", "An image the pipeline builds and publishes.", {
  build: field(buildSchema, "How to build it.", { required: true }),
  repository: field(string(), "Repository name in the registry.", { defaultText: "the image's key" }),
});

export const registrySchema = object("registry", "Where images that passed are published.", {
  address: field(string(), "Registry host[:port].", { required: true, example: "registry.example.com" }),
  username_env: field(string(), "Environment variable holding the user name."),
  password_env: field(string(), "Environment variable holding the password or token; its value is never printed or stored."),
}, {
  // `registry: host:port` is short for `{ address: host:port }`.
  shorthand: (node) =>
    node.kind === "scalar" && typeof node.value === "string"
      ? { kind: "map", pos: node.pos, entries: [{ key: "address", keyPos: node.pos, value: node }] }
      : undefined,
});

export const tagsSchema = object("tags", "How release images are tagged when they are published (`slipway tags` prints the plan; every tag says which rule made it). Tags only move forward: an exact version is never pointed at another image without `--force`, and `latest`, `X` and `X.Y` never move to a lower version.", {
  commit: field(oneOf("short", "full", "both", "none"), "Commit tags (seed 002): the short commit id, the full one, both, or none.", { default: "short" as const }),
  short_length: field(integer(4), "Characters of the short commit id.", { default: 7 }),
  semver: field(boolean(), "From a `vX.Y.Z` (or `X.Y.Z`) git tag on HEAD: `X.Y.Z`, `X.Y` and `X`; a prerelease (`1.2.0-rc.1`) gets only its own tag.", { default: true }),
  branch: field(boolean(), "The branch, sanitised into a valid tag (`feature/Login_v2` → `feature-login_v2`).", { default: true }),
  latest: field(boolean(), "`latest`, only from the default branch or a release (non-prerelease) version tag.", { default: true }),
  default_branch: field(string(), "The default branch, for `latest`.", { defaultText: "the CI's variables, else `origin/HEAD`, else `main`" }),
  build: field(string(), "A build tag (seed 000's BUILD_TAG_EXPRESSION), from `{version}`, `{commit}`, `{short}`, `{branch}` and `{timestamp}`; a plan without a version uses `0.0.0`.", { example: "{version}.{timestamp}" }),
  timestamp: field(string(), "The format of `{timestamp}` (UTC): `%Y %m %d %H %M %S`.", { default: "%Y%m%d%H%M%S" }),
  ci: field(boolean(), "Tags from the CI's own variables (GitHub Actions, GitLab CI): `pr-N` for a pull or merge request; the branch or tag the CI names when the checkout is detached.", { default: true }),
  extra: field(list(string(), { acceptSingle: true }), "Tags added to every publish, as written.", { default: [] }),
});

const SIZE = /^\d+(\.\d+)? ?[kmgtp]?i?b?$/i;

export const baseSchema = object("base", "A versioned base image (seed 003): built from its own Dockerfile by `slipway base build` as `REPOSITORY:base-VERSION`, where REPOSITORY is the app image's; the app image's Dockerfile takes the current base through the build argument `arg` (`ARG BASE_IMAGE` then `FROM ${BASE_IMAGE}`), which Slipway sets (see docs/base-images.md).", {
  image: field(string(), "The image of `images:` that is built on the base.", { defaultText: "the only image of `images:`" }),
  build: field(buildSchema, "How the base is built.", { required: true, example: "{ dockerfile: Dockerfile.base }" }),
  version_file: field(string(), "A file, relative to slipway.yml, whose first line is the base's version (letters, digits, `.`, `_`, `-`): the current base is that version's, and a version is built once (`slipway base build` keeps an existing one; `--force` rebuilds it). Without it, each `slipway base build` is a new version named by the UTC date (`20261206`, then `20261206.2`, …) and the current base is the newest one built. Use a version file when CI runs on machines without this checkout's `.slipway/` records: `slipway ci` then pulls the file's version from `registry` when the engine lacks it.", { example: "BASE_VERSION" }),
  arg: field(string(), "The build argument of the app image's Dockerfile that receives the current base (`REPOSITORY:base-VERSION`).", { default: "BASE_IMAGE" }),
  rebuild_after_layers: field(integer(1), "`slipway base status` suggests a new base once the app image has this many layers on top of it.", { default: 10 }),
  rebuild_after_size: field(string({ pattern: SIZE, rule: "a byte size like 200MB or 1g" }), "… or this many bytes on top of it.", { default: "200MB" }),
});

/** `prune: true` is short for `{ after_ci: true }`. */
const pruneShorthand = (node: YNode): YNode | undefined =>
  node.kind === "scalar" && typeof node.value === "boolean" ? { kind: "map", pos: node.pos, entries: [{ key: "after_ci", keyPos: node.pos, value: node }] } : undefined;

export const pruneSchema = object("prune", "What `slipway prune` keeps, and whether `slipway ci` prunes at its end (see docs/prune.md). Only images and volumes Slipway made are ever removed, chosen by their labels. `true` is short for `{ after_ci: true }`.", {
  keep: field(integer(0), "How many of the newest published releases stay (their local images), on top of `latest`, the current commit's, every deployed release and what a container or a live run uses.", { default: 5 }),
  after_ci: field(boolean(), "`slipway ci` prunes when it ends (whatever its verdict), as `slipway prune` does.", { default: false }),
}, { shorthand: pruneShorthand });

export const historySchema = object("history", "Evidence kept under .slipway/runs/ for every run.", {
  keep: field(integer(1), "How many runs to keep; older ones are pruned.", { default: 20 }),
});

/** `key: NAME` is short for `{ environment: NAME }`. */
const environmentShorthand = (node: YNode): YNode | undefined =>
  node.kind === "scalar" && typeof node.value === "string" ? { kind: "map", pos: node.pos, entries: [{ key: "environment", keyPos: node.pos, value: node }] } : undefined;

export const testStageSchema = object("test", "The test stage: runs an environment's `service` to completion, copies its reports out; its exit code is the verdict. A plain name is short for `{ environment: NAME }`.", {
  environment: field(string(), "The environment it brings up.", { default: "test" }),
}, { shorthand: environmentShorthand });

export const buildStageSchema = object("build", "The build stage (seed 001's builder): runs a builder service of an environment, which writes the artifacts (packages, wheels, jars) into a folder of its container — or builds a Dockerfile target whose build writes them (`image`) — and copies them out through the Engine API into a host folder that the release image's build context uses. Unchanged inputs (the builder's image, command and environment) with the artifacts still in place are reused, not rebuilt.", {
  environment: field(string(), "The environment whose compose files define the builder (with `service`).", { example: "build" }),
  service: field(string(), "The builder service: it writes the artifacts and exits 0.", { example: "builder" }),
  image: field(buildSchema, "Instead of `environment` and `service`: a Dockerfile target built as the builder (`docker build --target`); the files its build wrote into `artifacts` are copied out of a container made from it, which never starts.", { example: "{ dockerfile: Dockerfile, target: builder }" }),
  command: field(list(string(), { acceptSingle: true }), "Command for `service`, instead of the one in the compose file."),
  artifacts: field(string(), "Absolute path of the folder in the builder's container whose files are the artifacts.", { required: true, example: "/wheelhouse" }),
  to: field(string(), "Host folder, relative to slipway.yml, the artifacts are copied into (emptied first). It is left out of every other build context.", { default: "target" }),
  env: field(map(string()), "Extra environment variables for `service`.", { default: {} }),
  timeout: field(duration(), "How long the stage may take before it fails with exit code 8.", { default: 600_000, defaultText: "`10m`" }),
});

export const releaseStageSchema = object("release", "The release stage: builds the pipeline's images (with the commit in their labels and build arguments), brings the release environment up with exactly those images, and runs its bootstrap tasks before the app is declared ready. A plain name is short for `{ environment: NAME }`.", {
  environment: field(string(), "The release environment.", { default: "release" }),
  images: field(map(string()), "Which service runs which of the pipeline's images, as `service: image`.", { default: {}, defaultText: "each service whose build is an image's build" }),
  bootstrap: field(list(string(), { acceptSingle: true }), "One-shot services run in order (migrations, static files) before the app is declared ready.", { defaultText: "the one-shots other services depend on with `service_completed_successfully`" }),
  timeout: field(duration(), "How long the stage may take before it fails with exit code 8.", { default: 600_000, defaultText: "`10m`" }),
}, { shorthand: environmentShorthand });

export const acceptanceStageSchema = object("acceptance", "The acceptance stage: runs the release environment's `service` (the acceptance tests) against the app the release stage brought up, and copies its reports out; its exit code is the verdict. A plain name is short for `{ environment: NAME }`.", {
  environment: field(string(), "The environment the release stage brought up.", { default: "release" }),
}, { shorthand: environmentShorthand });

/** `tag: true` (or an empty value) is short for `tag: {}`. */
const enabledShorthand = (node: YNode): YNode | undefined =>
  (node.kind === "scalar" && (node.value === true || node.value === null)) ? { kind: "map", pos: node.pos, entries: [] } : undefined;

export const tagStageSchema = object("tag", "The tag stage (seed 000's `tag`): tags each accepted release image, by its image ID, with the tag plan's tags (`tags:`), as `registry/repository:tag`. `true` is short for `{}`.", {
  build_tags: field(boolean(), "Also the build tags (`tags.build`), as seed 000's `buildtag` does.", { default: true }),
}, { shorthand: enabledShorthand });

export const publishStageSchema = object("publish", "The publish stage: puts each accepted release image in `registry` under the tag plan's tags, with no half-published release (see docs/publishing.md). `true` is short for `{}`.", {
  allow_dirty: field(boolean(), "Publish an image built from a work tree with uncommitted changes (refused by default: its commit tag would lie).", { default: false }),
}, { shorthand: enabledShorthand });

/** `deploy: staging` or `deploy: [staging, production]` is short for `{ targets: … }`. */
const targetsShorthand = (node: YNode): YNode | undefined =>
  (node.kind === "scalar" && typeof node.value === "string") || node.kind === "seq" ? { kind: "map", pos: node.pos, entries: [{ key: "targets", keyPos: node.pos, value: node }] } : undefined;

export const deployStageSchema = object("deploy", "The deploy stage: deploys the release this run published to each target in turn (a target of `targets:`), every image of a published repository pinned to the digest the publish verified; a target that does not converge fails the stage and the ones after it are not deployed (see docs/deploy.md). Never inferred: a pipeline deploys only where it is told. A name or a list of names is short for `{ targets: … }`.", {
  targets: field(list(string(), { acceptSingle: true }), "The targets to deploy to, in order.", { required: true, example: "[staging]" }),
}, { shorthand: targetsShorthand });

export const stagesSchema = object("stages", "The workflow's stages this pipeline runs, in the order test → build → release → acceptance → tag → publish → deploy.", {
  test: field(testStageSchema, "Run the tests.", { defaultText: "when `environments.test` exists" }),
  build: field(buildStageSchema, "Build the artifacts."),
  release: field(releaseStageSchema, "Build the release image and bring the release environment up.", { defaultText: "when `environments.release` and `images` exist" }),
  acceptance: field(acceptanceStageSchema, "Run the acceptance tests against the release.", { defaultText: "when `environments.release` has a `service`" }),
  tag: field(tagStageSchema, "Tag the accepted images.", { defaultText: "when there is a release stage and a `registry`" }),
  publish: field(publishStageSchema, "Publish the accepted images.", { defaultText: "when there is a release stage and a `registry`" }),
  deploy: field(deployStageSchema, "Deploy the published release to targets.", { defaultText: "none: `slipway ci --target NAME` adds one" }),
});

export const targetSchema = object("target", "Where `slipway deploy --target NAME` deploys: a Docker Swarm stack made from compose files, with the published release's images pinned by digest (see docs/deploy.md).", {
  stack: field(string({ pattern: NAME, rule: NAME_RULE }), "The stack's name on the swarm: services are `STACK_SERVICE`, as `docker stack deploy` names them.", { required: true, example: "shop" }),
  compose: field(list(string(), { acceptSingle: true }), "Compose files, merged in order, relative to slipway.yml: read as `slipway compose` reads them (.env, interpolation, extends, include, profiles).", { required: true, example: "[compose.yaml, compose.prod.yaml]" }),
  profiles: field(list(string(), { acceptSingle: true }), "Compose profiles to enable.", { default: [] }),
  endpoint: field(string(), "The engine of a swarm manager, as DOCKER_HOST takes it (`unix://`, `tcp://`, `ssh://`).", { defaultText: "the engine Slipway finds as the docker CLI does" }),
  prune: field(boolean(), "Remove the stack's services, networks, secrets and configs that left the compose files.", { default: false }),
  timeout: field(duration(), "The longest a rollout may take before the deploy stops watching and fails (timed-out); each service also has its own deadline from its healthcheck and update settings.", { default: 900_000, defaultText: "`15m`" }),
  allow_failure_action_continue: field(boolean(), "Allow `update_config.failure_action: continue` (refused by default: a failed update would be carried on to every task).", { default: false }),
  lock_expiry: field(duration(), "How long the stack's deploy lock outlives its holder: a deploy renews it every third of this while it works, so a lock left by a killed deploy frees the stack this long after its last renewal (see docs/deploy.md, \"Deploy lock\").", { defaultText: "`5m`", example: "30s" }),
});

export const pipelineSchema = object("slipway.yml", "The pipeline file at the root of a repository.", {
  version: field(oneOf("1"), "Schema version of this file.", { default: "1" as const }),
  name: field(string({ pattern: NAME, rule: NAME_RULE }), "Project name: prefix of the unique compose project names of each run.", { defaultText: "the folder name" }),
  environments: field(map(environmentSchema, { keyPattern: NAME, keyRule: NAME_RULE }), "Environments by stage name (`test`, `release`, …).", { default: {}, defaultText: "none: a file may hold only `targets:` for `slipway deploy`" }),
  images: field(map(imageSchema, { keyPattern: NAME, keyRule: NAME_RULE }), "Images the pipeline builds.", { default: {} }),
  stages: field(stagesSchema, "The workflow's stages.", { defaultText: "inferred from `environments` and `images`" }),
  registry: field(registrySchema, "Registry for `publish`; `slipway doctor` checks that it answers."),
  targets: field(map(targetSchema, { keyPattern: NAME, keyRule: NAME_RULE }), "Deploy targets by name (`staging`, `production`, …): where `slipway deploy --target NAME` deploys. Called targets so that an environment stays a compose set for a stage.", { default: {} }),
  tags: field(tagsSchema, "How published images are tagged.", {
    default: { commit: "short", short_length: 7, semver: true, branch: true, latest: true, default_branch: undefined, build: undefined, timestamp: "%Y%m%d%H%M%S", ci: true, extra: [] },
    defaultText: "short commit, version, branch and `latest` rules",
  }),
  history: field(historySchema, "Run history.", { default: { keep: 20 } }),
  base: field(baseSchema, "A versioned base image for the app image (`slipway base build`, `slipway base status`)."),
  prune: field(pruneSchema, "Pruning of the images the pipeline made (`slipway prune`).", { default: { keep: 5, after_ci: false } }),
});

export type PipelineConfig = Infer<typeof pipelineSchema>;
export type EnvironmentConfig = Infer<typeof environmentSchema>;
export type ReportConfig = Infer<typeof reportSchema>;
export type WaitConfig = Infer<typeof waitSchema>;
export type StagesConfig = Infer<typeof stagesSchema>;
export type BuildStageConfig = Infer<typeof buildStageSchema>;
export type ReleaseStageConfig = Infer<typeof releaseStageSchema>;
export type AcceptanceStageConfig = Infer<typeof acceptanceStageSchema>;
export type TagStageConfig = Infer<typeof tagStageSchema>;
export type PublishStageConfig = Infer<typeof publishStageSchema>;
export type DeployStageConfig = Infer<typeof deployStageSchema>;
export type ImageConfig = Infer<typeof imageSchema>;
export type RegistryConfig = Infer<typeof registrySchema>;
export type TagsConfig = Infer<typeof tagsSchema>;
export type TargetConfig = Infer<typeof targetSchema>;
export type BaseConfig = Infer<typeof baseSchema>;
export type PruneConfig = Infer<typeof pruneSchema>;
