// JUnit XML (and its flavours: xUnit, pytest, jest-junit, mocha, bazel, scalatest, tst, Katalon) to
// test results. Pure: bytes in, a report or a JUnitParseError with a reason a person can act on.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { RESULTS_LIMITS, type Outcome, type Totals } from "../schemas/results";

export type JUnitErrorKind = "missing" | "empty" | "too_large" | "not_xml" | "corrupt" | "not_junit" | "too_many_cases";

export class JUnitParseError extends Error {
  constructor(
    public readonly kind: JUnitErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "JUnitParseError";
  }
}

export interface ParsedCase {
  /** Innermost suite name ("" when it has none). */
  suite: string;
  className: string | null;
  /** Where the test lives: Katalon "Test Cases/<folders>", else the class name, else the suite name. */
  path: string;
  name: string;
  /** Automated test name: Katalon test case id, else "<class>.<name>". */
  fullName: string;
  file: string | null;
  outcome: Outcome;
  durationMs: number | null;
  message: string | null;
  stack: string | null;
  /** Work items named by `<property name="workitem" value="123"/>` on the test case or an enclosing suite. */
  workItemIds: number[];
}

/** Counts in the terms of JUnit reporting tools: tests are distinct (class, name), runs are executions. */
export interface JUnitStats {
  suites: number;
  /** Whole seconds, from the top-level suites' `time`. */
  duration: number;
  tests: number;
  tests_succ: number;
  tests_skip: number;
  tests_fail: number;
  tests_error: number;
  runs: number;
  runs_succ: number;
  runs_skip: number;
  runs_fail: number;
  runs_error: number;
}

export interface ParsedReport {
  format: "katalon" | "junit";
  /** Name of the root element's suite(s), a default run name. */
  name: string | null;
  hostname: string | null;
  startedAt: Date | null;
  durationMs: number | null;
  cases: ParsedCase[];
  totals: Totals;
  stats: JUnitStats;
}

/** The attributes we read (fast-xml-parser gives every attribute as a string: parseAttributeValue is off). */
interface XmlNode {
  name?: string;
  classname?: string;
  file?: string;
  time?: string;
  tests?: string;
  failures?: string;
  errors?: string;
  skipped?: string;
  disabled?: string;
  timestamp?: string;
  hostname?: string;
  status?: string;
  message?: string;
  value?: string;
  "#text"?: string;
}
type Attrs = XmlNode;
interface Properties {
  properties?: { property?: Property[] }[];
}
interface Suite extends Properties, Omit<XmlNode, "skipped"> {
  skipped?: string;
  testsuite?: Suite[];
  testcase?: Case[];
}
interface Case extends Properties, Omit<XmlNode, "skipped"> {
  failure?: XmlNode[];
  error?: XmlNode[];
  skipped?: XmlNode[];
}
type Property = XmlNode;

const ARRAYS = new Set(["testsuite", "testcase", "failure", "error", "skipped", "properties", "property"]);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  // Also decodes numeric references (&#xa; in Katalon messages).
  htmlEntities: true,
  isArray: (name, _jpath, _leaf, isAttribute) => !isAttribute && ARRAYS.has(name),
});

/** Bytes to text: BOMs and the XML declaration's encoding are honoured (UTF-8 when unknown). */
export function decodeXml(input: Uint8Array): string {
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) return new TextDecoder("utf-8").decode(input.subarray(3));
  if (input[0] === 0xff && input[1] === 0xfe) return new TextDecoder("utf-16le").decode(input.subarray(2));
  if (input[0] === 0xfe && input[1] === 0xff) return new TextDecoder("utf-16be").decode(input.subarray(2));
  const head = new TextDecoder("latin1").decode(input.subarray(0, 200));
  const enc = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(enc && !/^utf-?16/i.test(enc) ? enc : "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(input);
}

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const s = v.trim().replace(/,(?=\d{3}(\D|$))/g, "");
  if (!s) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};
const count = (v: string | undefined): number => {
  const n = num(v);
  return n !== null && n > 0 ? Math.floor(n) : 0;
};
const text = (v: unknown): string => (typeof v === "string" ? v : v && typeof v === "object" && "#text" in v ? String(v["#text"]) : "");

