import { test } from "node:test";
import assert from "node:assert/strict";
import { engineTime, pumpOutput, type ContainerOutput } from "./logs.ts";

const now = Date.UTC(2024, 0, 2, 12, 0, 0, 500);

test("--since/--until: durations count back from now, as the docker CLI reads them", () => {
  // now is 1704196800.5
  assert.equal(engineTime("42m", now), "1704194280.500000000");
  assert.equal(engineTime("1h30m", now), "1704191400.500000000");
  assert.equal(engineTime("10s", now), "1704196790.500000000");
  assert.equal(engineTime("1.5h", now), "1704191400.500000000");
});

test("--since/--until: Unix times pass as they are; RFC 3339 times become Unix times with their nanoseconds", () => {
  assert.equal(engineTime("1700000000", now), "1700000000.000000000");
  assert.equal(engineTime("1700000000.25", now), "1700000000.25");
  assert.equal(engineTime("2013-01-02T13:23:37Z", now), "1357133017.000000000");
  assert.equal(engineTime("2013-01-02T13:23:37.123456789Z", now), "1357133017.123456789");
  assert.equal(engineTime("2013-01-02T13:23:37+01:00", now), "1357129417.000000000");
  // Without a zone: local time, as the docker CLI takes it.
  assert.equal(engineTime("2013-01-02", now), `${new Date(2013, 0, 2).getTime() / 1000}.000000000`);
});

test("--since/--until: anything else is a usage error naming the flag", () => {
  assert.throws(() => engineTime("yesterday", now, "--since"), (err: Error & { kind?: string }) => err.kind === "usage" && err.message.startsWith("--since yesterday"));
});

/** A receiver that records what it gets. */
function recorder(): ContainerOutput & { got: string[]; ended: boolean } {
  const got: string[] = [];
  const r = {
    got,
    ended: false,
    write: (stream: string, data: Buffer) => void got.push(`${stream}:${data.toString()}`),
    drained: () => undefined,
    end: () => void (r.ended = true),
  };
  return r;
}

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

async function* chunks(...parts: Buffer[]) {
  yield* parts;
}

test("pumpOutput: frames demultiplexed (also across chunks), raw bytes for a TTY, and the receiver always ended", async () => {
  const both = Buffer.concat([frame(1, "out\n"), frame(2, "err\n")]);
  const r = recorder();
  await pumpOutput(chunks(both.subarray(0, 5), both.subarray(5)), false, r);
  assert.deepEqual(r.got, ["stdout:out\n", "stderr:err\n"]);
  assert.ok(r.ended);

  const tty = recorder();
  await pumpOutput(chunks(Buffer.from("raw\n")), true, tty);
  assert.deepEqual(tty.got, ["stdout:raw\n"]);

  const broken = recorder();
  await assert.rejects(pumpOutput(chunks(frame(1, "cut").subarray(0, 9)), false, broken));
  assert.ok(broken.ended, "ended even when the stream was cut");
});

test("pumpOutput waits while the receiver is full", async () => {
  let release!: () => void;
  const full = new Promise<void>((resolve) => (release = resolve));
  const r = recorder();
  let waiting = true;
  r.drained = () => (waiting ? full : undefined);
  const pumping = pumpOutput(chunks(frame(1, "a\n"), frame(1, "b\n")), false, r);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(r.got, ["stdout:a\n"], "the second chunk is not read while the receiver is full");
  waiting = false;
  release();
  await pumping;
  assert.deepEqual(r.got, ["stdout:a\n", "stdout:b\n"]);
});
