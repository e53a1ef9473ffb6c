// Generated classes of odd input for the pure parts: the unstorable-character helpers and the JUnit
// parser (NUL and lone surrogates, long names, huge workitem properties, not-well-formed XML, DTDs,
// attribute normalization, lying counters, long durations, deep nesting). Seeded: failures reproduce.
import { findUnstorable, ReplacementCounter, unstorableReason } from "../src/lib/text";
import { JUnitParseError, parseJUnit, workItemIdsOf } from "../src/results/junit";
import { RESULTS_LIMITS } from "../src/schemas/results";

import { mulberry32 as rng } from "@testops/ado-sim/prng";
const BAD = ["\u0000", "\uD800", "\uDBFF", "\uDC00", "\uDFFF"];
const GOOD = ["a", "Z", " ", "é", "漢", "😀", "\uFFFD", "\t", "<", "&", '"', "\\", "\n"];

/** A string of good characters with `bad` unstorable ones at random places (lone: never forming a pair). */
export function hostileString(r: () => number, bad: number): string {
  const parts: string[] = [];
  const len = 1 + Math.floor(r() * 30);
  for (let i = 0; i < len; i++) parts.push(GOOD[Math.floor(r() * GOOD.length)]);
  for (let i = 0; i < bad; i++) {
    const at = Math.floor(r() * (parts.length + 1));
    // Separate each bad character by "x" so a high and a low surrogate never meet as a valid pair.
    parts.splice(at, 0, "x" + BAD[Math.floor(r() * BAD.length)] + "x");
  }
  return parts.join("");
}

describe("unstorable characters (generated)", () => {
  const r = rng(13);
  const samples = Array.from({ length: 300 }, (_, i) => hostileString(r, 1 + (i % 4)));

  it.each(samples.map((s, i) => [i, s]))("sample %i is refused and replaced exactly", (_i, s) => {
    expect(unstorableReason(s)).toMatch(/^must not contain (the NUL character|a lone UTF-16 surrogate)/);
    const counter = new ReplacementCounter();
    const out = counter.text(s);
    expect(unstorableReason(out)).toBeNull();
    expect(out).toHaveLength(s.length);
    expect(counter.count).toBe([...s].filter((ch) => BAD.includes(ch)).length);
    // Everything else is untouched.
    expect(out).toBe(
      s
        .split("")
        .map((ch) => (BAD.includes(ch) ? "\uFFFD" : ch))
        .join(""),
    );
  });

  it("valid text, including surrogate pairs, is left alone", () => {
    for (const s of ["😀", "a😀b", "\uD83D\uDE00", "", "plain", "\uFFFD"]) {
      expect(unstorableReason(s)).toBeNull();
      expect(new ReplacementCounter().text(s)).toBe(s);
    }
  });

  it("names the path of the first bad string or key in a JSON value", () => {
    expect(findUnstorable({ a: [{ b: "ok" }, { c: "x\u0000" }] })).toEqual({ field: "a.1.c", message: expect.stringContaining("NUL") });
    expect(findUnstorable({ ["k\uD800"]: 1 })).toEqual({ field: "k\uD800", message: expect.stringContaining("property name") });
    expect(findUnstorable("\uDC00")).toEqual({ field: "body", message: expect.stringContaining("surrogate") });
    let deep: unknown = "leaf";
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(findUnstorable(deep)?.message).toMatch(/nested more than 64 levels/);
    expect(findUnstorable({ fine: ["a", 1, null, true, { x: "😀" }] })).toBeNull();
  });

  it("deep() replaces strings and keys of Azure DevOps answers in place and counts them", () => {
    const c = new ReplacementCounter();
    const v = c.deep({ fields: { "System.Title": "a\u0000b", ["T\uD800"]: ["\uDFFF", 1] } });
    expect(v).toEqual({ fields: { "System.Title": "a\uFFFDb", ["T\uFFFD"]: ["\uFFFD", 1] } });
    expect(c.count).toBe(3);
  });
});

const suite = (cases: string, attrs = "") => `<?xml version="1.0"?><testsuite name="S"${attrs}>${cases}</testsuite>`;
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

