// A linear well-formedness pass over a report before fast-xml-parser reads it (that parser is lenient:
// it accepts '<' in attribute values, keeps undeclared entities literally and expands DTD entities).
// It refuses what the XML 1.0 spec calls not well-formed, with line and column; refuses entity
// declarations structurally (a comment or CDATA that mentions <!ENTITY is fine); refuses nesting deeper
// than the parser's limit; and returns the text with attribute values normalized as XML does (literal
// tab/newline → space) and character references to U+0000 or surrogates replaced by U+FFFD (counted).

export class XmlProblem extends Error {
  constructor(
    public readonly kind: "corrupt" | "too_deep" | "too_many_cases",
    message: string,
  ) {
    super(message);
  }
}

/** fast-xml-parser's own limit ("Maximum nested tags exceeded"); we refuse before reaching it. */
export const MAX_XML_DEPTH = 100;

const NAME_END = /[\s/>=]/;
const PREDEFINED = new Set(["amp", "lt", "gt", "quot", "apos"]);

function lineCol(xml: string, at: number): string {
  let line = 1;
  let last = -1;
  for (let i = xml.indexOf("\n"); i !== -1 && i < at; i = xml.indexOf("\n", i + 1)) {
    line++;
    last = i;
  }
  return `line ${line}, column ${at - last}`;
}

export interface CheckedXml {
  xml: string;
  /** Character references to U+0000 or to surrogates, replaced by U+FFFD. */
  replaced: number;
}

