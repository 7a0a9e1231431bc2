/**
 * Pull and build against the real engine and the test world's registries. A failure inside a
 * progress stream must reject with the right kind ("registry", "build"), never pass as a success.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { CancelledError, SlipwayError } from "../../../src/errors/index.ts";
import { Engine, endpointFromEnv, type ProgressMessage, type TraceRecord } from "../../../src/engine/index.ts";
import { EventBus } from "../../../src/events/index.ts";
import { ImageResolver } from "../../../src/images/image-resolver.ts";
import { builtImageId, pushedDigest, tarFromEntries } from "../../../src/engine/streams/index.ts";
import { loadWorldSync } from "../../support/world.ts";
import { deleteManifest, execIn, tempContainer, testLabels, uniqueName, BUSYBOX, useEngine, rejection } from "./harness.ts";

const world = loadWorldSync();

let engine: Engine;
useEngine((e) => (engine = e));

/**
 * Builds `dockerfile` and tags the result `tag` with a separate call, so that tests which only need
 * an image do not depend on build's own `tags` option (tested on its own below). Removes the image
 * (its own tags only) on dispose.
 */
async function builtImage(dockerfile: string, tag: string): Promise<{ id: string } & AsyncDisposable> {
  const messages = await engine.images.build({
    context: await tarFromEntries([{ name: "Dockerfile", content: dockerfile }]),
    labels: testLabels(),
    // BuildKit keeps a build's layers in its own cache after the image is removed; the classic
    // builder's go with the image, which the pull test below needs.
    builder: "classic",
  });
  const id = builtImageId(messages);
  assert.ok(id, `no image id in ${JSON.stringify(messages)}`);
  await engine.images.tag(id, tag);
  return {
    id,
    async [Symbol.asyncDispose]() {
      await engine.images.remove(id, { force: true });
    },
  };
}

test("pull a Docker Hub name through the mirror: progress messages arrive, the image is there", { skip: world.skipReason("mirror") }, async () => {
  // An alias tag of a fixture: if the engine lacked it before, it is removed again afterwards, so
  // the test leaves the engine as it found it and never untags what parallel tests may be using.
  const ref = "redis:7-alpine";
  const hadIt = (await engine.images.find(ref)) !== undefined;
  try {
    const seen: ProgressMessage[] = [];
    const messages = await engine.images.pull(ref, { onProgress: (m) => seen.push(m) });
    assert.ok(messages.length > 0);
    assert.deepEqual(seen, messages, "every message went through onProgress, in order");
    const status = messages.map((m) => m.status ?? "").join("\n");
    assert.match(status, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(status, /Status: (Downloaded newer image|Image is up to date) for redis:7-alpine/);
    const image = await engine.images.inspect(ref);
    assert.ok(image.RepoTags?.includes(ref));
  } finally {
    if (!hadIt) await engine.images.remove(ref, { noprune: false });
  }
});

test("pull downloads layers it lacks: an image pushed to the plain registry, removed locally, pulled back", { skip: world.skipReason("plain-registry") }, async () => {
  const plain = world.require("plain-registry").address;
  const nonce = randomBytes(8).toString("hex");
  const repo = `slipway-test/${uniqueName("pull")}`;
  const ref = `${plain}/${repo}:1`;
  let digest: string | undefined;
  try {
    {
      // Unique content, so that no layer of it exists locally once the image is removed.
      await using built = await builtImage(`FROM ${BUSYBOX}\nRUN echo ${nonce} > /nonce\n`, ref);
      digest = pushedDigest(await engine.images.push(ref));
      assert.match(digest ?? "", /^sha256:[0-9a-f]{64}$/, `pushed ${built.id}`);
    }
    assert.equal(await engine.images.find(ref), undefined, "removed locally");
    const seen: ProgressMessage[] = [];
    await engine.images.pull(ref, { onProgress: (m) => seen.push(m) });
    const statuses = seen.map((m) => m.status ?? "");
    assert.ok(statuses.includes("Pull complete"), statuses.join(" | "));
    assert.ok(statuses.some((s) => s.startsWith("Status: Downloaded newer image")), statuses.join(" | "));
    await using ctr = await tempContainer(engine, { Image: ref, Cmd: ["sleep", "300"] }, "pulled");
    await engine.containers.start(ctr.id);
    assert.equal((await execIn(engine, ctr.id, ["cat", "/nonce"])).stdout, `${nonce}\n`);
  } finally {
    await engine.images.remove(ref, { force: true });
    if (digest) await deleteManifest(plain, repo, digest);
  }
});

test("pulling an image that exists nowhere fails with a SlipwayError of kind registry, on the engine's first answer", async () => {
  const records: TraceRecord[] = [];
  await using traced = await Engine.connect({ endpoint: endpointFromEnv(process.env), trace: (r) => records.push(r) });
  const err = await rejection(traced.images.pull("slipway-nope/does-not-exist:1"));
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.kind, "registry", `kind ${err.kind} (${err.code}): ${err.message}`);
  // Fast means no retry: one pull request, refused (counted, not timed).
  const pulls = records.filter((r) => r.path === "/images/create");
  assert.deepEqual(pulls.map((r) => r.method), ["POST"], JSON.stringify(records));
  assert.ok(typeof pulls[0]!.status === "number" && pulls[0]!.status >= 400, `the engine refused it: ${JSON.stringify(pulls)}`);
});

