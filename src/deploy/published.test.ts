import { test } from "node:test";
import assert from "node:assert/strict";
import { describePin, pinToPublished, publishedFor, type PublishedImage } from "./published.ts";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const app = (over: Partial<PublishedImage> = {}): PublishedImage => ({ image: "app", registry: "127.0.0.1:5002", repository: "shop/app", digest: D1, tags: ["abc1234", "1.2.3", "latest"], runId: "r1", commit: "c1", ...over });

test("a service naming a published repository is pinned to the published digest, whatever tag the file writes", () => {
  for (const image of ["127.0.0.1:5002/shop/app", "127.0.0.1:5002/shop/app:latest", "127.0.0.1:5002/shop/app:some-branch"]) {
    assert.deepEqual(pinToPublished(image, [app()]), { kind: "published", ref: `127.0.0.1:5002/shop/app@${D1}`, from: app() }, image);
  }
});

test("another repository, another registry, or a repository that only shares a prefix is not pinned", () => {
  assert.equal(pinToPublished("postgres:15", [app()]), undefined);
  assert.equal(pinToPublished("127.0.0.1:5003/shop/app:1.2.3", [app()]), undefined);
  assert.equal(pinToPublished("127.0.0.1:5002/shop/app-worker:1.2.3", [app()]), undefined);
  assert.equal(pinToPublished("127.0.0.1:5002/shop/app", []), undefined);
});

test("Docker Hub names compare as the docker CLI normalises them, and the name stays as the file wrote it", () => {
  const hub = app({ registry: "docker.io", repository: "team/app" });
  assert.deepEqual(pinToPublished("team/app:1.0", [hub])?.ref, `team/app@${D1}`);
  assert.deepEqual(pinToPublished("docker.io/team/app", [hub])?.ref, `docker.io/team/app@${D1}`);
  const official = app({ registry: "index.docker.io", repository: "app" });
  assert.deepEqual(pinToPublished("app", [official])?.ref, `app@${D1}`);
});

test("a file pinning the published digest is pinned; pinning another digest is kept as written and said", () => {
  assert.deepEqual(pinToPublished(`127.0.0.1:5002/shop/app@${D1}`, [app()])?.kind, "published");
  const other = pinToPublished(`127.0.0.1:5002/shop/app:1.0@${D2}`, [app()]);
  assert.deepEqual(other, { kind: "other-digest", ref: `127.0.0.1:5002/shop/app:1.0@${D2}`, from: app() });
  assert.match(describePin("web", other!), /^web: 127\.0\.0\.1:5002\/shop\/app:1\.0@sha256:2+ is pinned by the file to a digest other than the one run r1 published \(sha256:1+\); deployed as written$/);
});

test("of several publishes of one repository the first given (the newest) wins; the pin says which run and tags", () => {
  const pin = pinToPublished("127.0.0.1:5002/shop/app", [app({ runId: "new", digest: D2 }), app()]);
  assert.equal(pin?.ref, `127.0.0.1:5002/shop/app@${D2}`);
  assert.equal(describePin("web", pin!), `web: 127.0.0.1:5002/shop/app@${D2} (published by run new as abc1234, 1.2.3, latest)`);
});

test("publishedFor: the newest publish of each repository for the commit, from records listed newest first", () => {
  const records = [
    app({ runId: "r4", commit: "c2" }),
    app({ runId: "r3", digest: D2 }),
    app({ runId: "r2" }),
    app({ image: "worker", repository: "shop/worker", runId: "r1" }),
  ];
  assert.deepEqual(publishedFor(records, "c1").map((r) => [r.runId, r.repository]), [["r3", "shop/app"], ["r1", "shop/worker"]]);
  assert.deepEqual(publishedFor(records, "nope"), []);
});
