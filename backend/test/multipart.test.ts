// The streaming multipart/form-data reader: parts and bodies as RFC 7578 / RFC 2046 say, the same however
// the body is cut into chunks, and a 400 naming `body` (or the field) for anything malformed or over a cap.
import { ApiError } from "../src/lib/errors";
import { MULTIPART_LIMITS, multipartBoundary, MultipartReader, readAllParts, type PartInfo } from "../src/results/multipart";
import { mulberry32 as rng } from "@testops/ado-sim/prng";

const bytes = (s: string | Uint8Array) => (typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s));

async function* chunked(body: Buffer, cuts: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const c of [...cuts, body.length]) {
    // Each chunk its own copy, as a network read would hand over.
    yield Uint8Array.from(body.subarray(at, c));
    at = c;
  }
}

type Part = PartInfo & { body: Buffer };
const simple = (parts: Part[]) => parts.map((p) => ({ name: p.name, filename: p.filename, body: p.body.toString("latin1") }));

async function refusal(p: Promise<unknown>): Promise<{ status: number; field: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.status, field: e.fields?.[0]?.field ?? "", message: e.fields?.[0]?.message ?? e.message };
  }
  throw new Error("was not refused");
}

const B = "XyZ-boundary_0123";

describe("multipartBoundary", () => {
  it.each([
    ["multipart/form-data; boundary=abc", "abc"],
    ['multipart/form-data; boundary="a b:c"', "a b:c"],
    ['multipart/form-data; charset=utf-8; BOUNDARY="q\\"x"', 'q"x'],
    ["multipart/form-data;boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW"],
  ])("reads %s", (type, boundary) => {
    if (boundary.includes('"')) expect(() => multipartBoundary(type)).toThrow(ApiError);
    else expect(multipartBoundary(type)).toBe(boundary);
  });

  it.each([
    ["multipart/form-data", "without a boundary"],
    ["multipart/form-data; boundary=", "invalid multipart boundary"],
    ['multipart/form-data; boundary="ends in space "', "invalid multipart boundary"],
    [`multipart/form-data; boundary=${"a".repeat(71)}`, "invalid multipart boundary"],
    ["multipart/form-data; boundary=a{b", "invalid multipart boundary"],
  ])("refuses %s", async (type, reason) => {
    const r = await refusal(Promise.resolve().then(() => multipartBoundary(type)));
    expect(r).toMatchObject({ status: 400, field: "body" });
    expect(r.message).toContain(reason);
  });
});

