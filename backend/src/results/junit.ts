// JUnit XML (and its flavours: xUnit, pytest, jest-junit, mocha, bazel, scalatest, tst, Katalon) to
// test results. Pure: bytes in, a report or a JUnitParseError with a reason a person can act on.
import { ReplacementCounter } from "../lib/text";
import { RESULTS_LIMITS, type Outcome, type Totals } from "../schemas/results";
import { XmlProblem, XmlTokenizer } from "./xmlstream";

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

/** A `<property>`: its name, and its value as the attribute or as the element's text. */
interface Property {
  name?: string;
  value?: string;
  "#text"?: string;
}

/** Durations are stored as bigint milliseconds; beyond this (about 285 years) a report's time is nonsense. */
export const MAX_DURATION_MS = Number.MAX_SAFE_INTEGER / 1000;

/** Bytes to text: BOMs and the XML declaration's encoding are honoured (UTF-8 when unknown). */
export function decodeXml(input: Uint8Array): string {
  const { decoder, skip } = decoderFor(input);
  return decoder.decode(input.subarray(skip));
}

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const s = v.trim().replace(/,(?=\d{3}(\D|$))/g, "");
  if (!s) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

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
    for (const [token] of (p.value ?? p["#text"] ?? "").matchAll(/[^\s,;]+/g)) {
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

const SKIPPED_STATUSES = new Set(["disabled", "skipped", "notrun", "ignored"]);
type Attrs = Record<string, string | undefined>;

/** Text of a failure/error body: the start is kept (stacks are trimmed when stored), the rest only counted. */
const MAX_COLLECTED = 256 * 1024;
class Collected {
  text = "";
  extra = 0;
  add(s: string): void {
    const room = MAX_COLLECTED - this.text.length;
    if (s.length <= room) this.text += s;
    else {
      this.text += s.slice(0, Math.max(0, room));
      this.extra += s.length - Math.max(0, room);
    }
  }
}

interface ResultNode {
  kind: "failure" | "error" | "skipped";
  message: string;
  body: Collected;
}

/** The most severe result of a test case: error > failure > skipped > passed (several results may coexist). */
const SEVERITY = [
  ["error", "error"],
  ["failure", "failed"],
  ["skipped", "skipped"],
] as const;
const NO_RESULTS: ResultNode[] = [];

function caseOutcome(results: ResultNode[], status: string | undefined): { outcome: Outcome; results: ResultNode[] } {
  if (results.length)
    for (const [kind, outcome] of SEVERITY) {
      const of = results.filter((r) => r.kind === kind);
      if (of.length) return { outcome, results: of };
    }
  if (status !== undefined && SKIPPED_STATUSES.has(status.trim().toLowerCase())) return { outcome: "skipped", results: NO_RESULTS };
  return { outcome: "passed", results: NO_RESULTS };
}

function failureText(results: ResultNode[]): { message: string | null; stack: string | null } {
  const messages = results.map((r) => r.message.trim()).filter(Boolean);
  const bodies = results.map((r) => r.body.text.trim()).filter(Boolean);
  const extra = results.reduce((n, r) => n + r.body.extra, 0);
  let message = messages.join("\n") || null;
  let stack = bodies.join("\n") || null;
  // Katalon puts the whole stack in the message attribute: first line as the message, the rest as the stack.
  if (message && !stack && message.includes("\n")) {
    stack = message;
    message = message.split("\n")[0];
  }
  if (!message && stack) message = stack.split("\n").find((l) => l.trim()) ?? null;
  return { message: trimText(message, RESULTS_LIMITS.message), stack: trimCollected(stack, RESULTS_LIMITS.stack, extra) };
}

/** trimText of a text whose last `extra` characters were only counted, not kept. */
function trimCollected(s: string | null, max: number, extra: number): string | null {
  if (!extra || s === null) return trimText(s, max);
  const t = s.replace(/\r\n?/g, "\n").trimStart();
  const note = `\n… (${t.length + extra - max} more characters trimmed)`;
  return t.slice(0, max - note.length) + note;
}

/** Katalon names a result by its test case id: "Test Cases/<folders>/<Name>" (as name and classname). */
function identity(c: Attrs, suite: string): Pick<ParsedCase, "className" | "path" | "name" | "fullName"> & { katalon: boolean } {
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

/** An element's local name (namespace prefixes are ignored, as most JUnit readers do). */
const local = (name: string) => name.slice(name.indexOf(":") + 1);

interface SuiteFrame {
  role: "root" | "suite";
  attrs: Attrs;
  /** Innermost suite name of its cases. */
  name: string;
  /** Work item ids its cases inherit (capped). */
  ids: number[];
  props: Property[];
  childSuites: number;
  ownCases: number;
  /** Sequence number of its first case (for properties that come after some of its cases). */
  firstSeq: number;
}
interface CaseFrame {
  role: "case";
  attrs: Attrs;
  suite: SuiteFrame;
  results: ResultNode[];
  props: Property[];
}
type Frame =
  | SuiteFrame
  | CaseFrame
  | { role: "props"; owner: SuiteFrame | CaseFrame }
  | { role: "property"; owner: SuiteFrame | CaseFrame; prop: Property; text: string }
  | { role: "result"; node: ResultNode }
  | { role: "ignore" };

/** Links to add to stored results: cases [fromSeq, toSeq) inherit `ids` from a suite property that came after them. */
export interface LateLinks {
  fromSeq: number;
  toSeq: number;
  workItemIds: number[];
}

/** Everything about a report except its cases (which a stream hands over in batches). */
export type ReportSummary = Omit<ParsedReport, "cases">;

const attrsOf = (list: [string, string][]): Attrs => {
  const out: Attrs = {};
  for (const [k, v] of list) if (!k.startsWith("xmlns")) out[local(k)] = v;
  return out;
};

/**
 * Reads a JUnit report as it arrives: `write` text (or `writeBytes`) in chunks of any size, `takeCases`
 * what was read so far (in file order), `end` for the summary. Memory is bounded by the largest element,
 * the batch not taken yet and one entry per distinct test (for the stats), not by the file.
 */
export class JUnitReader {
  private readonly scrub = new ReplacementCounter();
  private readonly warnings = new Warnings();
  private readonly tokenizer: XmlTokenizer;
  private readonly frames: Frame[] = [];
  private batch: ParsedCase[] = [];
  private batchStart = 0;
  private seq = 0;
  private late: LateLinks[] = [];
  private caseElements = 0;
  private readonly maxCases: number;
  /** Outcomes seen per test ((class, name)), as bits. */
  private readonly testStates = new Map<string, number>();
  private anonymous = 0;
  private leafSuites = 0;
  private katalon = 0;
  private readonly totals: Totals = { total: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
  private caseMs = 0;
  private anyCaseDuration = false;
  private rootAttrs: Attrs = {};
  private readonly topSuites: Attrs[] = [];
  private rootSeen = false;
  /** Distinct ids named by properties: each is checked with Azure DevOps once, so their number is capped too. */
  private readonly distinctIds = new Set<number>();
  private idsOverCap = 0;
  // Bytes input.
  private decoder: TextDecoder | null = null;
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private bytes = 0;
  private started = false;
  private leading = "";

  constructor(o: { maxCases?: number } = {}) {
    this.maxCases = o.maxCases ?? RESULTS_LIMITS.maxCases;
    this.tokenizer = new XmlTokenizer({
      open: (name, attrs) => this.open(name, attrs),
      close: () => this.close(),
      text: (t) => this.text(t),
    });
  }

  /** Raw bytes of the file: the encoding comes from a BOM or the XML declaration (UTF-8 when unknown). */
  writeBytes(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.bytes > RESULTS_LIMITS.maxXmlBytes)
      throw new JUnitParseError("too_large", `is larger than ${RESULTS_LIMITS.maxXmlBytes / 1024 / 1024} MB`);
    if (!this.decoder) {
      this.head.push(chunk);
      this.headBytes += chunk.byteLength;
      if (this.headBytes < 200) return;
      this.startDecoding();
      return;
    }
    this.write(this.decoder.decode(chunk, { stream: true }));
  }

  private startDecoding(): void {
    const all = new Uint8Array(this.headBytes);
    let at = 0;
    for (const h of this.head) {
      all.set(h, at);
      at += h.byteLength;
    }
    this.head = [];
    const { decoder, skip } = decoderFor(all);
    this.decoder = decoder;
    this.write(decoder.decode(all.subarray(skip), { stream: true }));
  }

  /** Text of the file (a leading BOM is dropped). */
  write(chunk: string): void {
    if (!chunk) return;
    if (!this.started) {
      // Leading white space is kept (line numbers) until the first other character says whether this is XML.
      chunk = (this.leading + chunk).replace(/^\uFEFF/, "");
      const body = chunk.trimStart();
      if (!body) {
        this.leading = chunk.length > 4096 ? chunk.replace(/[^\n]/g, "") : chunk;
        return;
      }
      this.leading = "";
      if (!body.startsWith("<"))
        throw new JUnitParseError("not_xml", "is not XML: it does not start with '<' (expected a JUnit XML report)");
      this.started = true;
    }
    // The database cannot store NUL or lone surrogates: they become U+FFFD, and the upload says how many.
    this.guard(() => this.tokenizer.write(this.scrub.text(chunk)));
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof XmlProblem) throw new JUnitParseError(e.kind, e.message);
      throw e;
    }
  }

  /** Cases read since the last call, with the sequence number (position in the file) of the first. */
  takeCases(max = Infinity): { start: number; cases: ParsedCase[] } {
    const out = { start: this.batchStart, cases: max >= this.batch.length ? this.batch : this.batch.slice(0, max) };
    this.batch = out.cases === this.batch ? [] : this.batch.slice(max);
    this.batchStart += out.cases.length;
    return out;
  }

  /** Cases read and not taken yet. */
  get pendingCases(): number {
    return this.batch.length;
  }

  /** Suite-level links learnt after some of the suite's cases were taken. */
  takeLateLinks(): LateLinks[] {
    const out = this.late;
    this.late = [];
    return out;
  }

  /** How many cases were read so far. */
  get caseCount(): number {
    return this.seq;
  }

  end(): ReportSummary {
    if (this.decoder) this.write(this.decoder.decode());
    else if (this.headBytes) this.startDecoding();
    if (this.decoder) this.write(this.decoder.decode());
    if (!this.started) throw new JUnitParseError("empty", "is empty");
    this.guard(() => this.tokenizer.end());
    return this.summary();
  }

  private open(rawName: string, list: [string, string][]): void {
    const name = local(rawName);
    if (name === "testcase" && ++this.caseElements > this.maxCases)
      throw new JUnitParseError("too_many_cases", `has more than ${this.maxCases} test cases; split the report into several uploads`);
    const parent = this.frames.at(-1);
    if (!this.rootSeen) {
      this.rootSeen = true;
      if (name !== "testsuites" && name !== "testsuite")
        throw new JUnitParseError(
          "not_junit",
          `is XML but not a JUnit report: the root element is <${name || "?"}>, expected <testsuites> or <testsuite>`,
        );
    }
    let frame: Frame = { role: "ignore" };
    if (!parent || parent.role === "root" || parent.role === "suite") {
      if (!parent && name === "testsuites") {
        this.rootAttrs = attrsOf(list);
        frame = this.suiteFrame("root", this.rootAttrs, null);
      } else if (name === "testsuite") {
        const a = attrsOf(list);
        if (!parent || parent.role === "root") this.topSuites.push(a);
        if (parent?.role === "suite") parent.childSuites++;
        frame = this.suiteFrame("suite", a, parent ?? null);
      } else if (name === "testcase" && parent?.role === "suite") {
        frame = { role: "case", attrs: attrsOf(list), suite: parent, results: [], props: [] };
      } else if (name === "properties" && parent) frame = { role: "props", owner: parent };
    } else if (parent.role === "case") {
      if (name === "failure" || name === "error" || name === "skipped")
        frame = { role: "result", node: { kind: name, message: attrsOf(list).message ?? "", body: new Collected() } };
      else if (name === "properties") frame = { role: "props", owner: parent };
    } else if (parent.role === "props" && name === "property") {
      const a = attrsOf(list);
      frame = { role: "property", owner: parent.owner, prop: { name: a.name, value: a.value }, text: "" };
    }
    this.frames.push(frame);
  }

  private suiteFrame(role: "root" | "suite", attrs: Attrs, parent: SuiteFrame | null): SuiteFrame {
    return {
      role,
      attrs,
      name: role === "root" ? "" : this.scrub.text((attrs.name ?? "").trim()),
      ids: parent ? [...parent.ids] : [],
      props: [],
      childSuites: 0,
      ownCases: 0,
      firstSeq: this.seq,
    };
  }

  private text(t: string): void {
    const f = this.frames.at(-1);
    if (f?.role === "result") f.node.body.add(t);
    else if (f?.role === "property") f.text += t;
  }

  private close(): void {
    const f = this.frames.pop();
    if (!f) return;
    if (f.role === "property") {
      if (f.prop.value === undefined) f.prop["#text"] = f.text.trim();
      f.owner.props.push(f.prop);
    } else if (f.role === "result") {
      const owner = this.frames.at(-1);
      if (owner?.role === "case") owner.results.push(f.node);
    } else if (f.role === "props" && f.owner.role !== "case") {
      this.suiteProperties(f.owner);
    } else if (f.role === "suite") {
      if (f.ownCases > 0 || f.childSuites === 0) this.leafSuites++;
    } else if (f.role === "case") {
      this.addCase(f);
    }
  }

  private cutIds(where: string) {
    const max = RESULTS_LIMITS.maxWorkItemIds;
    return (ignored: number) => this.warnings.add(`${where} names more than ${max} work items; ${ignored} more ids were ignored`);
  }

  private admit(ids: number[]): number[] {
    return ids.filter((id) => {
      if (this.distinctIds.has(id)) return true;
      if (this.distinctIds.size >= RESULTS_LIMITS.maxPropertyWorkItems) {
        this.idsOverCap++;
        return false;
      }
      this.distinctIds.add(id);
      return true;
    });
  }

  /** A suite's (or the root's) <properties> closed: its cases inherit the ids, capped before any case copies them. */
  private suiteProperties(s: SuiteFrame): void {
    const props = s.props;
    s.props = [];
    const where = s.role === "root" ? "The report" : `Suite "${s.name.slice(0, 100)}"`;
    const added: number[] = [];
    for (const id of this.admit(workItemIdsOf(props, RESULTS_LIMITS.maxWorkItemIds, this.cutIds(where))))
      if (s.ids.length < RESULTS_LIMITS.maxWorkItemIds && !s.ids.includes(id)) {
        s.ids.push(id);
        added.push(id);
      }
    // Nested suites still open inherit them too.
    for (const f of this.frames)
      if (f.role === "suite" && f.firstSeq >= s.firstSeq && f !== s)
        for (const id of added) if (!f.ids.includes(id) && f.ids.length < RESULTS_LIMITS.maxWorkItemIds) f.ids.push(id);
    if (!added.length || s.firstSeq === this.seq) return;
    // Properties after some of the suite's cases (unusual, but a report may put them last).
    for (const c of this.batch.slice(Math.max(0, s.firstSeq - this.batchStart)))
      for (const id of added)
        if (c.workItemIds.length < RESULTS_LIMITS.maxWorkItemIds && !c.workItemIds.includes(id)) c.workItemIds.push(id);
    if (s.firstSeq < this.batchStart) this.late.push({ fromSeq: s.firstSeq, toSeq: this.batchStart, workItemIds: added });
  }

  private addCase(f: CaseFrame): void {
    const c = f.attrs;
    const suite = f.suite;
    suite.ownCases++;
    const maxIds = RESULTS_LIMITS.maxWorkItemIds;
    const { outcome, results } = caseOutcome(f.results, c.status);
    const id = identity(c, suite.name);
    if (id.katalon) this.katalon++;
    const time = num(c.time);
    const { message, stack } = outcome === "passed" ? { message: null, stack: null } : failureText(results);
    // Text is scrubbed as it is read (NUL, lone surrogates) and references decode to storable characters.
    let ids = suite.ids;
    if (f.props.length) {
      const where = `Test "${id.name.slice(0, 100)}"`;
      const own = new Set(suite.ids);
      for (const i of this.admit(workItemIdsOf(f.props, maxIds, this.cutIds(where)))) {
        if (own.size < maxIds) own.add(i);
        else if (!own.has(i)) {
          this.warnings.add(`${where} is linked to more than ${maxIds} work items with its suites'; the rest were ignored`);
          break;
        }
      }
      ids = [...own];
    }
    let durationMs = time !== null && time >= 0 ? Math.round(time * 1000) : null;
    if (durationMs !== null && durationMs > MAX_DURATION_MS) {
      this.warnings.add(
        `Test "${id.name.slice(0, 100)}" lasted ${time} s according to the report, which is not plausible; its duration was not stored`,
      );
      durationMs = null;
    }
    if (durationMs !== null) {
      this.caseMs += durationMs;
      this.anyCaseDuration = true;
    }
    this.batch.push({
      suite: suite.name,
      className: id.className,
      path: id.path,
      name: id.name,
      fullName: id.fullName,
      file: c.file?.trim() || null,
      outcome,
      durationMs,
      // Trimming may cut a surrogate pair in two.
      message: this.scrub.text(message),
      stack: this.scrub.text(stack),
      workItemIds: ids === suite.ids ? [...ids] : ids,
    });
    this.seq++;
    this.totals.total++;
    this.totals[outcome]++;
    // A test is (class, name); a case with neither is a test of its own.
    const key = c.classname !== undefined || c.name !== undefined ? `${c.classname ?? ""}\u0000${c.name ?? ""}` : `#${this.anonymous++}`;
    this.testStates.set(key, (this.testStates.get(key) ?? 0) | OUTCOME_BIT[outcome]);
  }

  private summary(): ReportSummary {
    const warnings = this.warnings;
    if (this.idsOverCap)
      warnings.add(
        `The report's workitem properties name more than ${RESULTS_LIMITS.maxPropertyWorkItems} distinct work items; ${this.idsOverCap} links to further ids were ignored`,
      );
    // Counts come from the cases, never from the report's own counters (tests="1" failures="2" happens).
    // Tests: a test run several times counts once, with its most severe outcome (passed beats skipped).
    const tests = { total: this.testStates.size, skipped: 0, failed: 0, error: 0 };
    for (const bits of this.testStates.values()) {
      if (bits & OUTCOME_BIT.error) tests.error++;
      else if (bits & OUTCOME_BIT.failed) tests.failed++;
      else if (!(bits & OUTCOME_BIT.passed)) tests.skipped++;
    }
    const { totals, topSuites, rootAttrs } = this;
    const suiteSeconds = topSuites.reduce((n, s) => n + Math.max(0, num(s.time) ?? 0), 0);
    const caseMs = this.caseMs;
    const starts = topSuites
      .map((s) => parseTimestamp(s.timestamp))
      .concat(parseTimestamp(rootAttrs.timestamp))
      .filter((d): d is Date => d !== null);
    const names = [...new Set([rootAttrs.name, ...topSuites.map((s) => s.name)].map((n) => n?.trim()).filter(Boolean))] as string[];
    const suiteMs = Math.round(suiteSeconds * 1000);
    const scrub = this.scrub;
    return {
      format: this.katalon > 0 && this.katalon >= totals.total / 2 ? "katalon" : "junit",
      name: scrub.text(names[0] ?? null),
      hostname: scrub.text(topSuites.map((s) => s.hostname?.trim()).find(Boolean) ?? null),
      startedAt: starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : null,
      durationMs: suiteSeconds > 0 && suiteMs <= MAX_DURATION_MS ? suiteMs : this.anyCaseDuration ? caseMs : null,
      totals: { ...totals },
      stats: {
        suites: this.leafSuites,
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
      replaced: scrub.count + this.tokenizer.replaced,
      warnings: warnings.all(),
    };
  }
}

const OUTCOME_BIT: Record<Outcome, number> = { passed: 1, failed: 2, error: 4, skipped: 8 };

/** The decoder for a file's bytes, from its BOM or its XML declaration (UTF-8 when unknown), and how many BOM bytes to skip. */
function decoderFor(input: Uint8Array): { decoder: TextDecoder; skip: number } {
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) return { decoder: new TextDecoder("utf-8"), skip: 3 };
  if (input[0] === 0xff && input[1] === 0xfe) return { decoder: new TextDecoder("utf-16le"), skip: 2 };
  if (input[0] === 0xfe && input[1] === 0xff) return { decoder: new TextDecoder("utf-16be"), skip: 2 };
  const head = new TextDecoder("latin1").decode(input.subarray(0, 200));
  const enc = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  try {
    return { decoder: new TextDecoder(enc && !/^utf-?16/i.test(enc) ? enc : "utf-8"), skip: 0 };
  } catch {
    return { decoder: new TextDecoder("utf-8"), skip: 0 };
  }
}

/**
 * Parses one whole JUnit XML report (the same reader as a stream, with every case kept). Rejects with
 * JUnitParseError: missing/empty input, not XML, corrupt (not well-formed) XML, too deep, XML that is not
 * JUnit (root must be <testsuites> or <testsuite>), too big, too many cases.
 */
export function parseJUnit(input: string | Uint8Array | null | undefined, o: { maxCases?: number } = {}): ParsedReport {
  if (input === null || input === undefined) throw new JUnitParseError("missing", "No JUnit XML file was sent");
  const reader = new JUnitReader(o);
  if (typeof input === "string") reader.write(input);
  else reader.writeBytes(input);
  const summary = reader.end();
  return { ...summary, cases: reader.takeCases().cases };
}
