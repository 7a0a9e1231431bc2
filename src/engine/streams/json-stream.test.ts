import { test } from "node:test";
import assert from "node:assert/strict";
import { followJsonStream, JsonStreamError, type JsonMessage } from "./json-stream.ts";
import { splitConcatenated } from "./json-lines.ts";
import { CancelledError } from "../../errors/index.ts";

const build = { kind: "build", code: "BUILD_FAILED", what: "build web" } as const;

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? Buffer.from(part) : part;
}

function bytesOf(text: string, size: number): Buffer[] {
  const all = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.subarray(i, i + size));
  return out;
}

/** A source that records whether it was read to the end or closed early. */
function tracked(parts: string[]): { source: AsyncGenerator<Uint8Array>; state: { read: number; closed: boolean } } {
  const state = { read: 0, closed: false };
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      for (const part of parts) {
        state.read++;
        yield Buffer.from(part);
      }
    } finally {
      state.closed = true;
    }
  }
  return { source: source(), state };
}

const body = [
  `{"stream":"Step 1/2 : FROM alpine"}\r\n`,
  `{"stream":"\\n"}\r\n`,
  `\r\n`,
  `{"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"abc"}\r\n`,
  `{"aux":{"ID":"sha256:${"a".repeat(64)}"}}\r\n`,
].join("");

test("resolves with every message in order and reports each to onMessage", async () => {
  const seen: JsonMessage[] = [];
  const messages = await followJsonStream(chunks(body), (m) => seen.push(m), build);
  assert.equal(messages.length, 4, "the blank line is ignored");
  assert.deepEqual(seen, messages);
  assert.equal(messages[2]?.progressDetail?.total, 100);
});

test("gives the same messages whatever the chunk boundaries", async () => {
  const want = await followJsonStream(chunks(body), undefined, build);
  const all = Buffer.from(body);
  for (let i = 0; i <= all.length; i++) {
    assert.deepEqual(await followJsonStream(chunks(all.subarray(0, i), all.subarray(i)), undefined, build), want, `split at ${i}`);
  }
  assert.deepEqual(await followJsonStream(chunks(...bytesOf(body, 1)), undefined, build), want, "1-byte chunks");
});

test("decodes multi-byte UTF-8 split at every byte", async () => {
  for (const text of ["é", "日本", "😀", "naïve 日本 😀 done"]) {
    const line = Buffer.from(`{"stream":"${text}"}\n{"stream":"${text}!"}\n`);
    for (let i = 0; i <= line.length; i++) {
      const messages = await followJsonStream(chunks(line.subarray(0, i), line.subarray(i)), undefined, build);
      assert.deepEqual(
        messages.map((m) => m.stream),
        [text, `${text}!`],
        `${text} split at ${i}`,
      );
    }
    const oneByOne = [...line].map((b) => new Uint8Array([b]));
    const messages = await followJsonStream(chunks(...oneByOne), undefined, build);
    assert.equal(messages[0]?.stream, text);
  }
});