describe("MultipartReader: what it reads", () => {
  it.each<[string, string, { name: string; filename: string | null; body: string }[]]>([
    [
      "two fields and a file",
      `--${B}\r\nContent-Disposition: form-data; name="project"\r\n\r\nFabrikam\r\n` +
        `--${B}\r\nContent-Disposition: form-data; name="file"; filename="r.xml"\r\nContent-Type: text/xml\r\n\r\n<a/>\r\n` +
        `--${B}\r\ncontent-disposition: FORM-DATA; name=runName\r\n\r\n\r\n--${B}--\r\n`,
      [
        { name: "project", filename: null, body: "Fabrikam" },
        { name: "file", filename: "r.xml", body: "<a/>" },
        { name: "runName", filename: null, body: "" },
      ],
    ],
    [
      "preamble, transport padding, epilogue, no CRLF after the close delimiter",
      `This is the preamble -- with dashes, \r\n-${B} and CRLFs.\r\n--${B} \t \r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}--epilogue\r\n--${B}\r\nnot a part`,
      [{ name: "a", filename: null, body: "x" }],
    ],
    [
      "the CRLF before a delimiter is the delimiter's; a body's own CRLFs and near-boundaries are body",
      `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\nline\r\n\r\n--${B.slice(0, -1)}\r\n-${B}\r\n\r\n--${B}--`,
      [{ name: "a", filename: null, body: `\r\nline\r\n\r\n--${B.slice(0, -1)}\r\n-${B}\r\n` }],
    ],
    [
      "quoted-string escapes, browser escapes, filename* and an empty file name",
      `--${B}\r\nContent-Disposition: form-data; name="a\\"b"; filename="c\\\\d%22e.xml"\r\n\r\n1\r\n` +
        `--${B}\r\nContent-Disposition: form-data; name="f"; filename="plain.xml"; filename*=UTF-8''caf%C3%A9.xml\r\n\r\n2\r\n` +
        `--${B}\r\nContent-Disposition: form-data; name="g"; filename=""\r\n\r\n\r\n` +
        `--${B}\r\nContent-Disposition: form-data;\r\n name="folded"\r\n\r\n3\r\n--${B}--`,
      [
        { name: 'a"b', filename: 'c\\d"e.xml', body: "1" },
        { name: "f", filename: "café.xml", body: "2" },
        { name: "g", filename: "", body: "" },
        { name: "folded", filename: null, body: "3" },
      ],
    ],
    ["no parts at all", `--${B}--\r\n`, []],
  ])("%s", async (_what, body, parts) => {
    expect(simple(await readAllParts(chunked(bytes(body), []), B))).toEqual(parts);
  });

  it("hands a large part out in pieces without holding it whole", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const body = Buffer.concat([
      bytes(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="big.xml"\r\n\r\n`),
      big,
      bytes(`\r\n--${B}--\r\n`),
    ]);
    const cuts = Array.from({ length: Math.floor(body.length / 65536) }, (_, i) => (i + 1) * 65536);
    const reader = new MultipartReader(chunked(body, cuts), B);
    expect(await reader.next()).toMatchObject({ name: "file", filename: "big.xml" });
    let size = 0;
    let largest = 0;
    for (let c = await reader.read(); c; c = await reader.read()) {
      size += c.byteLength;
      largest = Math.max(largest, c.byteLength);
    }
    expect(size).toBe(big.length);
    // No piece is larger than a network chunk plus a delimiter's worth of carried-over bytes.
    expect(largest).toBeLessThanOrEqual(65536 + B.length + 4);
    expect(await reader.next()).toBeNull();
  });

  it("decodes a base64 Content-Transfer-Encoding (as the form parser did), however it is cut", async () => {
    const content = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 37) % 256));
    const encoded = content.toString("base64").replace(/.{76}/g, "$&\r\n");
    const body = bytes(
      `--${B}\r\nContent-Disposition: form-data; name="file"; filename="b.xml"\r\nContent-Transfer-Encoding: BASE64\r\n\r\n${encoded}\r\n` +
        `--${B}\r\nContent-Disposition: form-data; name="unpadded"\r\nContent-Transfer-Encoding: base64\r\n\r\nYWI\r\n--${B}--`,
    );
    const next = rng(3);
    for (let i = 0; i < 40; i++) {
      const cuts =
        i === 0
          ? []
          : [...new Set(Array.from({ length: 1 + (i % 7) }, () => 1 + Math.floor(next() * (body.length - 1))))].sort((a, b) => a - b);
      const parts = await readAllParts(chunked(body, cuts), B);
      expect(parts.map((p) => p.name)).toEqual(["file", "unpadded"]);
      expect(parts[0].body.equals(content)).toBe(true);
      expect(parts[1].body.toString()).toBe("ab");
    }
  });

  it("reads a ReadableStream too", async () => {
    const body = bytes(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--${B}--`);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(Uint8Array.from(body.subarray(0, 7)));
        ctl.enqueue(Uint8Array.from(body.subarray(7)));
        ctl.close();
      },
    });
    expect(simple(await readAllParts(stream, B))).toEqual([{ name: "a", filename: null, body: "v" }]);
  });
});

