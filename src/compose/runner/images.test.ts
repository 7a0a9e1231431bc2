import { test } from "node:test";
import assert from "node:assert/strict";
import { familiarRef, imageSummary } from "./images.ts";

test("an image is listed under its first tag, as the docker CLI names it", () => {
  assert.deepEqual(imageSummary({ Id: "sha256:3d10", RepoTags: ["busybox:1", "busybox:latest"], Size: 1985643 }), { ID: "sha256:3d10", Repository: "busybox", Tag: "1", Size: 1985643 });
  assert.deepEqual(imageSummary({ Id: "sha256:ab", RepoTags: [], Size: 5 }), { ID: "sha256:ab", Repository: "", Tag: "", Size: 5 });
  assert.deepEqual(imageSummary({ Id: "sha256:ab", RepoTags: null, Size: 5 }), { ID: "sha256:ab", Repository: "", Tag: "", Size: 5 });
});

test("familiar names: Docker Hub's docker.io/ and library/ dropped, registries kept, latest when untagged", () => {
  assert.deepEqual(familiarRef("busybox:1.35"), { repository: "busybox", tag: "1.35" });
  assert.deepEqual(familiarRef("docker.io/library/postgres:15"), { repository: "postgres", tag: "15" });
  assert.deepEqual(familiarRef("docker.io/someone/app"), { repository: "someone/app", tag: "latest" });
  assert.deepEqual(familiarRef("library/node:20"), { repository: "node", tag: "20" });
  assert.deepEqual(familiarRef("127.0.0.1:5003/team/app:v2"), { repository: "127.0.0.1:5003/team/app", tag: "v2" });
  assert.deepEqual(familiarRef("localhost/library/x:1"), { repository: "localhost/library/x", tag: "1" });
});