test("rejects on a message with `error`, after delivering the earlier ones, and stops reading", async () => {
  const { source, state } = tracked([
    `{"stream":"Step 1/3 : FROM alpine\\n"}\r\n{"stream":"Step 2/3 : RUN exit 3\\n"}\r\n`,
    `{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}\r\n`,
    `{"stream":"never read"}\r\n`,
  ]);
  const seen: JsonMessage[] = [];
  const error = await followJsonStream(source, (m) => seen.push(m), { ...build, hint: "Fix the Dockerfile." }).then(
    () => assert.fail("should reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JsonStreamError);
  assert.equal(error.code, "BUILD_FAILED");
  assert.equal(error.kind, "build");
  assert.equal(error.exitCode, 5);
  assert.equal(error.hint, "Fix the Dockerfile.");
  assert.equal(error.message, "Build web failed: The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  assert.deepEqual(error.details, { error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3", errorCode: 3 });
  assert.equal(error.streamMessage?.errorDetail?.code, 3);
  assert.equal(seen.length, 2);
  assert.equal(state.read, 2, "the chunk after the error is not read");
  assert.equal(state.closed, true, "the source is closed");
});

test("rejects on errorDetail alone, on error alone, and on an empty errorDetail", async () => {
  const registry = { kind: "registry", code: "PUSH_FAILED", what: "push r.local/web:1" } as const;
  await assert.rejects(
    followJsonStream(chunks(`{"status":"Preparing"}\n{"errorDetail":{"message":"denied: requested access to the resource is denied"}}\n`), undefined, registry),
    (e: unknown) => e instanceof JsonStreamError && e.kind === "registry" && e.message === "Push r.local/web:1 failed: denied: requested access to the resource is denied",
  );
  await assert.rejects(
    followJsonStream(chunks(`{"error":"manifest unknown"}`), undefined, registry),
    (e: unknown) => e instanceof JsonStreamError && e.code === "PUSH_FAILED" && /manifest unknown$/.test(e.message),
  );
  await assert.rejects(
    followJsonStream(chunks(`{"errorDetail":{}}\n`), undefined, { kind: "build", code: "BUILD_FAILED" }),
    (e: unknown) => e instanceof JsonStreamError && e.message === "the engine reported an error without a message",
  );
});

test("does not report the failing message to onMessage", async () => {
  const seen: JsonMessage[] = [];
  await assert.rejects(followJsonStream(chunks(`{"status":"a"}\n{"error":"x"}\n`), (m) => seen.push(m), build));
  assert.deepEqual(seen, [{ status: "a" }]);
});

test("reads objects concatenated without a newline", async () => {
  const messages = await followJsonStream(chunks(`{"status":"a"}{"status":"b"} {"status":"}{ \\"quoted\\" {"}\n{"status":"c"}`), undefined, build);
  assert.deepEqual(
    messages.map((m) => m.status),
    ["a", "b", '}{ "quoted" {', "c"],
  );
  await assert.rejects(followJsonStream(chunks(`{"status":"a"}{"error":"late failure"}\n`), undefined, build), /late failure/);
});

test("reports a line that is not JSON with its line number", async () => {
  const error = await followJsonStream(chunks(`{"status":"ok"}\r\n<html>502 Bad Gateway</html>\r\n`), undefined, build).then(
    () => assert.fail("should reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JsonStreamError);
  assert.equal(error.code, "JSON_STREAM_INVALID");
  assert.equal(error.kind, "engine");
  assert.match(error.message, /progress stream for build web has a line that is not a JSON object \(line 2: .*\): <html>502 Bad Gateway<\/html>$/);
});

test("reports JSON values that are not objects", async () => {
  for (const line of ["[1,2]", "42", '"text"', "null", '{"a":1}[2]']) {
    await assert.rejects(
      followJsonStream(chunks(`${line}\n`), undefined, build),
      (e: unknown) => e instanceof JsonStreamError && e.code === "JSON_STREAM_INVALID",
      line,
    );
  }
});

test("shortens a long invalid line in the message", async () => {
  const error = await followJsonStream(chunks(`${"x".repeat(1000)}\n`), undefined, build).then(
    () => assert.fail("should reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JsonStreamError);
  assert.ok(error.message.length < 400);
});

test("tells a body cut in the middle of a message apart from a bad line", async () => {
  await assert.rejects(
    followJsonStream(chunks(`{"status":"a"}\r\n{"status":"Downl`), undefined, build),
    (e: unknown) => e instanceof JsonStreamError && e.code === "JSON_STREAM_TRUNCATED" && /line 2/.test(e.message),
  );
  const messages = await followJsonStream(chunks(`{"status":"a"}\r\n{"status":"no newline at end"}`), undefined, build);
  assert.equal(messages.length, 2, "a complete last message without a newline is fine");
});

test("resolves with no messages for an empty body", async () => {
  assert.deepEqual(await followJsonStream(chunks(), undefined, build), []);
  assert.deepEqual(await followJsonStream(chunks("\r\n\r\n"), undefined, build), []);
});

test("propagates an error thrown by onMessage and closes the source", async () => {
  const { source, state } = tracked([`{"status":"a"}\n`, `{"status":"b"}\n`]);
  await assert.rejects(
    followJsonStream(source, () => {
      throw new Error("renderer broke");
    }, build),
    /renderer broke/,
  );
  assert.equal(state.closed, true);
  assert.equal(state.read, 1);
});

test("aborts at once while the engine is silent, and closes the source", async () => {
  const controller = new AbortController();
  let closed = false;
  const silent: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let first = true;
      return {
        next: () => {
          if (first) {
            first = false;
            return Promise.resolve({ done: false, value: Buffer.from(`{"status":"Step 1/9"}\n`) });
          }
          return new Promise<IteratorResult<Uint8Array>>(() => {});
        },
        return: () => {
          closed = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
  const seen: JsonMessage[] = [];
  const following = followJsonStream(silent, (m) => {
    seen.push(m);
    setTimeout(() => controller.abort(new Error("Ctrl-C")), 5);
  }, { ...build, signal: controller.signal });
  const error = await following.then(
    () => assert.fail("should reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CancelledError);
  assert.equal((error.cause as Error).message, "Ctrl-C");
  assert.equal(seen.length, 1);
  assert.equal(closed, true);
});

test("rejects at once with an already aborted signal, without reading", async () => {
  const { source, state } = tracked([`{"status":"a"}\n`]);
  await assert.rejects(followJsonStream(source, undefined, { ...build, signal: AbortSignal.abort() }), CancelledError);
  assert.equal(state.read, 0);
});

test("splitConcatenated cuts top-level objects and refuses anything else", () => {
  assert.deepEqual(splitConcatenated(`{"a":{"b":[1,{"c":"}"}]}}{"d":"\\\\"}`), [`{"a":{"b":[1,{"c":"}"}]}}`, `{"d":"\\\\"}`]);
  assert.equal(splitConcatenated(`{"a":1}`), undefined, "a single object is not a split");
  assert.equal(splitConcatenated(`{"a":1} x`), undefined);
  assert.equal(splitConcatenated(`{"a":1}{"b":`), undefined);
  assert.equal(splitConcatenated(`}{`), undefined);
  assert.equal(splitConcatenated(`[1][2]`), undefined);
});
