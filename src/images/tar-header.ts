/**
 * Tar headers for a build context, as Go's archive/tar writes them for the docker CLI: USTAR where
 * the fields can hold the entry (a long name split into prefix and name at a `/`), a PAX header
 * (`path`, `linkpath`, `size` records) where they cannot or where a name is not ASCII. Owner root,
 * as the docker CLI sends it.
 */

export const TAR_BLOCK = 512;

export type TarEntryType = "file" | "directory" | "symlink";

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  size?: number;
  linkname?: string;
}

const TYPE_FLAG: Record<TarEntryType, string> = { file: "0", directory: "5", symlink: "2" };
/** The largest value an 11-digit octal field holds (8 GiB − 1 for a size). */
const OCTAL_11_MAX = 0o77777777777;

// eslint-disable-next-line no-control-regex
const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

/** A USTAR name field pair (prefix, name) for a path, or undefined when only PAX can hold it. */
function ustarName(name: string): [string, string] | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return ["", name];
  // Split at a `/` so the prefix takes at most 155 bytes and the rest at most 100 (not empty).
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== "/") continue;
    if (i > 155) continue;
    const rest = name.slice(i + 1);
    if (rest.length === 0 || rest.length > 100) return undefined;
    return [name.slice(0, i), rest];
  }
  return undefined;
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, "utf8");
}

/** An octal number field: `digits` octal digits and a NUL. */
function writeOctal(block: Buffer, offset: number, digits: number, value: number): void {
  block.write(`${value.toString(8).padStart(digits, "0")}\0`, offset, digits + 1, "ascii");
}

/** One PAX record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length + bodyLength !== length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

function ustarHeader(block: Buffer, offset: number, fields: { name: [string, string]; type: string; mode: number; mtime: number; size: number; linkname: string }): void {
  block.fill(0, offset, offset + TAR_BLOCK);
  writeString(block, offset, 100, fields.name[1]);
  writeOctal(block, offset + 100, 7, fields.mode & 0o7777);
  writeOctal(block, offset + 108, 7, 0); // uid
  writeOctal(block, offset + 116, 7, 0); // gid
  writeOctal(block, offset + 124, 11, fields.size);
  writeOctal(block, offset + 136, 11, fields.mtime);
  block.write(fields.type, offset + 156, 1, "ascii");
  writeString(block, offset + 157, 100, fields.linkname);
  block.write("ustar\x0000", offset + 257, 8, "ascii");
  writeString(block, offset + 345, 155, fields.name[0]);
  // The checksum: the sum of the header's bytes with its own field read as spaces.
  block.fill(0x20, offset + 148, offset + 156);
  let sum = 0;
  for (let i = offset; i < offset + TAR_BLOCK; i++) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, offset + 148, 8, "ascii");
}

/** The bytes of an entry's header: one USTAR block, preceded by a PAX header and its records when needed. */
export function encodeHeader(header: TarHeader): Buffer {
  const size = header.type === "file" ? (header.size ?? 0) : 0;
  const mtime = Math.min(Math.max(Math.floor(header.mtime), 0), OCTAL_11_MAX);
  const linkname = header.linkname ?? "";
  const records: string[] = [];
  let name = ustarName(header.name);
  if (name === undefined) {
    records.push(paxRecord("path", header.name));
    name = ["", Buffer.from(header.name).subarray(0, 100).toString("latin1").replace(/[^\x20-\x7e]/g, "_")];
  }
  let link = linkname;
  if (!isAscii(linkname) || Buffer.byteLength(linkname) > 100) {
    records.push(paxRecord("linkpath", linkname));
    link = "";
  }
  let sizeField = size;
  if (size > OCTAL_11_MAX) {
    records.push(paxRecord("size", String(size)));
    sizeField = 0;
  }
  if (records.length === 0) {
    const block = Buffer.alloc(TAR_BLOCK);
    ustarHeader(block, 0, { name, type: TYPE_FLAG[header.type], mode: header.mode, mtime, size: sizeField, linkname: link });
    return block;
  }
  const pax = Buffer.from(records.join(""));
  const paxPadded = Math.ceil(pax.length / TAR_BLOCK) * TAR_BLOCK;
  const out = Buffer.alloc(TAR_BLOCK + paxPadded + TAR_BLOCK);
  const paxName = `PaxHeaders.0/${name[1]}`.slice(0, 100);
  ustarHeader(out, 0, { name: ["", paxName], type: "x", mode: 0o644, mtime, size: pax.length, linkname: "" });
  pax.copy(out, TAR_BLOCK);
  ustarHeader(out, TAR_BLOCK + paxPadded, { name, type: TYPE_FLAG[header.type], mode: header.mode, mtime, size: sizeField, linkname: link });
  return out;
}

/** Bytes of zeros after `size` bytes of content, up to the next 512-byte boundary. */
export function paddingAfter(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}
