// An incremental XML tokenizer for test reports: text is written in chunks of any size, and elements,
// text and CDATA come out as events while it reads, so a report is parsed in memory bounded by its
// largest single token rather than by the file. It is strict where the XML 1.0 spec says a document is
// not well-formed (with line and column), refuses entity declarations structurally (a comment or CDATA
// that mentions <!ENTITY is fine), refuses nesting deeper than MAX_XML_DEPTH, normalizes attribute
// values as XML does (literal tab/newline → space) and decodes references itself (character references
// to U+0000 or to surrogates become U+FFFD, counted in `replaced`).
export class XmlProblem extends Error {
  constructor(
    public readonly kind: "corrupt" | "too_deep",
    message: string,
  ) {
    super(message);
  }
}

export const MAX_XML_DEPTH = 100;

export interface XmlEvents {
  open(name: string, attrs: [string, string][], selfClosing: boolean): void;
  close(name: string): void;
  /** Decoded character data (a long text may come in several pieces). */
  text(text: string): void;
}

const PREDEFINED = new Map([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["apos", "'"],
]);
const isSpace = (c: string | undefined) => c === " " || c === "\n" || c === "\t" || c === "\r";
const isNameEnd = (c: string) => c === "=" || c === ">" || c === "/" || isSpace(c);

/** Thrown inside the tokenizer when a token is not complete yet and more text may follow. */
const INCOMPLETE = Symbol("incomplete");

export class XmlTokenizer {
  /** Character references to U+0000, surrogates or beyond U+10FFFF, replaced by U+FFFD. */
  replaced = 0;
  private buf = "";
  private pos = 0;
  /** Chunks waiting because the token in progress needs `waitFor` to appear first (keeps long tokens linear). */
  private pending: string[] = [];
  private waitFor: string | null = null;
  private tail = "";
  /** Position of buf[0] in the document, for line and column. */
  private baseLine = 1;
  private baseCol = 0;
  private readonly stack: string[] = [];
  private rootSeen = false;
  private readonly maxDepth: number;

  constructor(
    private readonly on: XmlEvents,
    o: { maxDepth?: number } = {},
  ) {
    this.maxDepth = o.maxDepth ?? MAX_XML_DEPTH;
  }

  write(chunk: string): void {
    if (!chunk) return;
    if (this.waitFor) {
      const seen = (this.tail + chunk).includes(this.waitFor);
      this.pending.push(chunk);
      this.tail = chunk.slice(-8);
      if (!seen) return;
    } else this.pending.push(chunk);
    this.run(false);
  }

  end(): void {
    this.run(true);
    const { stack } = this;
    if (stack.length)
      throw new XmlProblem(
        "corrupt",
        `is not well-formed XML: it ends before ${stack
          .slice(-3)
          .reverse()
          .map((t) => `<${t}>`)
          .join(", ")} ${stack.length === 1 ? "is" : "are"} closed (truncated or corrupt file)`,
      );
    if (!this.rootSeen) throw new XmlProblem("corrupt", "is not well-formed XML: it has no root element");
  }

  private lineCol(at: number): string {
    let line = this.baseLine;
    let last = -1;
    for (let i = this.buf.indexOf("\n"); i !== -1 && i < at; i = this.buf.indexOf("\n", i + 1)) {
      line++;
      last = i;
    }
    return `line ${line}, column ${last === -1 ? this.baseCol + at + 1 : at - last}`;
  }

  private fail(at: number, what: string): never {
    throw new XmlProblem("corrupt", `is not well-formed XML: ${what} (${this.lineCol(at)})`);
  }

  /** Drops what was read, keeping line and column of what remains. */
  private compact(): void {
    if (this.pos === 0) return;
    const done = this.buf.slice(0, this.pos);
    const nl = done.lastIndexOf("\n");
    if (nl === -1) this.baseCol += done.length;
    else {
      for (let i = done.indexOf("\n"); i !== -1; i = done.indexOf("\n", i + 1)) this.baseLine++;
      this.baseCol = done.length - nl - 1;
    }
    this.buf = this.buf.slice(this.pos);
    this.pos = 0;
  }

