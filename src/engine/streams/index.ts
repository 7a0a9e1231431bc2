/** Parsers for the Engine API's streaming bodies: multiplexed logs, JSON progress, tar archives. */
export { Demuxer, DemuxError, demuxStream, type DemuxedFrame, type DemuxOptions, type StreamName } from "./demux.ts";
export { LineSplitter, splitLines, type LogLine } from "./line-splitter.ts";
export { followJsonStream, JsonStreamError, type FollowJsonStreamOptions, type JsonMessage } from "./json-stream.ts";
export { builtImageId, pushedDigest, pushedImages, type PushedImage } from "./progress-results.ts";
export { ArchiveUnsafeError, extractArchive, type ExtractOptions, type ExtractResult } from "./archive.ts";
export { packDirectory, tarFromEntries, type PackDirectoryOptions, type TarEntry } from "./tar-pack.ts";
export { abortable } from "./abortable.ts";
