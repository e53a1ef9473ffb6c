// JUnit XML (and its flavours: xUnit, pytest, jest-junit, mocha, bazel, scalatest, tst, Katalon) to
// test results. Pure: bytes in, a report or a JUnitParseError with a reason a person can act on.
import { XMLParser } from "fast-xml-parser";
import { ReplacementCounter } from "../lib/text";
import { RESULTS_LIMITS, type Outcome, type Totals } from "../schemas/results";
import { checkXml, XmlProblem } from "./xmlcheck";

export type JUnitErrorKind = "missing" | "empty" | "too_large" | "not_xml" | "corrupt" | "too_deep" | "not_junit" | "too_many_cases";

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
  /** NUL characters and lone surrogates replaced by U+FFFD (the database cannot store them). */
  replaced: number;
  /** What was cut or changed while reading (bounded: the last entry says how many more there were). */
  warnings: string[];
}

/** At most `max` warnings; the rest are counted. */
export class Warnings {
  private readonly list: string[] = [];
  private more = 0;
  constructor(private readonly max = 20) {}
  add(w: string): void {
    if (this.list.length < this.max) this.list.push(w);
    else this.more++;
  }
  all(): string[] {
    return this.more ? [...this.list, `… and ${this.more} more warnings like these`] : [...this.list];
  }
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

/** Durations are stored as bigint milliseconds; beyond this (about 285 years) a report's time is nonsense. */
export const MAX_DURATION_MS = Number.MAX_SAFE_INTEGER / 1000;

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
const WORK_ITEM_TOKEN = /^(?:[A-Za-z][\w-]*)?#?(\d{1,10})$/;

/**
 * `<property name="workitem" value="123, AB#456"/>` (or the value as text): distinct work item ids, at
 * most `max` (linear in the text; `onCut` hears how many further ids were ignored).
 */
export function workItemIdsOf(
  properties: Property[],
  max: number = RESULTS_LIMITS.maxWorkItemIds,
  onCut?: (ignored: number) => void,
): number[] {
  const out = new Set<number>();
  let ignored = 0;
  for (const p of properties) {
    if (!WORK_ITEM_PROPERTY.test((p.name ?? "").trim())) continue;
    for (const [token] of (p.value ?? text(p)).matchAll(/[^\s,;]+/g)) {
      const m = WORK_ITEM_TOKEN.exec(token);
      const id = m ? Number(m[1]) : NaN;
      if (!(id > 0 && id <= 2_147_483_647) || out.has(id)) continue;
      if (out.size < max) out.add(id);
      else ignored++;
    }
  }
  if (ignored) onCut?.(ignored);
  return [...out];
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
  // The database cannot store NUL or lone surrogates: they become U+FFFD, and the upload says how many.
  const scrub = new ReplacementCounter();
  let checked: ReturnType<typeof checkXml>;
  try {
    // Refuses entity declarations structurally (no expansion bombs), not-well-formed XML and deep nesting.
    checked = checkXml(scrub.text(xml), { maxCases: o.maxCases ?? RESULTS_LIMITS.maxCases });
  } catch (e) {
    if (e instanceof XmlProblem) throw new JUnitParseError(e.kind, e.message);
    throw e;
  }
  scrub.count += checked.replaced;
  const warnings = new Warnings();

  const doc = parser.parse(checked.xml) as Record<string, unknown>;
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
  const testStates = new Map<string, Set<Outcome>>();
  let leafSuites = 0;
  let katalon = 0;
  let anonymous = 0;
  const maxIds = RESULTS_LIMITS.maxWorkItemIds;
  /** Distinct ids named by properties: each is checked with Azure DevOps once, so their number is capped too. */
  const distinctIds = new Set<number>();
  let idsOverCap = 0;
  const cutIds = (where: string) => (ignored: number) =>
    warnings.add(`${where} names more than ${maxIds} work items; ${ignored} more ids were ignored`);
  const admit = (ids: number[]): number[] =>
    ids.filter((id) => {
      if (distinctIds.has(id)) return true;
      if (distinctIds.size >= RESULTS_LIMITS.maxPropertyWorkItems) {
        idsOverCap++;
        return false;
      }
      distinctIds.add(id);
      return true;
    });

  const walk = (suite: Suite, inherited: number[]) => {
    const name = scrub.text((suite.name ?? "").trim());
    // Capped before any case copies them.
    const suiteIds = [...inherited];
    for (const id of admit(workItemIdsOf(propsOf(suite), maxIds, cutIds(`Suite "${name.slice(0, 100)}"`))))
      if (suiteIds.length < maxIds && !suiteIds.includes(id)) suiteIds.push(id);
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
      const ids = new Set(suiteIds);
      const where = `Test "${id.name.slice(0, 100)}"`;
      for (const i of admit(workItemIdsOf(propsOf(c), maxIds, cutIds(where)))) {
        if (ids.size < maxIds) ids.add(i);
        else if (!ids.has(i)) {
          warnings.add(`${where} is linked to more than ${maxIds} work items with its suites'; the rest were ignored`);
          break;
        }
      }
      let durationMs = time !== null && time >= 0 ? Math.round(time * 1000) : null;
      if (durationMs !== null && durationMs > MAX_DURATION_MS) {
        warnings.add(`${where} lasted ${time} s according to the report, which is not plausible; its duration was not stored`);
        durationMs = null;
      }
      cases.push({
        suite: name,
        className: scrub.text(id.className),
        path: scrub.text(id.path),
        name: scrub.text(id.name),
        fullName: scrub.text(id.fullName),
        file: scrub.text(c.file?.trim() || null),
        outcome,
        durationMs,
        message: scrub.text(message),
        stack: scrub.text(stack),
        workItemIds: [...ids],
      });
      // A test is (class, name); a case with neither is a test of its own.
      const key = c.classname !== undefined || c.name !== undefined ? `${c.classname ?? ""}\u0000${c.name ?? ""}` : `#${anonymous++}`;
      const states = testStates.get(key) ?? new Set<Outcome>();
      states.add(outcome);
      testStates.set(key, states);
    }
  };
  for (const s of topSuites) walk(s, admit(workItemIdsOf(propsOf(rootAttrs as Suite), maxIds, cutIds("The report"))));
  if (idsOverCap)
    warnings.add(
      `The report's workitem properties name more than ${RESULTS_LIMITS.maxPropertyWorkItems} distinct work items; ${idsOverCap} links to further ids were ignored`,
    );