/** A random valid body: fields and files whose contents are built to contain boundary look-alikes and CRLFs. */
function randomBody(next: () => number) {
  const boundary = `b${Math.floor(next() * 1e9).toString(36)}${["", "-x", "'()+_,-./:=?", " pad"][Math.floor(next() * 4)]}`;
  const tricky = [
    "\r\n",
    "\r",
    "\n",
    "--",
    `--${boundary}`,
    `\r\n-${boundary}`,
    `\r\n--${boundary.slice(0, -1)}`,
    `\n--${boundary}`,
    "\u00e9\u20ac",
    "<x/>",
    "\0",
  ];
  const parts: { name: string; filename: string | null; body: Buffer }[] = [];
  const n = Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    let content = "";
    const len = Math.floor(next() * 12);
    for (let j = 0; j < len; j++) {
      const piece = next() < 0.5 ? tricky[Math.floor(next() * tricky.length)] : "abc".repeat(Math.floor(next() * 40));
      // A sender picks a boundary that its contents do not hold (RFC 2046): a piece completing a delimiter is left out.
      if (!(content + piece).includes(`\r\n--${boundary}`)) content += piece;
    }
    const isFile = next() < 0.5;
    parts.push({ name: `f${i}`, filename: isFile ? `r${i}.xml` : null, body: bytes(content) });
  }
  const pieces: Buffer[] = [];
  if (next() < 0.3) pieces.push(bytes("preamble text\r\n"));
  for (const p of parts) {
    pieces.push(bytes(`--${boundary}${next() < 0.2 ? " \t" : ""}\r\n`));
    pieces.push(bytes(`Content-Disposition: form-data; name="${p.name}"${p.filename === null ? "" : `; filename="${p.filename}"`}\r\n`));
    if (p.filename !== null) pieces.push(bytes("Content-Type: application/xml\r\n"));
    pieces.push(bytes("\r\n"), p.body, bytes("\r\n"));
  }
  pieces.push(bytes(`--${boundary}--`), bytes(next() < 0.5 ? "\r\n" : "\r\nepilogue\r\n"));
  return { boundary, parts, body: Buffer.concat(pieces) };
}

describe("MultipartReader: chunking never changes what is read", () => {
  it("splits bodies at every position (two chunks) and each three-way split around the delimiters", async () => {
    const next = rng(7);
    for (let i = 0; i < 12; i++) {
      const { boundary, parts, body } = randomBody(next);
      const whole = await readAllParts(chunked(body, []), boundary);
      expect(simple(whole)).toEqual(simple(parts as Part[]));
      for (let cut = 1; cut < body.length; cut++) expect(simple(await readAllParts(chunked(body, [cut]), boundary))).toEqual(simple(whole));
      // Every split point inside or next to a delimiter, paired with every later one near it.
      const marks: number[] = [];
      for (let at = body.indexOf(`--${boundary}`); at >= 0; at = body.indexOf(`--${boundary}`, at + 1))
        for (let d = -2; d <= boundary.length + 4; d++) if (at + d > 0 && at + d < body.length) marks.push(at + d);
      for (const a of marks)
        for (const b of marks)
          if (b > a && b - a < 6) expect(simple(await readAllParts(chunked(body, [a, b]), boundary))).toEqual(simple(whole));
    }
  });

  it("reads 300 random bodies cut at random places (1-byte chunks included) as when read whole", async () => {
    const next = rng(42);
    for (let i = 0; i < 300; i++) {
      const { boundary, parts, body } = randomBody(next);
      const cuts: number[] = [];
      const mode = i % 3;
      for (let at = 0; at < body.length;) {
        at += mode === 0 ? 1 : 1 + Math.floor(next() * (mode === 1 ? 8 : 200));
        if (at < body.length) cuts.push(at);
      }
      expect(simple(await readAllParts(chunked(body, cuts), boundary))).toEqual(simple(parts as Part[]));
    }
  });
});

