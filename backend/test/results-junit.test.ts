import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { JUnitParseError, parseJUnit, parseTimestamp, trimText, workItemIdsOf } from "../src/results/junit";

// The EnricoMi corpus (read in place, never copied): every *.xml with an expected *.results.json,
// every *.exception with the reason the reference parser gave.
const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/junit/enricomi");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const files = walk(FIXTURES);
const rel = (p: string) => path.relative(FIXTURES, p);
const expectedCases = files.filter((f) => f.endsWith(".results.json") && !existsSync(f.replace(/\.results\.json$/, ".exception")));
/** Reports whose declared counters differ from their cases (the reference parser trusts the counters). */
const COUNTERS_DISAGREE = new Set([
  "junit-xml/junit.multiresult.results.json",
  "junit-xml/no-cases-but-tests.results.json",
  "junit-xml/tst/disabled.results.json",
]);
const exceptionCases = files.filter((f) => f.endsWith(".exception"));

/** The reference parser's exception text → the reason kind ours must give. */
function expectedKind(exception: string): string {
  if (/does not exist/.test(exception)) return "missing";
  if (/File is empty/.test(exception)) return "empty";
  if (/Start tag expected/.test(exception)) return "not_xml";
  if (/Premature end of data|XMLSyntaxError/.test(exception)) return "corrupt";
  if (/Invalid format/.test(exception)) return "not_junit";
  throw new Error(`unmapped reference exception: ${exception}`);
}

