// A streaming multipart/form-data reader (RFC 7578 on RFC 2046): parts are handed out one at a time and
// their bodies piece by piece, so memory stays a few chunks whatever the size of a part. Anything that is
// not multipart, cut short or over a cap is a 400 naming `body` (or the field) and the reason.
import { fieldError } from "../lib/errors";
import { chunksOf } from "../lib/streams";

export const MULTIPART_LIMITS = {
  /** One part's header block. */
  headerBytes: 16 * 1024,
  /** Parts in one body. */
  parts: 100,
  /** A field read whole as text (every field but the file). */
  fieldBytes: 64 * 1024,
};
export type MultipartLimits = typeof MULTIPART_LIMITS;

export interface PartInfo {
  /** The form field's name. */
  name: string;
  /** Set for a file part (possibly ""); null for a plain field. */
  filename: string | null;
  contentType: string | null;
  /** Content-Transfer-Encoding (deprecated by RFC 7578; base64 is decoded, as the form parser did). */
  transferEncoding: string | null;
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

const bodyError = (reason: string) => fieldError("body", reason);

/** The boundary of a multipart/form-data Content-Type (token or quoted-string), checked as RFC 2046 says. */
export function multipartBoundary(contentType: string): string {
  const params = parseParams(contentType.slice(contentType.indexOf(";") + 1 || contentType.length));
  const boundary = params.get("boundary");
  if (boundary === undefined) throw bodyError("is multipart/form-data without a boundary in its Content-Type");
  if (!BCHARS.test(boundary))
    throw bodyError("has an invalid multipart boundary (1 to 70 letters, digits or '()+_,-./:=? characters, not ending in a space)");
  return boundary;
}

/** `; a=b; c="d"` parameters (names lowercased; quoted-string escapes undone). Later duplicates are ignored. */
function parseParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === ";")) i++;
  };
  while (i < s.length) {
    ws();
    const eq = s.indexOf("=", i);
    if (eq < 0) break;
    const name = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (s[i] === " " || s[i] === "\t") i++;
    let value = "";
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        // quoted-pair: the backslash takes the next character literally.
        if (s[i] === "\\" && i + 1 < s.length) i++;
        value += s[i++];
      }
      i++;
    } else {
      const end = s.indexOf(";", i);
      value = s.slice(i, end < 0 ? s.length : end).trim();
      i = end < 0 ? s.length : end;
    }
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/** Browsers (the WHATWG encoding) send `"`, CR and LF of names as %22, %0D, %0A. */
const unescapeName = (s: string) => s.replace(/%0A/gi, "\n").replace(/%0D/gi, "\r").replace(/%22/g, '"');