/** `maxCases`: the most <testcase> elements allowed, refused while reading rather than after parsing them all. */
export function checkXml(xml: string, o: { maxDepth?: number; maxCases?: number } = {}): CheckedXml {
  const maxDepth = o.maxDepth ?? MAX_XML_DEPTH;
  const maxCases = o.maxCases ?? Infinity;
  let cases = 0;
  const fail = (at: number, what: string): never => {
    throw new XmlProblem("corrupt", `is not well-formed XML: ${what} (${lineCol(xml, at)})`);
  };
  const edits: { from: number; to: number; text: string }[] = [];
  let replaced = 0;

  /** Every '&' in [from, to) must start a predefined entity or a character reference. */
  const references = (from: number, to: number) => {
    for (let i = xml.indexOf("&", from); i !== -1 && i < to; i = xml.indexOf("&", i + 1)) {
      const end = xml.indexOf(";", i);
      const ref = end !== -1 && end < to && end - i <= 12 ? xml.slice(i + 1, end) : "";
      if (PREDEFINED.has(ref)) continue;
      const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
      if (num) {
        const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
        if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
          edits.push({ from: i, to: end + 1, text: "&#xFFFD;" });
          replaced++;
        }
        continue;
      }
      if (/^[A-Za-z_:][\w.:-]*$/.test(ref)) fail(i, `the entity &${ref}; is not declared (write &amp;${ref}; for a literal '&')`);
      fail(i, "'&' does not start an entity or character reference (write &amp; for a literal '&')");
    }
  };

  const stack: string[] = [];
  let rootSeen = false;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      if (stack.length === 0) {
        if (xml.slice(i, textEnd).trim()) fail(i, rootSeen ? "text after the root element" : "text before the root element");
      } else references(i, textEnd);
    }
    if (lt === -1) break;
    i = lt;
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i + 4);
      if (end === -1) fail(i, "a comment is not closed");
      i = end + 3;
    } else if (xml.startsWith("<![CDATA[", i)) {
      if (stack.length === 0) fail(i, "CDATA outside the root element");
      const end = xml.indexOf("]]>", i + 9);
      if (end === -1) fail(i, "a CDATA section is not closed");
      i = end + 3;
    } else if (xml.startsWith("<?", i)) {
      const end = xml.indexOf("?>", i + 2);
      if (end === -1) fail(i, "a processing instruction is not closed");
      i = end + 2;
    } else if (xml.startsWith("<!DOCTYPE", i)) {
      if (rootSeen || stack.length) fail(i, "a DOCTYPE after the root element started");
      i = doctype(xml, i, fail);
    } else if (xml[i + 1] === "/") {
      const end = xml.indexOf(">", i);
      if (end === -1) fail(i, "a closing tag is not closed");
      const name = xml.slice(i + 2, end).trimEnd();
      const open = stack.pop();
      if (open === undefined) fail(i, `</${name}> closes nothing`);
      if (name !== open) fail(i, `</${name}> does not match <${open}>`);
      i = end + 1;
    } else {
      if (stack.length === 0 && rootSeen) fail(i, "a second root element");
      let j = i + 1;
      while (j < n && !NAME_END.test(xml[j])) j++;
      const name = xml.slice(i + 1, j);
      if (!name || /[<&"']/.test(name)) fail(i, "'<' is not followed by a tag name (write &lt; for a literal '<')");
      const seen = new Set<string>();
      let selfClosing = false;
      for (;;) {
        while (j < n && /\s/.test(xml[j])) j++;
        if (j >= n) fail(i, `<${name}> is not closed (truncated or corrupt file)`);
        if (xml[j] === ">") break;
        if (xml.startsWith("/>", j)) {
          selfClosing = true;
          j++;
          break;
        }
        const a = j;
        while (j < n && !NAME_END.test(xml[j])) j++;
        const attr = xml.slice(a, j);
        if (!attr || /[<"'&]/.test(attr)) fail(a, `unexpected '${xml[a]}' in <${name}>`);
        if (seen.has(attr)) fail(a, `attribute ${attr} appears twice in <${name}>`);
        seen.add(attr);
        while (j < n && /\s/.test(xml[j])) j++;
        if (xml[j] !== "=") fail(j, `attribute ${attr} of <${name}> has no value`);
        j++;
        while (j < n && /\s/.test(xml[j])) j++;
        const quote = xml[j];
        if (quote !== '"' && quote !== "'") fail(j, `the value of ${attr} in <${name}> is not quoted`);
        const end = xml.indexOf(quote, j + 1);
        if (end === -1) fail(j, `the value of ${attr} in <${name}> is not closed`);
        const ltIn = xml.indexOf("<", j + 1);
        if (ltIn !== -1 && ltIn < end) fail(ltIn, `'<' in the value of ${attr} (write &lt;)`);
        const before = edits.length;
        references(j + 1, end);
        // XML attribute-value normalization: each literal tab or newline (CR LF as one) becomes a space.
        if (/[\t\n\r]/.test(xml.slice(j + 1, end))) {
          let value = "";
          let at = j + 1;
          for (const e of edits.splice(before)) {
            value += xml.slice(at, e.from) + e.text;
            at = e.to;
          }
          value += xml.slice(at, end);
          edits.push({ from: j + 1, to: end, text: value.replace(/\r\n|[\t\n\r]/g, " ") });
        }
        j = end + 1;
        if (j < n && !/[\s/>]/.test(xml[j])) fail(j, `attributes of <${name}> must be separated by a space`);
      }
      rootSeen = true;
      if ((name === "testcase" || name.endsWith(":testcase")) && ++cases > maxCases)
        throw new XmlProblem("too_many_cases", `has more than ${maxCases} test cases; split the report into several uploads`);
      if (!selfClosing) {
        stack.push(name);
        if (stack.length > maxDepth)
          throw new XmlProblem(
            "too_deep",
            `nests elements more than ${maxDepth} levels deep (${lineCol(xml, i)}); no test report needs that`,
          );
      }
      i = j + 1;
    }
  }
  if (stack.length)
    throw new XmlProblem(
      "corrupt",
      `is not well-formed XML: it ends before ${stack
        .slice(-3)
        .reverse()
        .map((t) => `<${t}>`)
        .join(", ")} ${stack.length === 1 ? "is" : "are"} closed (truncated or corrupt file)`,
    );
  if (!rootSeen) throw new XmlProblem("corrupt", "is not well-formed XML: it has no root element");
  if (!edits.length) return { xml, replaced };
  // Edits are in text order and never overlap.
  const parts: string[] = [];
  let at = 0;
  for (const e of edits) {
    parts.push(xml.slice(at, e.from), e.text);
    at = e.to;
  }
  parts.push(xml.slice(at));
  return { xml: parts.join(""), replaced };
}

/** Skips a DOCTYPE; refuses entity declarations in its internal subset (test reports never need them). */
function doctype(xml: string, start: number, fail: (at: number, what: string) => never): number {
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
      if (end === -1) fail(j, "a comment in the DOCTYPE is not closed");
      j = end + 2;
    } else if (subset && xml.startsWith("<!ENTITY", j)) {
      throw new XmlProblem("corrupt", "declares XML entities (<!ENTITY> in its DOCTYPE), which test reports must not use");
    } else if (ch === "[") subset = true;
    else if (ch === "]") subset = false;
    else if (ch === ">" && !subset) return j + 1;
  }
  return fail(start, "the DOCTYPE is not closed");
}