describe("JUnit parser against the EnricoMi corpus", () => {
  it("finds the corpus", () => {
    expect(expectedCases.length).toBeGreaterThanOrEqual(25);
    expect(exceptionCases.length).toBeGreaterThanOrEqual(5);
  });

  it.each(expectedCases.map((f) => [rel(f), f]))("%s: counts match the expected stats", (_name, jsonPath) => {
    const expected = JSON.parse(readFileSync(jsonPath, "utf8")).stats;
    const report = parseJUnit(readFileSync(jsonPath.replace(/\.results\.json$/, ".xml")));
    const { files: _f, errors: _e, commit: _c, ...want } = expected;
    // The reference ran xunit/ through its xUnit→JUnit XSLT, which drops the suite's time: duration is not comparable there.
    if (rel(jsonPath).startsWith("junit-xml/xunit/")) want.duration = report.stats.duration;
    // The reference takes tests/runs from the suites' own counters where a report has them; ours come from
    // the cases (counters lie: multiresult declares failures beyond its tests, giving the reference -2 passed runs).
    if (COUNTERS_DISAGREE.has(rel(jsonPath))) {
      for (const k of Object.keys(want)) if (/^(tests|runs)/.test(k)) want[k] = report.stats[k as keyof typeof report.stats];
      const t = report.totals;
      expect([report.stats.runs, report.stats.runs_succ, report.stats.runs_fail, report.stats.runs_error, report.stats.runs_skip]).toEqual([
        t.total,
        t.passed,
        t.failed,
        t.error,
        t.skipped,
      ]);
    }
    expect(report.stats).toEqual(want);
    expect(Object.values(report.stats).every((v) => v >= 0)).toBe(true);
    // Stored totals come from the cases themselves (suite attributes can lie), one row per test case.
    expect(report.totals.total).toBe(report.cases.length);
    expect(report.totals.passed + report.totals.failed + report.totals.error + report.totals.skipped).toBe(report.totals.total);
  });

  it.each(exceptionCases.map((f) => [rel(f), f]))("%s: rejected with a clear reason", (_name, excPath) => {
    const xmlPath = excPath.replace(/\.exception$/, ".xml");
    const input = existsSync(xmlPath) ? readFileSync(xmlPath) : undefined;
    const kind = expectedKind(readFileSync(excPath, "utf8"));
    let err: unknown;
    try {
      parseJUnit(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JUnitParseError);
    expect((err as JUnitParseError).kind).toBe(kind);
    expect((err as JUnitParseError).message.length).toBeGreaterThan(5);
  });
});

describe("JUnit parser details", () => {
  const read = (p: string) => readFileSync(path.join(FIXTURES, p));

  it("picks the most severe result of a case and keeps every message of that kind", () => {
    const r = parseJUnit(read("junit-xml/junit.multiresult.xml"));
    expect(r.cases.map((c) => [c.name, c.outcome])).toEqual([
      ["test that errors", "error"],
      ["test that fails", "failed"],
      ["test that is skipped", "skipped"],
      ["test that succeeds", "passed"],
    ]);
    expect(r.cases[0].message).toBe("test teardown failure");
    expect(r.cases[0].stack).toBe("stdout");
    expect(r.cases[1]).toMatchObject({ className: "test class", path: "test class", fullName: "test class.test that fails" });
    expect(r.cases[1].durationMs).toBe(234);
  });

  it("decodes entities, BOM + CRLF, and reads durations and timestamps", () => {
    const e = parseJUnit(read("junit-xml/with-xml-entities.xml"));
    expect(e.cases.map((c) => c.name)).toContain('Test with "quotes" in the test name');
    expect(e.cases.find((c) => c.outcome === "error")?.message).toBe("A message with &");
    const x = parseJUnit(read("junit-xml/xunit/xunit.xml"));
    expect(x.cases[0]).toMatchObject({ suite: "Rhino Collection", path: "Rhino Collection", durationMs: 454 });
    const p = parseJUnit(read("junit-xml/pytest/junit.fail.xml"));
    expect(p.startedAt?.toISOString()).toBe("2020-09-04T16:18:04.966Z");
    expect(p.hostname).toBe("3f909e363d82");
    expect(p.durationMs).toBe(2481);
    expect(p.cases.find((c) => c.outcome === "skipped")?.message).toBe("get_available_devices only supported in Spark 3.0 and above");
  });

  it("collects cases of nested suites and names the innermost suite", () => {
    const r = parseJUnit(read("junit-xml/testsuite-in-testsuite.xml"));
    expect(r.cases.map((c) => `${c.suite}/${c.name}`).sort()).toEqual([
      "Project Test Suite/TestCase5",
      "TestSuite1/TestCase1",
      "TestSuite1/TestCase2",
      "TestSuite2.1/TestCase3",
      "TestSuite2/TestCase4",
    ]);
  });

  it("treats tst's status=disabled as skipped", () => {
    const r = parseJUnit(read("junit-xml/tst/disabled.xml"));
    expect(r.cases.filter((c) => c.outcome === "skipped").map((c) => c.name)).toContain("disabled_test");
  });

  it("reads Katalon reports: test case id as path + name, stack in the message attribute", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="TS_RegressionTest" time="95.2" tests="2" failures="1" errors="0">
  <testsuite name="TS_RegressionTest" tests="2" failures="1" errors="0" time="95.2" timestamp="18-11-2024T01:21:51" id="Test Suites/TS_RegressionTest">
    <testcase name="Test Cases/Main Test Cases/TC1_Verify Successful Login" classname="Test Cases/Main Test Cases/TC1_Verify Successful Login" time="24.7" status="PASSED"/>
    <testcase name="Test Cases/Main Test Cases/TC2_Verify Successful Appointment" classname="Test Cases/Main Test Cases/TC2_Verify Successful Appointment" time="70.5" status="FAILED">
      <failure type="FAILED" message="Test Cases/Main Test Cases/TC2 FAILED.&#xa;Reason:&#xa;com.kms.katalon.core.exception.StepFailedException: Unable to click"/>
    </testcase>
  </testsuite>
</testsuites>`;
    const r = parseJUnit(xml);
    expect(r.format).toBe("katalon");
    expect(r.startedAt?.toISOString()).toBe("2024-11-18T01:21:51.000Z");
    expect(r.cases[1]).toMatchObject({
      path: "Test Cases/Main Test Cases",
      name: "TC2_Verify Successful Appointment",
      fullName: "Test Cases/Main Test Cases/TC2_Verify Successful Appointment",
      outcome: "failed",
      message: "Test Cases/Main Test Cases/TC2 FAILED.",
    });
    expect(r.cases[1].stack).toContain("StepFailedException: Unable to click");
  });

  it("links tests to work items through workitem properties (case and suite level)", () => {
    const xml = `<testsuites><testsuite name="s">
      <properties><property name="workitem" value="7"/></properties>
      <testcase classname="A" name="one"><properties><property name="WorkItem" value="12, AB#13 ;#14"/><property name="other" value="99"/></properties></testcase>
      <testcase classname="A" name="two"><properties><property name="workitems">15</property></properties></testcase>
      <testcase classname="A" name="three"><properties><property name="workitem" value="not-an-id"/></properties></testcase>
    </testsuite></testsuites>`;
    const r = parseJUnit(xml);
    expect(r.cases.map((c) => c.workItemIds)).toEqual([[7, 12, 13, 14], [7, 15], [7]]);
  });

  it.each([
    ["", "empty"],
    ["   \n ", "empty"],
    ['{"tests": []}', "not_xml"],
    ["<testsuite><testcase name='a'>", "corrupt"],
    ["<testsuite><testcase name='a'></testsuite>", "corrupt"],
    ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><testsuite>&a;</testsuite>', "corrupt"],
    ["<html><body>Not found</body></html>", "not_junit"],
    ["<assemblies><assembly name='x'/></assemblies>", "not_junit"],
  ])("rejects %j as %s", (xml, kind) => {
    expect(() => parseJUnit(xml)).toThrow(expect.objectContaining({ kind }));
  });

  it("refuses more test cases than the limit", () => {
    const xml = `<testsuite>${'<testcase name="t"/>'.repeat(5)}</testsuite>`;
    expect(() => parseJUnit(xml, { maxCases: 4 })).toThrow(expect.objectContaining({ kind: "too_many_cases" }));
    expect(parseJUnit(xml, { maxCases: 5 }).cases).toHaveLength(5);
  });

  it("decodes a declared non-UTF-8 encoding", () => {
    const bytes = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><testsuite><testcase classname="C" name="caf'),
      Buffer.from([0xe9]),
      Buffer.from('"/></testsuite>'),
    ]);
    expect(parseJUnit(bytes).cases[0].name).toBe("café");
  });
});

describe("helpers", () => {
  it.each([
    ["2020-09-04T16:18:04.966371", "2020-09-04T16:18:04.966Z"],
    ["2018-10-24 17:24:59", "2018-10-24T17:24:59.000Z"],
    ["18-11-2024T01:21:51", "2024-11-18T01:21:51.000Z"],
    ["2026-06-14T06:15:28.392Z", "2026-06-14T06:15:28.392Z"],
    ["Sat, 03 Dec 2022 23:10:07 GMT", "2022-12-03T23:10:07.000Z"],
    ["2021-03-07T10:36:56 UTC", "2021-03-07T10:36:56.000Z"],
    ["2024-01-03T12:40:13+02:00", "2024-01-03T10:40:13.000Z"],
    ["yesterday", null],
    [undefined, null],
  ])("parseTimestamp(%j) = %j", (input, want) => {
    expect(parseTimestamp(input)?.toISOString() ?? null).toBe(want);
  });

  it("trims long text and says how much was cut", () => {
    const t = trimText("x".repeat(5000), 1000)!;
    expect(t).toHaveLength(1000);
    expect(t).toMatch(/4\d{3} more characters trimmed\)$/);
    expect(trimText("  short\r\n ", 1000)).toBe("short");
    expect(trimText("   ", 10)).toBeNull();
  });

  it("reads work item ids only from workitem properties", () => {
    expect(
      workItemIdsOf([
        { name: "workitem", value: "1,2" },
        { name: "work_items", value: "#3" },
        { name: "build", value: "4" },
      ]),
    ).toEqual([1, 2, 3]);
  });
});