/** Suite timestamps seen in the wild: ISO (with or without zone), "2018-10-24 17:24:59", day-first "18-11-2024T01:21:51", RFC 1123. */
export function parseTimestamp(v: string | undefined): Date | null {
  if (!v) return null;
  let s = v.trim();
  const dayFirst = /^(\d{2})-(\d{2})-(\d{4})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(.*)$/.exec(s);
  if (dayFirst) s = `${dayFirst[3]}-${dayFirst[2]}-${dayFirst[1]}T${dayFirst[4]}${dayFirst[5]}`;
  s = s.replace(/^(\d{4}-\d{2}-\d{2})[ T]+(\d)/, "$1T$2").replace(/\s*UTC$/i, "Z");
  // No zone: JUnit writers mostly use UTC (and a server must not depend on its own zone).
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += "Z";
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t) : null;
}

/** Keeps the start of long text and says how much was cut. */
export function trimText(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  const t = s.replace(/\r\n?/g, "\n").trim();
  if (!t) return null;
  if (t.length <= max) return t;
  const note = `\n… (${t.length - max} more characters trimmed)`;
  return t.slice(0, max - note.length) + note;
}

const WORK_ITEM_PROPERTY = /^work[-_ ]?items?$/i;

/** `<property name="workitem" value="123, AB#456"/>` (or the value as text): work item ids. */
export function workItemIdsOf(properties: Property[]): number[] {
  const out: number[] = [];
  for (const p of properties) {
    if (!WORK_ITEM_PROPERTY.test((p.name ?? "").trim())) continue;
    for (const token of (p.value ?? text(p)).split(/[\s,;]+/)) {
      const m = /^(?:[A-Za-z][\w-]*)?#?(\d{1,10})$/.exec(token.trim());
      const id = m ? Number(m[1]) : NaN;
      if (id > 0 && id <= 2_147_483_647 && !out.includes(id)) out.push(id);
    }
  }
  return out;
}

const propsOf = (n: { properties?: { property?: Property[] }[] }): Property[] => (n.properties ?? []).flatMap((p) => p.property ?? []);

const SKIPPED_STATUSES = new Set(["disabled", "skipped", "notrun", "ignored"]);

/** The most severe result of a test case: error > failure > skipped > passed (several results may coexist). */
function caseOutcome(c: Case): { outcome: Outcome; results: XmlNode[] } {
  if (c.error?.length) return { outcome: "error", results: c.error };
  if (c.failure?.length) return { outcome: "failed", results: c.failure };
  if (c.skipped?.length) return { outcome: "skipped", results: c.skipped };
  if (SKIPPED_STATUSES.has((c.status ?? "").trim().toLowerCase())) return { outcome: "skipped", results: [] };
  return { outcome: "passed", results: [] };
}

function failureText(results: XmlNode[]): { message: string | null; stack: string | null } {
  const messages = results.map((r) => (r.message ?? "").trim()).filter(Boolean);
  const bodies = results.map((r) => text(r).trim()).filter(Boolean);
  let message = messages.join("\n") || null;
  let stack = bodies.join("\n") || null;
  // Katalon puts the whole stack in the message attribute: first line as the message, the rest as the stack.
  if (message && !stack && message.includes("\n")) {
    stack = message;
    message = message.split("\n")[0];
  }
  if (!message && stack) message = stack.split("\n").find((l) => l.trim()) ?? null;
  return { message: trimText(message, RESULTS_LIMITS.message), stack: trimText(stack, RESULTS_LIMITS.stack) };
}

/** Katalon names a result by its test case id: "Test Cases/<folders>/<Name>" (as name and classname). */
function identity(c: Case, suite: string): Pick<ParsedCase, "className" | "path" | "name" | "fullName"> & { katalon: boolean } {
  const rawName = (c.name ?? "").trim();
  const className = c.classname?.trim() || null;
  if (/^Test Cases\//.test(rawName) && (!className || className === rawName)) {
    const cut = rawName.lastIndexOf("/");
    return { className, path: rawName.slice(0, cut), name: rawName.slice(cut + 1), fullName: rawName, katalon: true };
  }
  const name = rawName;
  return {
    className,
    path: className ?? suite,
    name,
    fullName: className ? `${className}.${name}` : name || suite,
    katalon: false,
  };
}

