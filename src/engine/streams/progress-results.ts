/**
 * What a finished build or push stream produced. Both the structured `aux` message and the older
 * human-readable line are understood, because engines before API 1.30-ish, and the classic
 * builder in some modes, only print the line.
 */
import type { JsonMessage } from "../types.ts";

/**
 * The ID of the image a build produced: the last `{"aux":{"ID":"sha256:…"}}` (both builders send
 * it), else the legacy "Successfully built <short id>" line, else undefined (the build did not
 * finish; a failure would already have rejected in followJsonStream).
 */
export function builtImageId(messages: Iterable<JsonMessage>): string | undefined {
  let fromAux: string | undefined;
  let fromText: string | undefined;
  for (const message of messages) {
    const aux = message.aux;
    // BuildKit also sends `aux` as a base64 string (moby.buildkit.trace): only objects carry the ID.
    if (typeof aux === "object" && aux !== null && typeof (aux as { ID?: unknown }).ID === "string") {
      fromAux = (aux as { ID: string }).ID;
    }
    const built = typeof message.stream === "string" ? /^Successfully built ([0-9a-f]{12,64})\s*$/m.exec(message.stream) : null;
    if (built?.[1] !== undefined) fromText = built[1];
  }
  return fromAux ?? fromText;
}

export interface PushedImage {
  tag: string;
  digest: string;
  size: number;
}

/**
 * Every tag a push stream reports as pushed, from `{"aux":{"Tag","Digest","Size"}}`, or, when the
 * engine sent no aux at all, from the "<tag>: digest: sha256:… size: N" status lines.
 */
export function pushedImages(messages: Iterable<JsonMessage>): PushedImage[] {
  const fromAux: PushedImage[] = [];
  const fromStatus: PushedImage[] = [];
  for (const message of messages) {
    const aux = message.aux;
    if (typeof aux === "object" && aux !== null) {
      const { Tag, Digest, Size } = aux as { Tag?: unknown; Digest?: unknown; Size?: unknown };
      if (typeof Tag === "string" && typeof Digest === "string") {
        fromAux.push({ tag: Tag, digest: Digest, size: typeof Size === "number" ? Size : 0 });
      }
    }
    const status = typeof message.status === "string" ? /^(.+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(message.status.trim()) : null;
    if (status?.[1] !== undefined && status[2] !== undefined && status[3] !== undefined) {
      fromStatus.push({ tag: status[1], digest: status[2], size: Number(status[3]) });
    }
  }
  return fromAux.length > 0 ? fromAux : fromStatus;
}

/** The digest a push produced for `tag`, or for the last tag pushed when `tag` is omitted. */
export function pushedDigest(messages: Iterable<JsonMessage>, tag?: string): string | undefined {
  const pushed = pushedImages(messages);
  const match = tag === undefined ? pushed.at(-1) : pushed.findLast((p) => p.tag === tag);
  return match?.digest;
}