/** RFC 5987 `charset'lang'pct-encoded` (filename*); null when it cannot be read. */
function extValue(v: string): string | null {
  const m = /^([A-Za-z0-9!#$&+^_`{}~-]+)'[^']*'(.*)$/.exec(v);
  if (!m) return null;
  const charset = m[1]!.toLowerCase();
  try {
    if (charset === "utf-8") return decodeURIComponent(m[2]!);
    if (charset === "iso-8859-1") return m[2]!.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  } catch {
    return null;
  }
  return null;
}

function parseHeaders(block: Buffer): PartInfo {
  const lines: string[] = [];
  for (const line of new TextDecoder().decode(block).split("\r\n")) {
    // Obsolete line folding: a line starting with white space continues the previous one.
    if ((line.startsWith(" ") || line.startsWith("\t")) && lines.length) lines[lines.length - 1] += ` ${line.trim()}`;
    else if (line) lines.push(line);
  }
  let info: PartInfo | null = null;
  let contentType: string | null = null;
  let transferEncoding: string | null = null;
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw bodyError("has a part header line without a name and colon");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-type") contentType = value;
    if (name === "content-transfer-encoding") transferEncoding = value;
    if (name !== "content-disposition") continue;
    const semi = value.indexOf(";");
    if ((semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() !== "form-data")
      throw bodyError("has a part whose Content-Disposition is not form-data");
    const params = parseParams(semi < 0 ? "" : value.slice(semi + 1));
    const field = params.get("name");
    if (field === undefined) throw bodyError("has a part without a field name (Content-Disposition: form-data; name=…)");
    const star = params.get("filename*");
    const plain = params.get("filename");
    const filename = (star !== undefined ? extValue(star) : null) ?? (plain !== undefined ? unescapeName(plain) : (star ?? null));
    info = { name: unescapeName(field), filename, contentType: null, transferEncoding: null };
  }
  if (!info) throw bodyError("has a part without a Content-Disposition: form-data header");
  info.contentType = contentType;
  info.transferEncoding = transferEncoding;
  return info;
}

type State = "preamble" | "boundary" | "headers" | "body" | "done" | "ended";

/**
 * Reads a multipart/form-data body. Call next() for each part (it skips what is left of the previous one),
 * then read() for its body until null, or text() for a small field.
 */
export class MultipartReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private readonly delimiter: Buffer;
  // The first boundary line may open the body: reading starts after a virtual CRLF, so every delimiter is CRLF--boundary.
  private buf: Buffer = Buffer.from(CRLF);
  private at = 0;
  private state: State = "preamble";
  private parts = 0;
  private current: PartInfo | null = null;
  /** Base64 characters of the current part not decoded yet (fewer than 4). */
  private base64: string | null = null;

  constructor(
    source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    boundary: string,
    private readonly limits: MultipartLimits = MULTIPART_LIMITS,
  ) {
    this.source = (Symbol.asyncIterator in source ? source : chunksOf(source))[Symbol.asyncIterator]();
    this.delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
  }

  /** The next part's name and file name, or null after the closing boundary. */
  async next(): Promise<PartInfo | null> {
    while (this.state === "body") await this.read();
    if (this.state === "preamble") {
      for (;;) {
        const i = this.buf.indexOf(this.delimiter, this.at);
        if (i >= 0) {
          this.at = i + this.delimiter.length;
          this.state = "boundary";
          break;
        }
        this.at = Math.max(this.at, this.buf.length - this.delimiter.length + 1);
        if (!(await this.pull())) throw bodyError("has no multipart boundary line (not multipart/form-data, or another boundary)");
      }
    }
    if (this.state === "boundary") await this.afterDelimiter();
    if (this.state === "done") {
      // The epilogue is ignored; it is read so that the sender's request completes.
      while (await this.pull()) this.at = this.buf.length;
      this.state = "ended";
    }
    if (this.state === "ended") return null;
    if (++this.parts > this.limits.parts) throw bodyError(`has more than ${this.limits.parts} parts`);
    let end: number;
    for (;;) {
      // An empty header block is its own CRLF; else the block ends with an empty line.
      if ((await this.ensure(2)) && this.buf[this.at] === 0x0d && this.buf[this.at + 1] === 0x0a) {
        end = this.at;
        break;
      }
      end = this.buf.indexOf(HEADER_END, this.at);
      if (end >= 0 || this.buf.length - this.at > this.limits.headerBytes + 2) break;
      if (!(await this.pull())) throw truncated();
    }
    if (end < 0 || end - this.at > this.limits.headerBytes)
      throw bodyError(`has a part whose headers are longer than ${this.limits.headerBytes / 1024} KB`);
    const info = parseHeaders(this.buf.subarray(this.at, end));
    this.at = end === this.at ? end + 2 : end + 4;
    this.state = "body";
    this.current = info;
    this.base64 = info.transferEncoding?.toLowerCase() === "base64" ? "" : null;
    return info;
  }

  /** The next piece of the current part's body (a view, valid until the caller's next read), or null at its end. */
  async read(): Promise<Uint8Array | null> {
    if (this.base64 === null) return this.readRaw();
    for (;;) {
      const raw = await this.readRaw();
      if (!raw) {
        const last = this.base64 ? Buffer.from(this.base64, "base64") : null;
        this.base64 = null;
        return last?.byteLength ? last : null;
      }
      // Whole groups of four are decoded as they come (line breaks and other non-alphabet bytes are skipped).
      const text: string =
        this.base64 +
        Buffer.from(raw)
          .toString("latin1")
          .replace(/[^A-Za-z0-9+/=_-]/g, "");
      const whole = text.length - (text.length % 4);
      this.base64 = text.slice(whole);
      const out = Buffer.from(text.slice(0, whole), "base64");
      if (out.byteLength) return out;
    }
  }

  private async readRaw(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.state !== "body") return null;
      const i = this.buf.indexOf(this.delimiter, this.at);
      if (i > this.at) return this.take(i);
      if (i === this.at) {
        this.at += this.delimiter.length;
        this.state = "boundary";
        await this.afterDelimiter();
        return null;
      }
      // Everything but a tail that could be the start of the delimiter is body.
      const safe = this.buf.length - this.delimiter.length + 1;
      if (safe > this.at) return this.take(safe);
      if (!(await this.pull())) throw truncated();
    }
  }

  /** The current part's body as UTF-8 text, refused over `max` bytes naming the field. */
  async text(max = this.limits.fieldBytes): Promise<string> {
    const name = this.current?.name ?? "body";
    const decoder = new TextDecoder();
    let out = "";
    let size = 0;
    for (let chunk = await this.read(); chunk; chunk = await this.read()) {
      size += chunk.byteLength;
      if (size > max) throw fieldError(name, `is longer than ${max / 1024} KB`);
      out += decoder.decode(chunk, { stream: true });
    }
    return out + decoder.decode();
  }

  /** Stops reading: the rest of the body is not wanted. */
  async cancel(): Promise<void> {
    this.state = "ended";
    await this.source.return?.().catch(() => undefined);
  }

  private take(end: number): Uint8Array {
    const chunk = this.buf.subarray(this.at, end);
    this.at = end;
    return chunk;
  }

  /** After `CRLF--boundary`: `--` closes the body; else optional padding (spaces, tabs) and CRLF open a part. */
  private async afterDelimiter(): Promise<void> {
    if (!(await this.ensure(2))) throw truncated();
    if (this.buf[this.at] === 0x2d && this.buf[this.at + 1] === 0x2d) {
      this.at += 2;
      this.state = "done";
      return;
    }
    for (let padding = 0; ; padding++) {
      if (!(await this.ensure(2))) throw truncated();
      const c = this.buf[this.at];
      if (c !== 0x20 && c !== 0x09) break;
      if (padding > this.limits.headerBytes) throw bodyError("has a boundary line followed by too much white space");
      this.at++;
    }
    if (this.buf[this.at] !== 0x0d || this.buf[this.at + 1] !== 0x0a)
      throw bodyError("has a boundary line followed by other text (the boundary occurs inside a part)");
    this.at += 2;
    this.state = "headers";
  }

  /** At least n unread bytes buffered; false when the body ends first. */
  private async ensure(n: number): Promise<boolean> {
    while (this.buf.length - this.at < n) if (!(await this.pull())) return false;
    return true;
  }

  private async pull(): Promise<boolean> {
    let r: IteratorResult<Uint8Array>;
    do r = await this.source.next();
    while (!r.done && !r.value.byteLength);
    if (r.done) return false;
    // Only the unread tail (at most a delimiter or a header block) is copied along with the new chunk.
    this.buf =
      this.at >= this.buf.length
        ? Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
        : Buffer.concat([this.buf.subarray(this.at), r.value]);
    this.at = 0;
    return true;
  }
}

const truncated = () => bodyError("ends before the closing multipart boundary (the upload was cut short)");

/** Every part of a body read whole (tests, small bodies). */
export async function readAllParts(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  boundary: string,
  limits?: MultipartLimits,
): Promise<(PartInfo & { body: Buffer })[]> {
  const reader = new MultipartReader(source, boundary, limits);
  const out: (PartInfo & { body: Buffer })[] = [];
  for (let part = await reader.next(); part; part = await reader.next()) {
    const chunks: Uint8Array[] = [];
    for (let c = await reader.read(); c; c = await reader.read()) chunks.push(Uint8Array.from(c));
    out.push({ ...part, body: Buffer.concat(chunks) });
  }
  return out;
}