describe("MultipartReader: malformed bodies and caps are a 400 with the reason", () => {
  const part = (name: string, value: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  it.each([
    ["not multipart at all", "<testsuite/>", "has no multipart boundary line"],
    ["another boundary", `--other\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--other--`, "has no multipart boundary line"],
    ["an empty body", "", "has no multipart boundary line"],
    ["truncated in a body", `${part("a", "x")}--${B}\r\nContent-Disposition: form-data; name="b"\r\n\r\nhalf`, "cut short"],
    ["truncated in headers", `--${B}\r\nContent-Disposition: form-da`, "cut short"],
    ["truncated after a boundary line", `${part("a", "x")}--${B}`, "cut short"],
    ["no closing delimiter", part("a", "x"), "cut short"],
    ["text after a boundary", `--${B}x\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}--`, "followed by other text"],
    ["no Content-Disposition", `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`, "without a Content-Disposition"],
    ["no headers at all", `--${B}\r\n\r\nx\r\n--${B}--`, "without a Content-Disposition"],
    ["not form-data", `--${B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--${B}--`, "is not form-data"],
    ["no name", `--${B}\r\nContent-Disposition: form-data; filename="a"\r\n\r\nx\r\n--${B}--`, "without a field name"],
    [
      "a header line without a colon",
      `--${B}\r\nContent-Disposition: form-data; name="a"\r\nbogus\r\n\r\nx\r\n--${B}--`,
      "without a name and colon",
    ],
    [
      "headers over 16 KB",
      `--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${"p".repeat(17000)}\r\n\r\nx\r\n--${B}--`,
      "longer than 16 KB",
    ],
    ["headers over 16 KB without an end", `--${B}\r\nX-Pad: ${"p".repeat(40000)}`, "longer than 16 KB"],
    ["more than 100 parts", Array.from({ length: 101 }, (_, i) => part(`p${i}`, "v")).join("") + `--${B}--`, "more than 100 parts"],
  ])("%s", async (_what, body, reason) => {
    for (const cuts of [[], [1], Array.from({ length: Math.max(0, body.length - 1) }, (_, i) => i + 1).filter((i) => i % 97 === 0)]) {
      const r = await refusal(readAllParts(chunked(bytes(body), cuts), B));
      expect(r).toMatchObject({ status: 400, field: "body" });
      expect(r.message).toContain(reason);
    }
  });

  it("exactly 100 parts and a 16 KB header block are fine", async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => part(`p${i}`, "v")).join("") + `--${B}--`;
    expect(await readAllParts(chunked(bytes(hundred), []), B)).toHaveLength(100);
    const disposition = `Content-Disposition: form-data; name="a"\r\nX-Pad: `;
    const block = disposition + "p".repeat(MULTIPART_LIMITS.headerBytes - disposition.length);
    expect(await readAllParts(chunked(bytes(`--${B}\r\n${block}\r\n\r\nx\r\n--${B}--`), [5000]), B)).toHaveLength(1);
    const over = await refusal(readAllParts(chunked(bytes(`--${B}\r\n${block}p\r\n\r\nx\r\n--${B}--`), [5000]), B));
    expect(over.message).toContain("longer than 16 KB");
  });

  it("text() refuses a field over its cap naming the field, and takes one at the cap", async () => {
    const body = (n: number) => bytes(`${part("runName", "r".repeat(n))}--${B}--`);
    const read = async (n: number) => {
      const reader = new MultipartReader(chunked(body(n), [1000, 40000]), B);
      await reader.next();
      return reader.text();
    };
    expect(await read(MULTIPART_LIMITS.fieldBytes)).toHaveLength(MULTIPART_LIMITS.fieldBytes);
    expect(await refusal(read(MULTIPART_LIMITS.fieldBytes + 1))).toEqual({
      status: 400,
      field: "runName",
      message: "is longer than 64 KB",
    });
  });

  it("a failing source is passed on, not taken for the end of the body", async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield bytes(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx`);
      throw new Error("connection reset");
    }
    await expect(readAllParts(failing(), B)).rejects.toThrow("connection reset");
  });
});