  // Counts come from the cases, never from the report's own counters (tests="1" failures="2" happens).
  // Tests: a test run several times counts once, with its most severe outcome (passed beats skipped).
  const tests = { total: testStates.size, skipped: 0, failed: 0, error: 0 };
  for (const states of testStates.values()) {
    if (states.has("error")) tests.error++;
    else if (states.has("failed")) tests.failed++;
    else if (!states.has("passed")) tests.skipped++;
  }
  const totals: Totals = { total: cases.length, passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const c of cases) totals[c.outcome]++;
  const suiteSeconds = topSuites.reduce((n, s) => n + Math.max(0, num(s.time) ?? 0), 0);
  const caseMs = cases.reduce((n, c) => n + (c.durationMs ?? 0), 0);
  const starts = topSuites
    .map((s) => parseTimestamp(s.timestamp))
    .concat(parseTimestamp(rootAttrs.timestamp))
    .filter((d): d is Date => d !== null);
  const names = [...new Set([rootAttrs.name, ...topSuites.map((s) => s.name)].map((n) => n?.trim()).filter(Boolean))] as string[];
  const suiteMs = Math.round(suiteSeconds * 1000);

  return {
    format: katalon > 0 && katalon >= cases.length / 2 ? "katalon" : "junit",
    name: scrub.text(names[0] ?? null),
    hostname: scrub.text(topSuites.map((s) => s.hostname?.trim()).find(Boolean) ?? null),
    startedAt: starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : null,
    durationMs: suiteSeconds > 0 && suiteMs <= MAX_DURATION_MS ? suiteMs : cases.some((c) => c.durationMs !== null) ? caseMs : null,
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
      runs: totals.total,
      runs_succ: totals.passed,
      runs_skip: totals.skipped,
      runs_fail: totals.failed,
      runs_error: totals.error,
    },
    replaced: scrub.count,
    warnings: warnings.all(),
  };
}