test("pulling a missing tag from a reachable registry fails with kind registry", { skip: world.skipReason("plain-registry") }, async () => {
  const plain = world.require("plain-registry").address;
  const err = await rejection(engine.images.pull(`${plain}/slipway-test/${uniqueName("missing")}:1`));
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.kind, "registry", `kind ${err.kind} (${err.code}): ${err.message}`);
});

for (const builder of ["buildkit", "classic"] as const) {
  test(`build a tiny context (${builder}): the image id comes from the stream, the image runs`, async () => {
    const seen: ProgressMessage[] = [];
    const messages = await engine.images.build({
      context: await tarFromEntries([{ name: "Dockerfile", content: `FROM ${BUSYBOX}\nRUN echo hi > /x\n` }]),
      labels: testLabels(),
      builder,
      onProgress: (m) => seen.push(m),
    });
    const id = builtImageId(messages);
    assert.match(id ?? "", /^sha256:[0-9a-f]{64}$/, JSON.stringify(messages));
    try {
      if (builder === "classic") assert.deepEqual(seen, messages);
      else {
        // BuildKit's protobuf trace reaches onProgress as plain lines, numbered steps and their state.
        const lines = seen.flatMap((m) => (m.stream ?? "").split("\n"));
        const step = lines.find((l) => / \[2\/2\] RUN echo hi > \/x$/.test(l));
        assert.ok(step, lines.join("\n"));
        const n = step.split(" ")[0];
        assert.ok(lines.some((l) => l.startsWith(`${n} DONE `) || l === `${n} CACHED`), lines.join("\n"));
        assert.ok(!seen.some((m) => m.id === "moby.buildkit.trace"), "no raw trace reaches onProgress");
      }
      const image = await engine.images.inspect(id!);
      assert.equal(image.Id, id);
      assert.equal(image.Config?.Labels?.["dev.slipway.test"], "1");
      await using ctr = await tempContainer(engine, { Image: id!, Cmd: ["sleep", "300"] }, "built");
      await engine.containers.start(ctr.id);
      assert.deepEqual(await execIn(engine, ctr.id, ["cat", "/x"]), { stdout: "hi\n", stderr: "", exitCode: 0 });
    } finally {
      await engine.images.remove(id!, { force: true });
    }
  });
}

test("build with tags: every tag names the built image", async () => {
  const tags = [`${uniqueName("build")}:1`, `${uniqueName("build")}:latest`];
  let id: string | undefined;
  try {
    id = builtImageId(
      await engine.images.build({
        context: await tarFromEntries([{ name: "Dockerfile", content: `FROM ${BUSYBOX}\nRUN echo tagged > /x\n` }]),
        tags,
        labels: testLabels(),
      }),
    );
    for (const tag of tags) assert.equal((await engine.images.inspect(tag)).Id, id, tag);
  } finally {
    for (const tag of tags) await engine.images.remove(tag, { force: true });
    if (id) await engine.images.remove(id, { force: true });
  }
});