function describeValidationError(err: { code: string; msg: string; line: number; col: number }): string {
  const at = `line ${err.line}, column ${err.col}`;
  const unclosed = /^Invalid '\[(.*)\]' found\.?$/s.exec(err.msg);
  if (unclosed) {
    const tags = unclosed[1]
      .split(",")
      .map((s) => s.trim().replace(/^"|"$/g, ""))
      .filter(Boolean);
    return `is not well-formed XML: it ends before ${tags.map((t) => `<${t}>`).join(", ")} ${tags.length === 1 ? "is" : "are"} closed (truncated or corrupt file)`;
  }
  return `is not well-formed XML: ${err.msg.replace(/\.$/, "")} (${at})`;
}

/**
 * Parses one JUnit XML report. Rejects with JUnitParseError: missing/empty input, not XML, corrupt
 * (not well-formed) XML, XML that is not JUnit (root must be <testsuites> or <testsuite>), too big.
 */
export function parseJUnit(input: string | Uint8Array | null | undefined, o: { maxCases?: number } = {}): ParsedReport {
  if (input === null || input === undefined) throw new JUnitParseError("missing", "No JUnit XML file was sent");
  if (typeof input !== "string" && input.byteLength > RESULTS_LIMITS.maxXmlBytes)
    throw new JUnitParseError("too_large", `is larger than ${RESULTS_LIMITS.maxXmlBytes / 1024 / 1024} MB`);
  const xml = (typeof input === "string" ? input : decodeXml(input)).replace(/^\uFEFF/, "");
  if (!xml.trim()) throw new JUnitParseError("empty", "is empty");
  if (!xml.trimStart().startsWith("<"))
    throw new JUnitParseError("not_xml", "is not XML: it does not start with '<' (expected a JUnit XML report)");
  // Test reports never need entity declarations; refusing them rules out entity-expansion bombs.
  if (/<!ENTITY/i.test(xml)) throw new JUnitParseError("corrupt", "declares XML entities (<!ENTITY>), which test reports must not use");
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) throw new JUnitParseError("corrupt", describeValidationError(valid.err));

  const doc = parser.parse(xml) as Record<string, unknown>;
  const rootName = Object.keys(doc).find((k) => !k.startsWith("?") && !k.startsWith("#"));
  let topSuites: Suite[];
  let rootAttrs: Attrs = {};
  if (rootName === "testsuites") {
    const root = (doc.testsuites && typeof doc.testsuites === "object" ? doc.testsuites : {}) as Suite;
    rootAttrs = root;
    topSuites = root.testsuite ?? [];
  } else if (rootName === "testsuite") {
    topSuites = doc.testsuite as Suite[];
  } else {
    throw new JUnitParseError(
      "not_junit",
      `is XML but not a JUnit report: the root element is <${rootName ?? "?"}>, expected <testsuites> or <testsuite>`,
    );
  }
  topSuites = topSuites.map((s) => (typeof s === "object" && s ? s : {}));
  const maxCases = o.maxCases ?? RESULTS_LIMITS.maxCases;

  const cases: ParsedCase[] = [];
  /** Per case, every result element counts as a run outcome (a case may carry several). */
  const caseRuns = { cases: 0, skipped: 0, failed: 0, error: 0 };
  const testStates = new Map<string, Set<Outcome>>();
  let leafSuites = 0;
  let katalon = 0;
  let anonymous = 0;

  const walk = (suite: Suite, inherited: number[]) => {
    const name = (suite.name ?? "").trim();
    const suiteIds = [...inherited, ...workItemIdsOf(propsOf(suite))];
    const children = suite.testsuite ?? [];
    for (const child of children) walk(typeof child === "object" && child ? child : {}, suiteIds);
    const own = (suite.testcase ?? []).map((c) => (typeof c === "object" && c ? c : {}));
    if (own.length > 0 || children.length === 0) leafSuites++;
    for (const c of own) {
      if (cases.length >= maxCases)
        throw new JUnitParseError("too_many_cases", `has more than ${maxCases} test cases; split the report into several uploads`);
      const { outcome, results } = caseOutcome(c);
      const id = identity(c, name);
      if (id.katalon) katalon++;
      const time = num(c.time);
      const { message, stack } = outcome === "passed" ? { message: null, stack: null } : failureText(results);
      const ids = [...suiteIds];
      for (const i of workItemIdsOf(propsOf(c))) if (!ids.includes(i)) ids.push(i);
      cases.push({
        suite: name,
        className: id.className,
        path: id.path,
        name: id.name,
        fullName: id.fullName,
        file: c.file?.trim() || null,
        outcome,
        durationMs: time !== null && time >= 0 ? Math.round(time * 1000) : null,
        message,
        stack,
        workItemIds: ids.slice(0, RESULTS_LIMITS.maxWorkItemIds),
      });
      caseRuns.cases++;
      caseRuns.skipped += c.skipped?.length || (outcome === "skipped" ? 1 : 0);
      caseRuns.failed += c.failure?.length ?? 0;
      caseRuns.error += c.error?.length ?? 0;
      // A test is (class, name); a case with neither is a test of its own.
      const key = c.classname !== undefined || c.name !== undefined ? `${c.classname ?? ""}\u0000${c.name ?? ""}` : `#${anonymous++}`;
      const states = testStates.get(key) ?? new Set<Outcome>();
      states.add(outcome);
      testStates.set(key, states);
    }
  };
  for (const s of topSuites) walk(s, workItemIdsOf(propsOf(rootAttrs as Suite)));

  // Tests: a test run several times counts once, with its most severe outcome (passed beats skipped).
  const tests = { total: testStates.size, skipped: 0, failed: 0, error: 0 };
  for (const states of testStates.values()) {
    if (states.has("error")) tests.error++;
    else if (states.has("failed")) tests.failed++;
    else if (!states.has("passed")) tests.skipped++;
  }
  // Runs: what the suites declare when they declare it, else what the cases show.
  const suiteTests = topSuites.reduce((n, s) => n + count(s.tests), 0);
  const runs =
    suiteTests > 0
      ? {
          total: suiteTests,
          skipped: topSuites.reduce((n, s) => n + (count(s.skipped) ? count(s.skipped) + count(s.disabled) : 0), 0),
          failed: topSuites.reduce((n, s) => n + count(s.failures), 0),
          error: topSuites.reduce((n, s) => n + count(s.errors), 0),
        }
      : { total: caseRuns.cases, skipped: caseRuns.skipped, failed: caseRuns.failed, error: caseRuns.error };
  const suiteSeconds = topSuites.reduce((n, s) => n + Math.max(0, num(s.time) ?? 0), 0);
  const caseMs = cases.reduce((n, c) => n + (c.durationMs ?? 0), 0);
  // A report without test cases (only suite counts) reports its tests as the suites declare them.
  if (cases.length === 0) Object.assign(tests, { total: runs.total, skipped: runs.skipped, failed: runs.failed, error: runs.error });

  const totals: Totals = { total: cases.length, passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const c of cases) totals[c.outcome]++;
  const starts = topSuites
    .map((s) => parseTimestamp(s.timestamp))
    .concat(parseTimestamp(rootAttrs.timestamp))
    .filter((d): d is Date => d !== null);
  const names = [...new Set([rootAttrs.name, ...topSuites.map((s) => s.name)].map((n) => n?.trim()).filter(Boolean))] as string[];

  return {
    format: katalon > 0 && katalon >= cases.length / 2 ? "katalon" : "junit",
    name: names[0] ?? null,
    hostname: topSuites.map((s) => s.hostname?.trim()).find(Boolean) ?? null,
    startedAt: starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : null,
    durationMs: suiteSeconds > 0 ? Math.round(suiteSeconds * 1000) : cases.some((c) => c.durationMs !== null) ? caseMs : null,
    cases,
    totals,
    stats: {
      suites: leafSuites,
      duration: Math.floor(suiteSeconds > 0 ? suiteSeconds : caseMs / 1000),
      tests: tests.total,
      tests_succ: tests.total - tests.skipped - tests.failed - tests.error,
      tests_skip: tests.skipped,
      tests_fail: tests.failed,
      tests_error: tests.error,
      runs: runs.total,
      runs_succ: runs.total - runs.skipped - runs.failed - runs.error,
      runs_skip: runs.skipped,
      runs_fail: runs.failed,
      runs_error: runs.error,
    },
  };
}