  private run(final: boolean): void {
    this.compact();
    if (this.pending.length) {
      this.buf += this.pending.join("");
      this.pending = [];
    }
    this.waitFor = null;
    this.tail = "";
    const xml = this.buf;
    const n = xml.length;
    const need = (terminator: string): never => {
      if (final) throw new Error("unreachable");
      this.waitFor = terminator;
      this.tail = xml.slice(-8);
      throw INCOMPLETE;
    };
    try {
      while (this.pos < n) {
        const i = this.pos;
        const lt = xml.indexOf("<", i);
        const textEnd = lt === -1 ? n : lt;
        if (textEnd > i) {
          // A reference cut by the chunk's end waits for the rest.
          let upTo = textEnd;
          if (lt === -1 && !final) {
            const amp = xml.lastIndexOf("&", n - 1);
            if (amp >= i && xml.indexOf(";", amp) === -1 && n - amp <= 12) upTo = amp;
          }
          if (upTo > i) {
            if (this.stack.length === 0) {
              if (xml.slice(i, upTo).trim()) this.fail(i, this.rootSeen ? "text after the root element" : "text before the root element");
            } else this.on.text(this.decode(i, upTo));
          }
          this.pos = upTo;
          if (lt === -1) {
            if (upTo < n) need(";");
            break;
          }
        }
        // A token retried once more text came must not count its replacements twice.
        const replaced = this.replaced;
        try {
          this.pos = this.token(xml, lt, final, need);
        } catch (e) {
          if (e === INCOMPLETE) this.replaced = replaced;
          throw e;
        }
      }
    } catch (e) {
      if (e !== INCOMPLETE) throw e;
    }
  }