for (const [builder, failure] of [
  ["buildkit", /executor failed running \[.*\]: exit code: 3/],
  ["classic", /returned a non-zero code: 3/],
] as const) {
  test(`a failing RUN (${builder}) rejects with kind build, and the message carries the command and its output`, async () => {
    const seen: ProgressMessage[] = [];
    // The output ("slipway-build-output") differs from the command text, so finding it proves the
    // output, not the echoed command, reached the error. A nonce defeats BuildKit's cache.
    const err = await rejection(
      engine.images.build({
        context: await tarFromEntries([
          { name: "Dockerfile", content: `FROM ${BUSYBOX}\nRUN echo ${randomBytes(4).toString("hex")} && echo c2xpcHdheS1idWlsZC1vdXRwdXQ= | base64 -d && exit 3\n` },
        ]),
        labels: testLabels(),
        builder,
        onProgress: (m) => seen.push(m),
      }),
    );
    assert.ok(err instanceof SlipwayError, String(err));
    assert.equal(err.kind, "build");
    assert.equal(err.code, "BUILD_FAILED");
    assert.match(err.message, failure);
    // The output was streamed before the error...
    assert.ok(seen.some((m) => m.stream?.includes("slipway-build-output")), `output streamed; seen: ${JSON.stringify(seen)}; error: ${err.message}`);
    // ...and a user reading only the error must see it too.
    assert.match(err.message, /slipway-build-output/, `the error does not show the command's output: ${err.message}`);
  });
}

