/**
 * The one follower for the engine's JSON progress streams (build, pull, push, import). The HTTP
 * status of those calls is 200 as soon as the stream starts, so a failure arrives as a message
 * carrying `error`/`errorDetail`, and a follower that only watches for the end of the body reports
 * a failed build or push as a success, which docker-modem's followProgress does
 * (https://github.com/apocas/dockerode/issues/639, https://github.com/apocas/docker-modem/pull/146).
 * Here any such message rejects.
 */
import { SlipwayError, type ErrorKind } from "../../errors/index.ts";
import { abortable } from "./abortable.ts";
import type { JsonMessage } from "../types.ts";

export type { JsonMessage };
import { JsonLinesParser, type JsonLineProblem, type JsonObject } from "./json-lines.ts";

/** A progress stream failed: either a message reported an error, or the body could not be read. */
export class JsonStreamError extends SlipwayError {
  /** The message that carried the error, when the engine sent one. */
  readonly streamMessage: JsonMessage | undefined;

  constructor(message: string, options: ConstructorParameters<typeof SlipwayError>[1] & { streamMessage?: JsonMessage }) {
    super(message, options);
    this.streamMessage = options.streamMessage;
  }
}

export interface FollowJsonStreamOptions {
  /** Kind of the error raised when a message carries an error: "build" for builds, "registry" for pull and push. */
  kind: ErrorKind;
  /** Its stable code, e.g. `BUILD_FAILED`, `PUSH_FAILED`. */
  code: string;
  /** What the user should do about such a failure. */
  hint?: string;
  /** What the stream is about, to start the error message: "build web", "push registry.local/web:1.2". */
  what?: string;
  signal?: AbortSignal | undefined;
}

/**
 * Reads a progress body to its end and resolves with every message, in order. `onMessage` sees
 * each message as it arrives, never the one carrying an error. Rejects with a JsonStreamError of
 * the caller's kind and code on the first message carrying an error (after delivering the
 * earlier ones), with JSON_STREAM_INVALID / JSON_STREAM_TRUNCATED
 * (kind "engine") when the body is not a JSON stream, and with CancelledError on abort. The
 * source is closed whenever reading stops early.
 *
 * Only the error fields are checked: the rest of each message is trusted to match T.
 */
export async function followJsonStream<T extends JsonMessage = JsonMessage>(
  source: AsyncIterable<Uint8Array>,
  onMessage: ((message: T) => void) | undefined,
  options: FollowJsonStreamOptions,
): Promise<T[]> {
  const messages: T[] = [];
  const parser = new JsonLinesParser(
    (value) => {
      const failure = errorText(value);
      const message = value as JsonMessage as T;
      if (failure !== undefined) throw reportedError(message, failure, options);
      messages.push(message);
      onMessage?.(message);
    },
    (problem) => {
      throw unreadable(problem, options.what);
    },
  );
  for await (const chunk of abortable(source, options.signal)) parser.push(chunk);
  parser.end();
  return messages;
}

/** The error a message reports, if any. An empty errorDetail still means failure: moby treats it so. */
function errorText(value: JsonObject): string | undefined {
  const detail = value["errorDetail"];
  const error = value["error"];
  if ((detail === undefined || detail === null) && (error === undefined || error === null)) return undefined;
  const detailMessage = typeof detail === "object" && detail !== null ? (detail as { message?: unknown }).message : undefined;
  if (typeof detailMessage === "string" && detailMessage.trim() !== "") return detailMessage.trim();
  if (typeof error === "string" && error.trim() !== "") return error.trim();
  return "the engine reported an error without a message";
}

function reportedError(message: JsonMessage, text: string, options: FollowJsonStreamOptions): JsonStreamError {
  const code = message.errorDetail?.code;
  return new JsonStreamError(options.what === undefined ? text : `${capitalized(options.what)} failed: ${text}`, {
    code: options.code,
    kind: options.kind,
    ...(options.hint === undefined ? {} : { hint: options.hint }),
    details: { error: text, ...(code === undefined ? {} : { errorCode: code }) },
    streamMessage: message,
  });
}

function unreadable(problem: JsonLineProblem, what: string | undefined): JsonStreamError {
  const excerpt = problem.text.length > 200 ? `${problem.text.slice(0, 200)}…` : problem.text;
  const stream = what === undefined ? "progress stream" : `progress stream for ${what}`;
  if (problem.atEnd) {
    return new JsonStreamError(`The engine's ${stream} ended in the middle of a message (line ${problem.line}): ${excerpt}`, {
      code: "JSON_STREAM_TRUNCATED",
      kind: "engine",
      hint: "The connection to the engine was cut; retry, and check the engine's health if it happens again.",
      details: { line: problem.line, excerpt, reason: problem.reason },
    });
  }
  return new JsonStreamError(`The engine's ${stream} has a line that is not a JSON object (line ${problem.line}: ${problem.reason}): ${excerpt}`, {
    code: "JSON_STREAM_INVALID",
    kind: "engine",
    hint: "Something between Slipway and the engine (a proxy?) altered the response, or the engine is not a Docker Engine API.",
    details: { line: problem.line, excerpt, reason: problem.reason },
  });
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export { builtImageId, pushedImages, pushedDigest, type PushedImage } from "./progress-results.ts";
