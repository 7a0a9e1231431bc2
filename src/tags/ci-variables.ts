/**
 * What the CI says it is building, from its own variables: a CI checkout is often detached (a tag,
 * a pull request's merge commit), and then only the CI knows the branch, tag or pull request.
 *
 * Variables are read only under the CI that sets them (`GITHUB_ACTIONS=true`, `GITLAB_CI=true`),
 * so a `GITHUB_REF` left in a laptop's shell changes nothing.
 *
 * GitHub Actions (docs.github.com, "Variables reference"):
 * - `GITHUB_REF`: `refs/heads/B` on a push to a branch, `refs/tags/T` for a tag,
 *   `refs/pull/N/merge` for a `pull_request` event (the merge commit; `GITHUB_SHA` is that
 *   commit). A `pull_request_target` event has the base branch's ref and commit instead.
 * - `GITHUB_REF_NAME`/`GITHUB_REF_TYPE`: the short name (`N/merge` for a pull request) and
 *   `branch` or `tag`; read only when `GITHUB_REF` is missing.
 * - `GITHUB_HEAD_REF`/`GITHUB_BASE_REF`: the pull request's source and target branches, set only
 *   for `pull_request` and `pull_request_target` events.
 * - GitHub has no variable for the default branch (only the event payload has it): it stays unset.
 *
 * GitLab CI (docs.gitlab.com, "Predefined CI/CD variables reference"):
 * - `CI_COMMIT_BRANCH`: branch pipelines only (not tag or merge request pipelines).
 * - `CI_COMMIT_TAG`: tag pipelines only.
 * - `CI_COMMIT_REF_NAME`: the branch or tag; in a merge request pipeline, the source branch.
 * - `CI_MERGE_REQUEST_IID` (and `…_SOURCE_BRANCH_NAME`, `…_TARGET_BRANCH_NAME`): merge request
 *   pipelines only. `CI_DEFAULT_BRANCH`, `CI_COMMIT_SHA`: always.
 */

export type CiProvider = "github" | "gitlab";

/** The variable and value each fact came from (`GITHUB_REF refs/pull/42/merge`): a plan's reasons. */
export interface CiSources {
  branch?: string;
  tag?: string;
  pullRequest?: string;
  defaultBranch?: string;
  commit?: string;
}

export interface CiVariables {
  provider?: CiProvider;
  /** The branch built; for a pull or merge request, its source branch. */
  branch?: string;
  /** The git tag built (a tag pipeline or push). */
  tag?: string;
  /** The pull request's number (GitHub) or merge request's IID (GitLab). */
  pullRequest?: number;
  /** A pull or merge request's target branch. */
  targetBranch?: string;
  /** The project's default branch (GitLab only: GitHub sets no variable for it). */
  defaultBranch?: string;
  /** The commit the CI built. */
  commit?: string;
  /** The event that started the run (`GITHUB_EVENT_NAME`: `push`, `pull_request`…). */
  event?: string;
  from?: CiSources;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, or undefined when unset or empty (CIs export empty variables freely). */
const read = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
};

/** Drops the keys whose value is undefined, so that plans and JSON carry only what is known. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function ciVariables(env: Env): CiVariables {
  if (read(env, "GITHUB_ACTIONS") === "true") return github(env);
  if (read(env, "GITLAB_CI") === "true") return gitlab(env);
  return {};
}

function github(env: Env): CiVariables {
  const ref = read(env, "GITHUB_REF");
  const refName = read(env, "GITHUB_REF_NAME");
  const refType = read(env, "GITHUB_REF_TYPE");
  const headRef = read(env, "GITHUB_HEAD_REF");
  const baseRef = read(env, "GITHUB_BASE_REF");
  const sha = read(env, "GITHUB_SHA");
  const from: CiSources = {};
  let branch: string | undefined;
  let tag: string | undefined;
  let pullRequest: number | undefined;
  const pull = ref === undefined ? undefined : /^refs\/pull\/([1-9][0-9]*)\/(?:merge|head)$/.exec(ref);
  if (pull) {
    pullRequest = Number(pull[1]);
    from.pullRequest = `GITHUB_REF ${ref}`;
    if (headRef) {
      branch = headRef;
      from.branch = `GITHUB_HEAD_REF ${headRef}`;
    }
  } else if (ref?.startsWith("refs/heads/")) {
    branch = ref.slice("refs/heads/".length);
    from.branch = `GITHUB_REF ${ref}`;
  } else if (ref?.startsWith("refs/tags/")) {
    tag = ref.slice("refs/tags/".length);
    from.tag = `GITHUB_REF ${ref}`;
  } else if (ref === undefined && refName && refType === "branch") {
    branch = refName;
    from.branch = `GITHUB_REF_NAME ${refName}`;
  } else if (ref === undefined && refName && refType === "tag") {
    tag = refName;
    from.tag = `GITHUB_REF_NAME ${refName}`;
  }
  if (sha) from.commit = `GITHUB_SHA ${sha}`;
  return defined({
    provider: "github" as const,
    branch,
    tag,
    pullRequest,
    targetBranch: baseRef,
    commit: sha,
    event: read(env, "GITHUB_EVENT_NAME"),
    from: defined(from),
  });
}

function gitlab(env: Env): CiVariables {
  const from: CiSources = {};
  const tag = read(env, "CI_COMMIT_TAG");
  if (tag) from.tag = `CI_COMMIT_TAG ${tag}`;
  const iid = read(env, "CI_MERGE_REQUEST_IID");
  const pullRequest = iid && /^[1-9][0-9]*$/.test(iid) ? Number(iid) : undefined;
  if (pullRequest !== undefined) from.pullRequest = `CI_MERGE_REQUEST_IID ${iid}`;
  let branch = read(env, "CI_COMMIT_BRANCH");
  if (branch) from.branch = `CI_COMMIT_BRANCH ${branch}`;
  else if (pullRequest !== undefined && read(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")) {
    branch = read(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")!;
    from.branch = `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME ${branch}`;
  } else if (!tag && read(env, "CI_COMMIT_REF_NAME")) {
    // In a tag pipeline CI_COMMIT_REF_NAME is the tag, not a branch.
    branch = read(env, "CI_COMMIT_REF_NAME")!;
    from.branch = `CI_COMMIT_REF_NAME ${branch}`;
  }
  const defaultBranch = read(env, "CI_DEFAULT_BRANCH");
  if (defaultBranch) from.defaultBranch = `CI_DEFAULT_BRANCH ${defaultBranch}`;
  const sha = read(env, "CI_COMMIT_SHA");
  if (sha) from.commit = `CI_COMMIT_SHA ${sha}`;
  return defined({
    provider: "gitlab" as const,
    branch,
    tag,
    pullRequest,
    targetBranch: read(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
    defaultBranch,
    commit: sha,
    event: read(env, "CI_PIPELINE_SOURCE"),
    from: defined(from),
  });
}