  /** Reads the markup at `i` ('<'); returns where the next token starts. */
  private token(xml: string, i: number, final: boolean, need: (t: string) => never): number {
    const n = xml.length;
    // "<!--", "<![CDATA[", "<!DOCTYPE" or "<?" may still be cut by the chunk's end.
    if (!final && n - i < 9 && (i + 1 >= n || xml[i + 1] === "!" || xml[i + 1] === "?")) need(">");
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i + 4);
      if (end === -1) return final ? this.fail(i, "a comment is not closed") : need("-->");
      return end + 3;
    }
    if (xml.startsWith("<![CDATA[", i)) {
      if (this.stack.length === 0) this.fail(i, "CDATA outside the root element");
      const end = xml.indexOf("]]>", i + 9);
      if (end === -1) return final ? this.fail(i, "a CDATA section is not closed") : need("]]>");
      if (end > i + 9) this.on.text(xml.slice(i + 9, end));
      return end + 3;
    }
    if (n - i < 2 && !final) need(">");
    if (xml.startsWith("<?", i)) {
      const end = xml.indexOf("?>", i + 2);
      if (end === -1) return final ? this.fail(i, "a processing instruction is not closed") : need("?>");
      return end + 2;
    }
    if (xml.startsWith("<!DOCTYPE", i)) {
      if (this.rootSeen || this.stack.length) this.fail(i, "a DOCTYPE after the root element started");
      const end = this.doctype(xml, i, final);
      return end === -1 ? need(">") : end;
    }
    if (xml[i + 1] === "/") {
      const end = xml.indexOf(">", i);
      if (end === -1) return final ? this.fail(i, "a closing tag is not closed") : need(">");
      const name = xml.slice(i + 2, end).trimEnd();
      const open = this.stack.pop();
      if (open === undefined) this.fail(i, `</${name}> closes nothing`);
      if (name !== open) this.fail(i, `</${name}> does not match <${open}>`);
      this.on.close(name);
      return end + 1;
    }
    return this.startTag(xml, i, final, need);
  }

  private truncated(i: number, name: string, final: boolean, need: (t: string) => never): never {
    return final ? this.fail(i, `<${name}> is not closed (truncated or corrupt file)`) : need(">");
  }

  private startTag(xml: string, i: number, final: boolean, need: (t: string) => never): number {
    const n = xml.length;
    if (this.stack.length === 0 && this.rootSeen) this.fail(i, "a second root element");
    let j = i + 1;
    while (j < n && !isNameEnd(xml[j])) j++;
    const name = xml.slice(i + 1, j);
    if (j >= n && !final) need(">");
    if (!name || /[<&"']/.test(name)) this.fail(i, "'<' is not followed by a tag name (write &lt; for a literal '<')");
    const attrs: [string, string][] = [];
    let selfClosing = false;
    for (;;) {
      while (j < n && isSpace(xml[j])) j++;
      if (j >= n) return this.truncated(i, name, final, need);
      if (xml[j] === ">") break;
      if (xml[j] === "/" && j + 1 >= n) return this.truncated(i, name, final, need);
      if (xml.startsWith("/>", j)) {
        selfClosing = true;
        j++;
        break;
      }
      const a = j;
      while (j < n && !isNameEnd(xml[j])) j++;
      if (j >= n) return this.truncated(i, name, final, need);
      const attr = xml.slice(a, j);
      if (!attr || /[<"'&]/.test(attr)) this.fail(a, `unexpected '${xml[a]}' in <${name}>`);
      // Tags have few attributes: a scan beats a Set per tag.
      for (const [seen] of attrs) if (seen === attr) this.fail(a, `attribute ${attr} appears twice in <${name}>`);
      while (j < n && isSpace(xml[j])) j++;
      if (j >= n) return this.truncated(i, name, final, need);
      if (xml[j] !== "=") this.fail(j, `attribute ${attr} of <${name}> has no value`);
      j++;
      while (j < n && isSpace(xml[j])) j++;
      if (j >= n) return this.truncated(i, name, final, need);
      const quote = xml[j];
      if (quote !== '"' && quote !== "'") this.fail(j, `the value of ${attr} in <${name}> is not quoted`);
      const end = xml.indexOf(quote, j + 1);
      if (end === -1) {
        if (!final) need(quote);
        this.fail(j, `the value of ${attr} in <${name}> is not closed`);
      }
      const ltIn = xml.indexOf("<", j + 1);
      if (ltIn !== -1 && ltIn < end) this.fail(ltIn, `'<' in the value of ${attr} (write &lt;)`);
      attrs.push([attr, this.decode(j + 1, end, true)]);
      j = end + 1;
      if (j >= n) return this.truncated(i, name, final, need);
      if (!/[\s/>]/.test(xml[j])) this.fail(j, `attributes of <${name}> must be separated by a space`);
    }
    this.rootSeen = true;
    if (!selfClosing) {
      this.stack.push(name);
      if (this.stack.length > this.maxDepth)
        throw new XmlProblem(
          "too_deep",
          `nests elements more than ${this.maxDepth} levels deep (${this.lineCol(i)}); no test report needs that`,
        );
    }
    this.on.open(name, attrs, selfClosing);
    if (selfClosing) this.on.close(name);
    return j + 1;
  }

  /**
   * The text of buf[from, to) with references decoded; every '&' must start a predefined entity or a
   * character reference. Attribute values are normalized first: each literal tab or newline (CR LF as
   * one) becomes a space, so references to them stay.
   */
  private decode(from: number, to: number, attribute = false): string {
    const xml = this.buf;
    let raw = xml.slice(from, to);
    if (attribute && /[\t\n\r]/.test(raw)) raw = raw.replace(/\r\n|[\t\n\r]/g, " ");
    let amp = raw.indexOf("&");
    if (amp === -1) return raw;
    let out = "";
    let at = 0;
    for (; amp !== -1; amp = raw.indexOf("&", at)) {
      const end = raw.indexOf(";", amp);
      const ref = end !== -1 && end - amp <= 12 ? raw.slice(amp + 1, end) : "";
      // Positions for messages: attribute normalization keeps lengths (CR LF → one space aside, rare).
      const where = from + amp;
      let ch = PREDEFINED.get(ref) ?? "";
      if (!ch) {
        const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
        if (num) {
          const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
          if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
            ch = "\uFFFD";
            this.replaced++;
          } else ch = String.fromCodePoint(cp);
        } else if (/^[A-Za-z_:][\w.:-]*$/.test(ref))
          this.fail(where, `the entity &${ref}; is not declared (write &amp;${ref}; for a literal '&')`);
        else this.fail(where, "'&' does not start an entity or character reference (write &amp; for a literal '&')");
      }
      out += raw.slice(at, amp) + ch;
      at = end + 1;
    }
    return out + raw.slice(at);
  }

  /** The end of a DOCTYPE (-1: not complete yet); refuses entity declarations in its internal subset. */
  private doctype(xml: string, start: number, final: boolean): number {
    let j = start + 9;
    let quote: string | null = null;
    let subset = false;
    for (; j < xml.length; j++) {
      const ch = xml[j];
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (subset && xml.startsWith("<!--", j)) {
        const end = xml.indexOf("-->", j + 4);
        if (end === -1) {
          if (!final) return -1;
          this.fail(j, "a comment in the DOCTYPE is not closed");
        }
        j = end + 2;
      } else if (subset && xml.startsWith("<!ENTITY", j)) {
        throw new XmlProblem("corrupt", "declares XML entities (<!ENTITY> in its DOCTYPE), which test reports must not use");
      } else if (subset && !final && xml.length - j < 8 && "<!ENTITY".startsWith(xml.slice(j))) return -1;
      else if (ch === "[") subset = true;
      else if (ch === "]") subset = false;
      else if (ch === ">" && !subset) return j + 1;
    }
    if (!final) return -1;
    return this.fail(start, "the DOCTYPE is not closed");
  }
}
