import { test } from "node:test";
import assert from "node:assert/strict";
import { ciVariables } from "./ci-variables.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

test("outside a CI: nothing, even with CI-looking variables left in the shell", () => {
  assert.deepEqual(ciVariables({}), {});
  assert.deepEqual(ciVariables({ GITHUB_REF: "refs/heads/main", GITHUB_SHA: SHA, CI_COMMIT_BRANCH: "main" }), {});
  assert.deepEqual(ciVariables({ GITHUB_ACTIONS: "false", GITLAB_CI: "" }), {});
});

test("GitHub Actions, push to a branch", () => {
  const ci = ciVariables({
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: "push",
    GITHUB_REF: "refs/heads/feature/Login_v2",
    GITHUB_REF_NAME: "feature/Login_v2",
    GITHUB_REF_TYPE: "branch",
    GITHUB_HEAD_REF: "",
    GITHUB_BASE_REF: "",
    GITHUB_SHA: SHA,
  });
  assert.deepEqual(ci, {
    provider: "github",
    branch: "feature/Login_v2",
    commit: SHA,
    event: "push",
    from: { branch: "GITHUB_REF refs/heads/feature/Login_v2", commit: `GITHUB_SHA ${SHA}` },
  });
  assert.equal(ci.defaultBranch, undefined, "GitHub sets no variable for the default branch");
});

test("GitHub Actions, push of a tag", () => {
  const ci = ciVariables({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "push", GITHUB_REF: "refs/tags/v1.2.3", GITHUB_REF_NAME: "v1.2.3", GITHUB_REF_TYPE: "tag", GITHUB_SHA: SHA });
  assert.equal(ci.tag, "v1.2.3");
  assert.equal(ci.branch, undefined);
  assert.equal(ci.pullRequest, undefined);
  assert.equal(ci.from?.tag, "GITHUB_REF refs/tags/v1.2.3");
});

test("GitHub Actions, pull request: the number from GITHUB_REF, the source branch from GITHUB_HEAD_REF", () => {
  const ci = ciVariables({
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_REF: "refs/pull/42/merge",
    GITHUB_REF_NAME: "42/merge",
    GITHUB_REF_TYPE: "branch",
    GITHUB_HEAD_REF: "feature/x",
    GITHUB_BASE_REF: "main",
    GITHUB_SHA: SHA,
  });
  assert.deepEqual(ci, {
    provider: "github",
    branch: "feature/x",
    pullRequest: 42,
    targetBranch: "main",
    commit: SHA,
    event: "pull_request",
    from: { pullRequest: "GITHUB_REF refs/pull/42/merge", branch: "GITHUB_HEAD_REF feature/x", commit: `GITHUB_SHA ${SHA}` },
  });
});

test("GitHub Actions, pull_request_target: the base branch's ref, and no number to read", () => {
  const ci = ciVariables({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "pull_request_target", GITHUB_REF: "refs/heads/main", GITHUB_HEAD_REF: "feature/x", GITHUB_BASE_REF: "main", GITHUB_SHA: SHA });
  assert.equal(ci.branch, "main");
  assert.equal(ci.pullRequest, undefined);
  assert.equal(ci.targetBranch, "main");
});

test("GitHub Actions without GITHUB_REF: GITHUB_REF_NAME with GITHUB_REF_TYPE", () => {
  assert.equal(ciVariables({ GITHUB_ACTIONS: "true", GITHUB_REF_NAME: "develop", GITHUB_REF_TYPE: "branch" }).branch, "develop");
  assert.equal(ciVariables({ GITHUB_ACTIONS: "true", GITHUB_REF_NAME: "v2.0.0", GITHUB_REF_TYPE: "tag" }).tag, "v2.0.0");
  assert.deepEqual(ciVariables({ GITHUB_ACTIONS: "true" }), { provider: "github", from: {} });
});

test("GitLab CI, branch pipeline", () => {
  const ci = ciVariables({
    GITLAB_CI: "true",
    CI_PIPELINE_SOURCE: "push",
    CI_COMMIT_BRANCH: "feature/x",
    CI_COMMIT_REF_NAME: "feature/x",
    CI_DEFAULT_BRANCH: "trunk",
    CI_COMMIT_SHA: SHA,
  });
  assert.deepEqual(ci, {
    provider: "gitlab",
    branch: "feature/x",
    defaultBranch: "trunk",
    commit: SHA,
    event: "push",
    from: { branch: "CI_COMMIT_BRANCH feature/x", defaultBranch: "CI_DEFAULT_BRANCH trunk", commit: `CI_COMMIT_SHA ${SHA}` },
  });
});

test("GitLab CI, tag pipeline: CI_COMMIT_REF_NAME is the tag, not a branch", () => {
  const ci = ciVariables({ GITLAB_CI: "true", CI_COMMIT_TAG: "v1.2.3", CI_COMMIT_REF_NAME: "v1.2.3", CI_DEFAULT_BRANCH: "main", CI_COMMIT_SHA: SHA });
  assert.equal(ci.tag, "v1.2.3");
  assert.equal(ci.branch, undefined);
  assert.equal(ci.from?.tag, "CI_COMMIT_TAG v1.2.3");
  assert.equal(ci.defaultBranch, "main");
});

test("GitLab CI, merge request pipeline: the IID, the source and target branches", () => {
  const ci = ciVariables({
    GITLAB_CI: "true",
    CI_PIPELINE_SOURCE: "merge_request_event",
    CI_MERGE_REQUEST_IID: "7",
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/y",
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
    CI_COMMIT_REF_NAME: "feature/y",
    CI_DEFAULT_BRANCH: "main",
    CI_COMMIT_SHA: SHA,
  });
  assert.equal(ci.pullRequest, 7);
  assert.equal(ci.branch, "feature/y");
  assert.equal(ci.targetBranch, "main");
  assert.equal(ci.from?.pullRequest, "CI_MERGE_REQUEST_IID 7");
  assert.equal(ci.from?.branch, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME feature/y");
});

test("GitLab CI, merge request pipeline with only CI_COMMIT_REF_NAME: the source branch from it", () => {
  const ci = ciVariables({ GITLAB_CI: "true", CI_MERGE_REQUEST_IID: "12", CI_COMMIT_REF_NAME: "fix/z" });
  assert.equal(ci.branch, "fix/z");
  assert.equal(ci.from?.branch, "CI_COMMIT_REF_NAME fix/z");
});

test("a pull or merge request number that is no number is not one", () => {
  assert.equal(ciVariables({ GITHUB_ACTIONS: "true", GITHUB_REF: "refs/pull/abc/merge" }).pullRequest, undefined);
  assert.equal(ciVariables({ GITLAB_CI: "true", CI_MERGE_REQUEST_IID: "7a" }).pullRequest, undefined);
});