for (const builder of ["buildkit", "classic"] as const) {
  test(`a Dockerfile the frontend cannot parse (${builder}): one message naming the file and the line`, async () => {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-parse-"));
    try {
      await writeFile(path.join(dir, "Dockerfile"), `FROM ${BUSYBOX}\nRUN true\nFROBNICATE now\n`);
      const connected = await Engine.connect({ endpoint: endpointFromEnv(process.env), builder });
      try {
        const resolver = new ImageResolver(connected, new EventBus());
        const err = await rejection(resolver.build({ context: dir, dockerfile: "Dockerfile", tags: [], subject: "app" }));
        assert.ok(err instanceof SlipwayError, String(err));
        assert.equal(err.code, "DOCKERFILE_INVALID", err.message);
        assert.equal(err.kind, "build");
        assert.match(err.message, new RegExp(`^${path.join(dir, "Dockerfile").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: unknown instruction: FROBNICATE`, "i"));
      } finally {
        await connected.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("ImageResolver.lookup: one request for concurrent callers; one caller's cancel stops only its own wait", async () => {
  const calls: string[] = [];
  const traced = await Engine.connect({ endpoint: endpointFromEnv(process.env), trace: (t) => void calls.push(`${t.method} ${t.path}`) });
  try {
    const resolver = new ImageResolver(traced, new EventBus());
    const cancelled = new AbortController();
    const first = resolver.lookup(BUSYBOX, cancelled.signal);
    const second = resolver.lookup(BUSYBOX, new AbortController().signal);
    cancelled.abort();
    await assert.rejects(first, CancelledError);
    const image = await second;
    assert.ok(image?.Id.startsWith("sha256:"), "the other caller still gets the image");
    assert.ok(await resolver.lookup(BUSYBOX), "found images are remembered");
    assert.equal(calls.filter((c) => c.startsWith("GET /images/")).length, 1, calls.join("\n"));
    // Not found is not remembered: an image may appear later in the run.
    const missing = `slipway-missing-${randomBytes(4).toString("hex")}:x`;
    assert.equal(await resolver.lookup(missing), undefined);
    assert.equal(await resolver.lookup(missing), undefined);
    assert.equal(calls.filter((c) => c.includes(encodeURIComponent(missing)) || c.includes(missing)).length, 2, calls.join("\n"));
  } finally {
    await traced.close();
  }
});

test("ImageResolver.ensure: one pull for concurrent callers; one caller's cancel stops only its own wait", { skip: world.skipReason("mirror") }, async () => {
  const calls: string[] = [];
  const traced = await Engine.connect({ endpoint: endpointFromEnv(process.env), trace: (t) => void calls.push(`${t.method} ${t.path}`) });
  try {
    const resolver = new ImageResolver(traced, new EventBus(), new AbortController().signal);
    const cancelled = new AbortController();
    // "always" pulls even an image the engine has, so both callers meet in one pull.
    const first = resolver.ensure(BUSYBOX, "always", cancelled.signal);
    const second = resolver.ensure(BUSYBOX, "always", new AbortController().signal);
    cancelled.abort();
    await assert.rejects(first, CancelledError);
    assert.match(await second, /^sha256:[0-9a-f]{64}$/, "the other caller still gets the image");
    assert.equal(calls.filter((c) => c.startsWith("POST /images/create")).length, 1, calls.join("\n"));
  } finally {
    await traced.close();
  }
});

test("ImageResolver.ensure of an image no registry has: one registry error (exit 6) naming the image once", async () => {
  const resolver = new ImageResolver(engine, new EventBus());
  const ref = `slipway-no-such-image-${randomBytes(3).toString("hex")}:1`;
  const err = (await rejection(resolver.ensure(ref, "missing"))) as SlipwayError;
  assert.ok(err instanceof SlipwayError, String(err));
  assert.equal(err.kind, "registry");
  assert.equal(err.exitCode, 6);
  assert.equal(err.message.split(ref).length - 1, 1, err.message);
});

test("build secrets (BuildKit session): the RUN step reads the secret; it is in no layer, not in the history; a missing one fails the build", async () => {
  const secret = `s3cret-${randomBytes(8).toString("hex")}`;
  const digest = createHash("sha256").update(secret).digest("hex");
  // The step keeps only a digest of what it read: the value itself appears nowhere in the Dockerfile.
  // BuildKit keeps secret values out of its cache keys: a nonce keeps an earlier run's step from being reused.
  const dockerfile = `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=npm_token echo ${randomBytes(4).toString("hex")} >/dev/null && sha256sum /run/secrets/npm_token | cut -c1-64 > /proof\n`;
  const messages = await engine.images.build({
    context: await tarFromEntries([{ name: "Dockerfile", content: dockerfile }]),
    labels: testLabels(),
    builder: "buildkit",
    secrets: new Map([["npm_token", new TextEncoder().encode(secret)]]),
  });
  const id = builtImageId(messages)!;
  assert.match(id ?? "", /^sha256:/);
  try {
    await using ctr = await tempContainer(engine, { Image: id, Cmd: ["sleep", "300"] }, "secret");
    await engine.containers.start(ctr.id);
    assert.equal((await execIn(engine, ctr.id, ["cat", "/proof"])).stdout, `${digest}\n`, "the step read the secret");
    // Everything the image is — layers, config, history — as `docker save` gives it.
    const saved = await engine.http.stream("GET", `/images/${id}/get`);
    const chunks: Buffer[] = [];
    for await (const c of saved.body) chunks.push(c);
    assert.ok(!Buffer.concat(chunks).includes(secret), "the secret's value is in no layer, config or history");
  } finally {
    await engine.images.remove(id, { force: true });
  }

  const missing = await rejection(
    engine.images.build({
      context: await tarFromEntries([{ name: "Dockerfile", content: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n` }]),
      labels: testLabels(),
      builder: "buildkit",
      secrets: new Map([["other", new Uint8Array([1, 2, 3])]]),
    }),
  );
  assert.ok(missing instanceof SlipwayError && missing.kind === "build", String(missing));
  assert.match(missing.message, /secret absent/i);

  const classic = await rejection(
    engine.images.build({ context: await tarFromEntries([{ name: "Dockerfile", content: `FROM ${BUSYBOX}\n` }]), builder: "classic", secrets: new Map([["x", new Uint8Array([1])]]) }),
  );
  assert.ok(classic instanceof SlipwayError && classic.code === "BUILD_SECRETS_NEED_BUILDKIT", String(classic));
});

test("a build step that prints its secret: the value shows neither in the build's log events nor in the error", async () => {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-secret-build-"));
  const secret = `tok-${randomBytes(6).toString("hex")}`;
  const events = new EventBus();
  const logs: string[] = [];
  events.on((e) => void (e.type === "log" && logs.push(e.message)));
  try {
    const resolver = new ImageResolver(engine, events);
    const err = await rejection(
      resolver.build({
        context: dir,
        dockerfile: "Dockerfile",
        dockerfileInline: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=tok echo "leaked: $(cat /run/secrets/tok) ${randomBytes(3).toString("hex")}" && exit 3\n`,
        tags: [],
        secrets: [{ id: "tok", value: async () => new TextEncoder().encode(secret) }],
        subject: "app",
      }),
    );
    assert.ok(err instanceof SlipwayError && err.kind === "build", String(err));
    assert.match(err.message, /leaked: \*\*\*/, err.message);
    assert.ok(!err.message.includes(secret), "the error does not show the secret");
    assert.ok(logs.some((l) => l.includes("leaked: ***")), logs.join("\n"));
    assert.ok(!logs.some((l) => l.includes(secret)), "no log event shows the secret");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