describe("JUnit parser: odd input classes (generated)", () => {
  it.each(Array.from({ length: 60 }, (_, i) => [i]))("NUL / surrogate character references in names and messages (#%i)", (i) => {
    const r = rng(1000 + i);
    const refs = ["&#0;", "&#x0;", "&#xD800;", "&#xDFFF;", "&#55296;", "&#x110000;"];
    const pick = () => refs[Math.floor(r() * refs.length)];
    const name = `t${i}${pick()}end`;
    const raw = `\u0000`.repeat(i % 3);
    const xml = suite(
      `<testcase classname="C${pick()}" name="${name}"><failure message="m${pick()}${raw}">body${raw}</failure></testcase>`,
    );
    const report = parseJUnit(xml);
    const c = report.cases[0];
    for (const v of [c.className, c.name, c.fullName, c.message, c.stack]) expect(unstorableReason(v ?? "")).toBeNull();
    expect(c.name).toBe(`t${i}\uFFFDend`);
    expect(report.replaced).toBe(3 + 2 * (i % 3));
  });

  it.each([2_000, 2_800, 10_000, 100_000])("a test name of %i characters is kept whole", (n) => {
    const name = "n".repeat(n - 1) + "!";
    const report = parseJUnit(suite(`<testcase classname="C" name="${name}"/>`));
    expect(report.cases[0].name).toBe(name);
  });

  it("a workitem property with 100,000 ids keeps the first ones, says what was cut, and reads the text once", () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i + 1).join(",");
    const report = parseJUnit(suite(`<testcase name="t"><properties><property name="workitem" value="${ids}"/></properties></testcase>`));
    expect(report.cases[0].workItemIds).toEqual(Array.from({ length: RESULTS_LIMITS.maxWorkItemIds }, (_, i) => i + 1));
    expect(report.warnings.join("\n")).toMatch(`${100_000 - RESULTS_LIMITS.maxWorkItemIds} more ids were ignored`);
  });

  it("a suite-level property is capped once, before its cases inherit it; distinct ids over the upload are capped too", () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => i + 1).join(" ");
    const cases = Array.from(
      { length: 200 },
      (_, i) =>
        `<testcase name="t${i}"><properties><property name="workitem" value="${Array.from({ length: 10 }, (_, k) => 10_000 + i * 10 + k).join(",")}"/></properties></testcase>`,
    ).join("");
    const report = parseJUnit(suite(`<properties><property name="workitem" value="${ids}"/></properties>${cases}`));
    for (const c of report.cases) expect(c.workItemIds.length).toBeLessThanOrEqual(RESULTS_LIMITS.maxWorkItemIds);
    const distinct = new Set(report.cases.flatMap((c) => c.workItemIds));
    expect(distinct.size).toBeLessThanOrEqual(RESULTS_LIMITS.maxPropertyWorkItems);
    // Warnings are bounded: a last entry counts the rest.
    expect(report.warnings.length).toBeLessThanOrEqual(21);
    expect(report.warnings.at(-1)).toMatch(/more warnings like these|ids were ignored|distinct work items/);
  });

  it("workItemIdsOf ignores duplicates without quadratic work and reports the cut", () => {
    let ignored = 0;
    const ids = workItemIdsOf([{ name: "workitem", value: "1,1,1,2,AB#3,x,4" }], 3, (n) => (ignored = n));
    expect(ids).toEqual([1, 2, 3]);
    expect(ignored).toBe(1);
  });

  const notWellFormed: [string, string, RegExp][] = [
    ["'<' in an attribute value", suite(`<testcase name="a<b"/>`), /'<' in the value of name .*line 1, column/],
    ["an undeclared entity", suite(`<testcase name="a&foo;b"/>`), /entity &foo; is not declared.*line 1/],
    ["a bare '&'", suite(`<testcase name="a & b"/>`), /'&' does not start/],
    ["mismatched tags", `<testsuite>\n  <testcase name="a">\n</testsuite>`, /<\/testsuite> does not match <testcase>.*line 3, column 1/],
    ["duplicate attribute", suite(`<testcase name="a" name="b"/>`), /appears twice/],
    ["unquoted attribute", suite(`<testcase name=a/>`), /not quoted/],
    ["two roots", `<testsuite/><testsuite/>`, /second root/],
    ["text after the root", `<testsuite/>junk`, /text after the root/],
    ["truncated", `<testsuites><testsuite name="x"><testcase name="a">`, /ends before <testcase>, <testsuite>, <testsuites> are closed/],
  ];
  it.each(notWellFormed)("refuses %s with where it is", (_what, xml, message) => {
    let err: unknown;
    try {
      parseJUnit(xml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JUnitParseError);
    expect((err as JUnitParseError).kind).toBe("corrupt");
    expect((err as JUnitParseError).message).toMatch(message);
  });

  it("refuses entity declarations structurally, not a mention of them in a comment or CDATA", () => {
    expect(() => parseJUnit(`<!DOCTYPE x [<!ENTITY a "b">]>${suite('<testcase name="&a;"/>')}`)).toThrow(/declares XML entities/);
    expect(() => parseJUnit(`<!DOCTYPE x [\n<!-- c -->\n<!ENTITY % p SYSTEM "http://x/">]>${suite("")}`)).toThrow(/declares XML entities/);
    const mention = suite(
      `<!-- <!ENTITY x "y"> --><testcase name="t"><system-out><![CDATA[<!ENTITY lol "lol">&lol;<]]></system-out></testcase>`,
    );
    expect(parseJUnit(mention).cases).toHaveLength(1);
    expect(parseJUnit(`<!DOCTYPE testsuite>${suite('<testcase name="t"/>')}`).cases).toHaveLength(1);
  });

  it("normalizes attribute values as XML does; character references stay", () => {
    const report = parseJUnit(suite(`<testcase classname="a\r\n b\tc" name="x\ny"><failure message="one&#xa;two"/></testcase>`));
    expect(report.cases[0]).toMatchObject({ className: "a  b c", name: "x y", message: "one", stack: "one\ntwo" });
  });

  it.each([
    ['tests="1" failures="2"', '<testcase name="a"/>'],
    ['tests="0" failures="5" errors="3" skipped="9"', '<testcase name="a"><failure/></testcase><testcase name="b"/>'],
    ['tests="-4" failures="x"', '<testcase name="a"><skipped/></testcase>'],
  ])("stats come from the cases (%s)", (attrs, cases) => {
    const report = parseJUnit(suite(cases, ` ${attrs}`));
    const s = report.stats;
    expect(Object.values(s).every((v) => v >= 0)).toBe(true);
    expect(s.runs).toBe(report.cases.length);
    expect(s.runs_succ + s.runs_fail + s.runs_error + s.runs_skip).toBe(s.runs);
    expect(s.tests_succ + s.tests_fail + s.tests_error + s.tests_skip).toBe(s.tests);
  });

  it("durations beyond 2^31 ms are kept; absurd ones are dropped with a warning", () => {
    const report = parseJUnit(suite(`<testcase name="long" time="3000000"/><testcase name="absurd" time="1e300"/>`));
    expect(report.cases[0].durationMs).toBe(3_000_000_000);
    expect(report.cases[1].durationMs).toBeNull();
    expect(report.warnings.join()).toMatch(/absurd.*not plausible/);
  });

  it.each([101, 150, 5_000])("nesting %i levels deep is refused as too deep, naming where", (depth) => {
    const xml = "<testsuites>" + "<testsuite>".repeat(depth) + "</testsuite>".repeat(depth) + "</testsuites>";
    expect(() => parseJUnit(xml)).toThrow(
      expect.objectContaining({ kind: "too_deep", message: expect.stringMatching(/more than 100 levels deep \(line 1, column \d+\)/) }),
    );
  });

  it("a generated mix of names survives a round trip through the parser unchanged (apart from replacements)", () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      const name =
        hostileString(r, 0)
          .replace(/[\t\n]/g, " ")
          .trim() || "x";
      const report = parseJUnit(suite(`<testcase classname="C" name="${xmlEscape(name)}"/>`));
      expect(report.cases[0].name).toBe(name);
    }
  });
});
