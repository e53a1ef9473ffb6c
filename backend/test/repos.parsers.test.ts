import { generateKatalonProject, readKatalonFixture } from "@testops/ado-sim";
import { deriveProject, fileKind, findProjectRoots, listingRoot, needsContent, parseFile, type FileRecord } from "../src/repos/discover";
import { matchesFilter, parseFilter, parseSuiteXml, parseTestCaseXml, splitTags, type FilterTarget } from "../src/repos/katalon";
import { applyChanges } from "../src/repos/sync";
import { sameOrganization } from "../src/ado/urls";
import { formatRepoUrl, parseRepoUrl } from "../src/repos/url";

const text = (b: Uint8Array | string) => (typeof b === "string" ? b : Buffer.from(b).toString("utf8"));

/** Files as the sync would hold them after reading the blobs it needs. */
function records(files: Map<string, Uint8Array | string>): FileRecord[] {
  const tracked = [...files.keys()].filter((p) => fileKind(p));
  const { roots } = findProjectRoots(tracked.map((path) => ({ path, parsed: null })));
  return tracked.map((path, i) => ({
    path,
    objectId: `${String(i).padStart(40, "0")}`,
    parsed: needsContent(path, roots) ? parseFile(fileKind(path)!, text(files.get(path)!)) : null,
  }));
}

describe("parseRepoUrl", () => {
  const ok = (url: string) => {
    const r = parseRepoUrl(url, ["ado.example.local"]);
    if (!r.ok) throw new Error(r.reason);
    return { org: r.value.org.url, project: r.value.project, repo: r.value.repo, path: r.value.path, version: r.value.version };
  };
  it.each([
    [
      "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/tests?path=%2Ftests%2FTestCase&version=GBmain",
      {
        org: "https://dev.azure.com/fabrikam",
        project: "Fabrikam Fiber",
        repo: "tests",
        path: "/tests/TestCase",
        version: { type: "branch", value: "main" },
      },
    ],
    [
      "https://dev.azure.com/fabrikam/P/_git/r?version=GTv2.1.0",
      { project: "P", repo: "r", path: "/", version: { type: "tag", value: "v2.1.0" } },
    ],
    [
      "https://dev.azure.com/fabrikam/P/_git/r?version=GC0123456789ABCDEF0123456789abcdef01234567&path=/a//b/",
      { path: "/a/b", version: { type: "commit", value: "0123456789abcdef0123456789abcdef01234567" } },
    ],
    ["https://dev.azure.com/fabrikam/P/_git/r?version=GBfeature%2Flogin", { version: { type: "branch", value: "feature/login" } }],
    [
      "https://fabrikam@dev.azure.com/fabrikam/P/_git/r",
      { org: "https://dev.azure.com/fabrikam", project: "P", repo: "r", version: undefined },
    ],
    ["https://dev.azure.com/fabrikam/_git/Fabrikam", { project: "Fabrikam", repo: "Fabrikam" }],
    [
      "https://fabrikam.visualstudio.com/DefaultCollection/P/_git/r?path=%2Fx",
      { org: "https://fabrikam.visualstudio.com", project: "P", path: "/x" },
    ],
    ["https://fabrikam.visualstudio.com/P/_git/r/", { org: "https://fabrikam.visualstudio.com", project: "P", repo: "r" }],
    [
      "https://ado.example.local/tfs/DefaultCollection/P/_git/r?version=GBdev",
      { org: "https://ado.example.local/tfs/DefaultCollection", project: "P" },
    ],
    ["https://ado.example.local:8080/Coll/P/_git/r", { org: "https://ado.example.local:8080/Coll", project: "P" }],
    [
      "git@ssh.dev.azure.com:v3/fabrikam/Fabrikam%20Fiber/tests",
      { org: "https://dev.azure.com/fabrikam", project: "Fabrikam Fiber", repo: "tests" },
    ],
    ["fabrikam@vs-ssh.visualstudio.com:v3/fabrikam/P/r", { org: "https://fabrikam.visualstudio.com", project: "P", repo: "r" }],
  ])("parses %s", (url, want) => {
    expect(ok(url)).toMatchObject(want);
  });

  it.each([
    ["", /is required/],
    ["not a url", /not a valid URL/],
    ["http://dev.azure.com/fabrikam/P/_git/r", /https/],
    ["https://dev.azure.com/fabrikam/P/_boards/board", /must contain \/_git\//],
    ["https://dev.azure.com/fabrikam/P/_git/", /must name the repository/],
    ["https://dev.azure.com/fabrikam/P/_git/r/pullrequest/12", /repository, branch or folder/],
    ["https://dev.azure.com/fabrikam/P/_git/r?version=XYmain", /GB \(branch\), GT \(tag\) or GC \(commit\)/],
    ["https://dev.azure.com/fabrikam/P/_git/r?version=GCabc", /full 40-character commit id/],
    ["https://dev.azure.com/fabrikam/P/_git/r?path=%2F..%2Fetc", /invalid folder path/],
    ["https://10.0.0.5/Coll/P/_git/r", /private or local address/],
    ["https://dev.azure.com/_git/r", /must include the organization/],
  ])("refuses %p with a reason", (url, reason) => {
    const r = parseRepoUrl(url);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("treats dev.azure.com/x and x.visualstudio.com as one organization, and round-trips the canonical URL", () => {
    const a = parseRepoUrl("https://dev.azure.com/Fabrikam/P/_git/r");
    const b = parseRepoUrl("https://fabrikam.visualstudio.com/P/_git/r");
    const c = parseRepoUrl("https://dev.azure.com/contoso/P/_git/r");
    if (!a.ok || !b.ok || !c.ok) throw new Error("parse");
    expect(sameOrganization(a.value.org, b.value.org)).toBe(true);
    expect(sameOrganization(a.value.org, c.value.org)).toBe(false);
    const t = { ...a.value, project: "Fabrikam Fiber", path: "/tests/Test Cases", version: { type: "branch" as const, value: "main" } };
    const url = formatRepoUrl(t);
    expect(url).toBe("https://dev.azure.com/Fabrikam/Fabrikam%20Fiber/_git/r?path=%2Ftests%2FTest%20Cases&version=GBmain");
    expect(parseRepoUrl(url)).toMatchObject({
      ok: true,
      value: { project: "Fabrikam Fiber", path: "/tests/Test Cases", version: t.version },
    });
  });
});

describe("Katalon parsers", () => {
  const fixture = readKatalonFixture();

  it("reads every test case of the ci-samples fixture with name, GUID, description and variables", () => {
    const tc = parseTestCaseXml(text(fixture.get("/Test Cases/Main Test Cases/TC1_Verify Successful Login.tc")!));
    expect(tc).toMatchObject({
      ok: true,
      warnings: [],
      value: {
        name: "TC1_Verify Successful Login",
        guid: "e9b87e65-c02e-4631-8c4a-a4b3d9218d69",
        tags: [],
        variables: [
          { id: "14d98e7b-4ac8-4e28-8ce7-394001d188f0", name: "Username", defaultValue: "'John Doe'", masked: false },
          { id: "a97344e7-5f9c-4936-92a2-d85e5463f3c9", name: "Password", defaultValue: "'ThisIsNotAPassword'", masked: false },
        ],
      },
    });
    if (tc.ok) {
      expect(tc.value.description).toContain("Steps:\n- Click on 'Book Appointment' button to login");
      expect(tc.value.comment).toMatch(/^Story: Login to CURA system\nGiven/);
    }
    const tc2 = parseTestCaseXml(text(fixture.get("/Test Cases/Main Test Cases/TC2_Verify Successful Appointment.tc")!));
    expect(tc2).toMatchObject({ ok: true, value: { guid: "c880ce98-5804-476f-88e9-c34919fccc5d", variables: [] } });
  });

  it("reads a suite's ordered links with isRun, and both collections (sequential and parallel)", () => {
    const suite = parseSuiteXml(text(fixture.get("/Test Suites/TS_RegressionTest.ts")!));
    expect(suite).toMatchObject({
      ok: true,
      value: {
        type: "suite",
        guid: "1286ccc6-2057-418d-87af-23d00cc6cd0e",
        links: [
          {
            testCaseId: "Test Cases/Main Test Cases/TC1_Verify Successful Login",
            isRun: true,
            guid: "12b1ed24-3d2b-4bed-87e1-7c72470cdce7",
          },
          { testCaseId: "Test Cases/Main Test Cases/TC2_Verify Successful Appointment", isRun: true },
        ],
      },
    });
    const parallel = parseSuiteXml(text(fixture.get("/Test Suites/Advanced/TS_RegressionTestCollectionParallel.ts")!));
    expect(parallel).toMatchObject({
      ok: true,
      value: {
        type: "collection",
        executionMode: "PARALLEL",
        maxConcurrentInstances: 2,
        runs: [
          { testSuiteId: "Test Suites/TS_RegressionTest", runConfigurationId: "Chrome", profileName: "default", runEnabled: true },
          { testSuiteId: "Test Suites/TS_RegressionTest", runConfigurationId: "Firefox" },
        ],
      },
    });
    expect(parseSuiteXml(text(fixture.get("/Test Suites/TS_RegressionTestCollection.ts")!))).toMatchObject({
      ok: true,
      value: { type: "collection", executionMode: "SEQUENTIAL", maxConcurrentInstances: 1 },
    });
  });

  const TC = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<TestCaseEntity>\n${body}\n</TestCaseEntity>\n`;
  it.each([
    ["TypeScript in a .ts", "suite", `import katalon from "@katalon-studio/cloud-test";\nexport default 1;\n`, /TypeScript source code/],
    ["plain text", "suite", "hello world", /is not XML/],
    ["an empty file", "testCase", "", /is empty/],
    ["truncated XML", "testCase", `<?xml version="1.0"?>\n<TestCaseEntity><name>x</name>`, /not well-formed XML/],
    ["a DOCTYPE with entities", "testCase", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><TestCaseEntity/>`, /DOCTYPE/],
    ["another root element in a .tc", "testCase", `<?xml version="1.0"?><WebElementEntity/>`, /not <TestCaseEntity>/],
    ["another root element in a .ts", "suite", `<?xml version="1.0"?><TestCaseEntity/>`, /not a Katalon test suite/],
  ])("refuses %s with a reason instead of throwing", (_name, kind, content, reason) => {
    const r = parseFile(kind as "suite" | "testCase", content);
    expect(r).toMatchObject({ ok: false });
    if (r && !r.ok) expect(r.reason).toMatch(reason);
  });

  it("reads CRLF and BOM files, keeps GUID-like values as strings, splits tags, and never stores a masked value", () => {
    const crlf = (
      "\uFEFF" +
      TC(
        [
          "   <description>Line one\nLine two</description>",
          "   <name>007</name>",
          "   <tag>sorting, products, sorting</tag>",
          "   <testCaseGuid>1E10AAAA-0000-4000-8000-000000000000</testCaseGuid>",
          "   <variable><defaultValue>'s3cret'</defaultValue><id>v1</id><masked>true</masked><name>Password</name></variable>",
        ].join("\n"),
      )
    ).replace(/\n/g, "\r\n");
    expect(parseTestCaseXml(crlf)).toEqual({
      ok: true,
      warnings: [],
      value: {
        type: "testCase",
        name: "007",
        guid: "1e10aaaa-0000-4000-8000-000000000000",
        description: "Line one\nLine two",
        comment: "",
        tags: ["sorting", "products"],
        tagText: "sorting, products, sorting",
        variables: [{ id: "v1", name: "Password", defaultValue: "", description: "", masked: true }],
      },
    });
    expect(splitTags(" , a,,b ")).toEqual(["a", "b"]);
  });

  it("keeps descriptions, comments and default values as written (leading/trailing whitespace and separators)", () => {
    const description = "\n  Steps:\n  1. open\n  ---\n";
    const comment = "  TODO: flaky on Firefox  ";
    const tc = parseTestCaseXml(
      TC(
        `<comment>${comment}</comment><description>${description}</description><name> Login </name>` +
          "<variable><defaultValue>' '</defaultValue><description> the user </description><id>v</id><masked>false</masked><name>user</name></variable>",
      ),
    );
    expect(tc).toMatchObject({
      ok: true,
      value: { name: "Login", comment, description, variables: [{ name: "user", defaultValue: "' '", description: " the user " }] },
    });
    const suite = parseSuiteXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<TestSuiteEntity>\n   <description>\n  regression, nightly \n</description>\n   <name>S</name>\n</TestSuiteEntity>`,
    );
    expect(suite).toMatchObject({ ok: true, value: { name: "S", description: "\n  regression, nightly \n", links: [] } });
  });

  it("warns about a missing or malformed testCaseGuid", () => {
    expect(parseTestCaseXml(TC("<name>x</name>"))).toMatchObject({
      ok: true,
      value: { guid: null },
      warnings: [expect.stringMatching(/no testCaseGuid/)],
    });
    expect(parseTestCaseXml(TC("<name>x</name><testCaseGuid>nope</testCaseGuid>"))).toMatchObject({
      ok: true,
      value: { guid: null },
      warnings: [expect.stringMatching(/"nope" is not a GUID/)],
    });
  });

  // Katalon Studio's own rules (FilterController, see docs/ado-fidelity.md): query → members.
  const members: (FilterTarget & { key: string })[] = [
    { key: "A", id: "Test Cases/Admin/ADM-1 Login", name: "ADM-1 Login", tagText: "smoke, ui", description: "Checks login" },
    { key: "B", id: "Test Cases/Admin Users/ADM-2 Create", name: "ADM-2 Create", tagText: "regression", description: "" },
    { key: "C", id: "Test Cases/Shop/Cart", name: "Cart", tagText: "sorting, products", description: "adds to cart" },
  ];
  it.each([
    ["name=(adm-)", "AB"],
    ["name=()", "ABC"],
    ["id=(Test Cases/Admin)", "A"],
    ["id=(Test Cases/Admin/ADM-1 Login)", "A"],
    ["id=(test cases/admin)", ""],
    ["id=(Admin)", ""],
    ["ids=(Test Cases/Shop/Cart , Test Cases/Admin/ADM-1 Login)", "AC"],
    ["ids=(Test Cases/Shop)", ""],
    ["tag=(smoke)", "A"],
    ["tag=(g, p)", "C"],
    ["tags=(Products,sorting)", "C"],
    ["tags=(smoke, regression)", ""],
    ["description=(LOGIN)", "A"],
    ["comment=(login)", ""],
    ["folder=(Admin)", ""],
    ["Name=(Cart)", ""],
    ["name = (Cart)", ""],
    ["name=(Cart", ""],
    ["Cart", ""],
    ["", "ABC"],
    ["   ", "ABC"],
    ["name=(ADM) name=(Cart)", ""],
    ["tag=(smoke) name=(ADM-1)", ""],
    ["name=(ADM-1) tag=(smoke)", ""],
    ["prefix name=(Cart)", "C"],
  ])("dynamic suite query %p selects %p", (query, want) => {
    const filter = parseFilter(query);
    expect(
      members
        .filter((m) => matchesFilter(filter, m))
        .map((m) => m.key)
        .join(""),
    ).toBe(want);
  });
  it("explains queries that select nothing, or less than they seem to", () => {
    expect(parseFilter("name=(ADM)").notes).toEqual([]);
    expect(parseFilter("Name = (Cart)").notes).toEqual([expect.stringMatching(/keys are lower case, with no spaces/)]);
    expect(parseFilter("Cart").notes).toEqual([expect.stringMatching(/no key=\(value\)/)]);
    expect(parseFilter("comment=(x)").notes).toEqual([expect.stringMatching(/comment=\(…\), which Katalon never matches/)]);
    expect(parseFilter("tag=(smoke) name=(ADM-1)").notes).toEqual([expect.stringMatching(/up to the last "\)" .*"smoke\) name=\(ADM-1"/)]);
    expect(parseFilter("").notes).toEqual([expect.stringMatching(/every test case/)]);
  });
});

describe("deriveProject", () => {
  it("finds exactly the ci-samples fixture's 3 test cases and 3 suites, with their links", () => {
    const p = deriveProject(records(readKatalonFixture()), "/");
    expect(p.roots).toEqual([{ dir: "", prjPath: "/test.prj", name: "test" }]);
    expect(p.testCases.map((t) => [t.katalonId, t.folder, t.key])).toEqual([
      ["Test Cases/Common Test Cases/Login", "Common Test Cases", "dc59940a-fb78-4da3-82c6-7ff4bffcfd97"],
      ["Test Cases/Main Test Cases/TC1_Verify Successful Login", "Main Test Cases", "e9b87e65-c02e-4631-8c4a-a4b3d9218d69"],
      ["Test Cases/Main Test Cases/TC2_Verify Successful Appointment", "Main Test Cases", "c880ce98-5804-476f-88e9-c34919fccc5d"],
    ]);
    expect(p.suites.map((s) => [s.katalonId, s.kind, s.folder])).toEqual([
      ["Test Suites/Advanced/TS_RegressionTestCollectionParallel", "collection", "Advanced"],
      ["Test Suites/TS_RegressionTest", "suite", ""],
      ["Test Suites/TS_RegressionTestCollection", "collection", ""],
    ]);
    const suite = p.suites.find((s) => s.kind === "suite")!;
    expect(suite.kind === "suite" && suite.links.map((l) => [l.testCaseKey, l.isRun])).toEqual([
      ["e9b87e65-c02e-4631-8c4a-a4b3d9218d69", true],
      ["c880ce98-5804-476f-88e9-c34919fccc5d", true],
    ]);
    for (const c of p.suites.filter((s) => s.kind === "collection"))
      expect(c.kind === "collection" && c.runs.map((r) => [r.suiteKey, r.runConfigurationId])).toEqual([
        [suite.key, "Chrome"],
        [suite.key, "Firefox"],
      ]);
    // The fixture has no Scripts/ folder: reported as warnings, nothing skipped.
    expect(p.report.filter((r) => r.severity === "skipped")).toEqual([]);
    expect(p.report.filter((r) => r.severity === "warning").map((r) => r.reason)).toEqual(
      Array(3).fill(expect.stringMatching(/has no script/)),
    );
  });

  it("reports every trap of a generated project and still syncs the rest", () => {
    const gen = generateKatalonProject({ testCases: 20, traps: true, seed: 3 });
    const p = deriveProject(records(gen.files), "/");
    const reasons = (path: string) => p.report.filter((r) => r.path === path).map((r) => `${r.severity}: ${r.reason}`);
    expect(reasons("/test-cases/cloud_first_test_case.ks.ts")).toEqual([
      expect.stringMatching(/^skipped: is a TypeScript file outside Test Suites/),
    ]);
    expect(reasons("/src/util.ts")).toEqual([expect.stringMatching(/^skipped: is a .ts file outside Test Suites/)]);
    expect(reasons("/test-cases/cloud_first_test_case.tc")).toEqual([expect.stringMatching(/^skipped: is a .tc file outside Test Cases/)]);
    expect(reasons("/productCreate.tc")).toEqual([expect.stringMatching(/^skipped: is a .tc file outside Test Cases/)]);
    expect(reasons("/generated-katalon_automation.prj")).toEqual([
      expect.stringMatching(/^skipped: another .prj in the same folder; the project is read once, from generated-katalon.prj/),
    ]);
    expect(reasons("/Test Suites/Dangling.ts")).toEqual([
      expect.stringMatching(/links to Test Cases\/UI\/WhitePapers_Bulk, which is not a test case .*dangling/),
    ]);
    // CRLF, non-ASCII and 200+ character paths are synced like any other test case.
    const crlf = p.testCases.find((t) => t.name === "Logout CRLF")!;
    expect(crlf.description).toBe("Line endings are CRLF.");
    const long = p.testCases.find((t) => t.folder === "Report viewer")!;
    expect(long.path.length).toBeGreaterThan(200);
    expect(long.name).toContain("5μm and 20μm");
    expect(long.scriptPath).toBe(`/Scripts/Report viewer/${long.name}/Script1634230545645.groovy`);
    expect(p.testCases).toHaveLength(gen.testCases.length);
    expect(new Set(p.testCases.map((t) => t.guid))).toEqual(new Set(gen.testCases.map((t) => t.guid)));
    // Dynamic suite "name=(TC00)" resolves to the test cases whose name contains TC00.
    const dyn = p.suites.find((s) => s.kind === "dynamic")!;
    const want = p.testCases.filter((t) => t.name.includes("TC00")).map((t) => t.key);
    expect(want.length).toBeGreaterThan(0);
    expect(dyn.kind === "dynamic" && dyn.testCaseKeys).toEqual(want);
  });

  it("keeps duplicate GUIDs apart by path, reports them, and links suites case-insensitively as Katalon on Windows", () => {
    const tc = (guid: string) => `<?xml version="1.0"?><TestCaseEntity><name>x</name><testCaseGuid>${guid}</testCaseGuid></TestCaseEntity>`;
    const g = "11111111-2222-4333-8444-555555555555";
    const files = new Map<string, string>([
      ["/p/p.prj", `<?xml version="1.0"?><Project><name>p</name></Project>`],
      ["/p/Test Cases/A.tc", tc(g)],
      ["/p/Test Cases/B.tc", tc(g)],
      [
        "/p/Test Suites/S.ts",
        `<?xml version="1.0"?><TestSuiteEntity><name>S</name><testCaseLink><testCaseId>test cases/b</testCaseId><isRun>false</isRun></testCaseLink></TestSuiteEntity>`,
      ],
    ]);
    const p = deriveProject(records(files), "/");
    expect(p.testCases.map((t) => t.key)).toEqual([g, "path:/p/Test Cases/B.tc"]);
    expect(p.report).toContainEqual({
      path: "/p/Test Cases/B.tc",
      severity: "warning",
      reason: expect.stringMatching(/same testCaseGuid as \/p\/Test Cases\/A.tc/),
    });
    const s = p.suites[0];
    expect(s.kind === "suite" && s.links).toEqual([
      { testCaseId: "test cases/b", guid: null, isRun: false, testCaseKey: "path:/p/Test Cases/B.tc" },
    ]);
  });

  it("a suite link and its script resolve alike ignoring case (Katalon on Windows), each case difference reported", () => {
    const files = new Map<string, string>([
      ["/p/p.prj", `<?xml version="1.0"?><Project><name>p</name></Project>`],
      ["/p/Test Cases/Login/Valid User.tc", `<TestCaseEntity><name>Valid User</name></TestCaseEntity>`],
      ["/p/Scripts/login/valid user/Script1.groovy", "WebUI.openBrowser('')"],
      ["/p/Test Cases/Exact.tc", `<TestCaseEntity><name>Exact</name></TestCaseEntity>`],
      ["/p/Scripts/Exact/Script1.groovy", "WebUI.openBrowser('')"],
      [
        "/p/Test Suites/S.ts",
        `<TestSuiteEntity><name>S</name><testCaseLink><testCaseId>Test Cases/LOGIN/Valid User</testCaseId></testCaseLink>` +
          `<testCaseLink><testCaseId>Test Cases/Exact</testCaseId></testCaseLink></TestSuiteEntity>`,
      ],
    ]);
    const p = deriveProject(records(files), "/");
    const login = p.testCases.find((t) => t.name === "Valid User")!;
    expect(login.scriptPath).toBe("/p/Scripts/login/valid user/Script1.groovy");
    const caseWarnings = (w: string[]) => w.filter((x) => !/testCaseGuid/.test(x));
    expect(caseWarnings(login.warnings)).toEqual([
      expect.stringMatching(/script in Scripts\/login\/valid user, whose case differs .*Windows only/),
    ]);
    expect(caseWarnings(p.testCases.find((t) => t.name === "Exact")!.warnings)).toEqual([]);
    const s = p.suites[0];
    expect(s.kind === "suite" && s.links.map((l) => l.testCaseKey)).toEqual([login.key, "path:/p/Test Cases/Exact.tc"]);
    expect(s.warnings).toEqual([
      expect.stringMatching(/links to Test Cases\/LOGIN\/Valid User, whose case differs from Test Cases\/Login\/Valid User/),
    ]);
  });

  it("limits a link to a folder inside a project but still uses the project's .prj and Scripts/", () => {
    const gen = generateKatalonProject({ testCases: 16, seed: 5 });
    expect(listingRoot("/Test Cases/Admin")).toBe("/");
    expect(listingRoot("/tests/katalon/Test Suites")).toBe("/tests/katalon");
    const p = deriveProject(records(gen.files), "/Test Cases/Admin");
    expect(p.testCases.length).toBeGreaterThan(0);
    expect(p.testCases.every((t) => t.folder.startsWith("Admin/") && t.scriptPath)).toBe(true);
    expect(p.suites).toEqual([]);
  });

  it("uses the folder holding Test Cases/ when there is no .prj, and says so", () => {
    const files = new Map([["/qa/Test Cases/A.tc", `<TestCaseEntity><name>A</name></TestCaseEntity>`]]);
    const p = deriveProject(records(files), "/");
    expect(p.roots).toEqual([{ dir: "/qa", prjPath: null, name: "qa" }]);
    expect(p.testCases.map((t) => t.katalonId)).toEqual(["Test Cases/A"]);
    expect(p.report[0]).toMatchObject({ path: "/qa", severity: "warning", reason: expect.stringMatching(/no .prj file found/) });
  });

  it("never lets one bad file stop the others", () => {
    const files = new Map<string, string>([
      ["/x.prj", "<Project><name>x</name></Project>"],
      ["/Test Cases/Good.tc", "<TestCaseEntity><name>Good</name></TestCaseEntity>"],
      ["/Test Cases/Bad.tc", "<TestCaseEntity><name>Bad"],
      ["/Test Suites/Bad.ts", "export const x = 1;"],
    ]);
    const p = deriveProject(records(files), "/");
    expect(p.testCases.map((t) => t.name)).toEqual(["Good"]);
    expect(p.report.filter((r) => r.severity === "skipped").map((r) => r.path)).toEqual(["/Test Cases/Bad.tc", "/Test Suites/Bad.ts"]);
  });
});

describe("applyChanges (commit diffs onto the tracked files)", () => {
  const tracked = new Map([
    ["/k/Test Cases/A.tc", "a"],
    ["/k/Test Cases/B.tc", "b"],
    ["/k/Scripts/A/Script1.groovy", "s"],
  ]);
  const ch = (path: string, types: string, o: { objectId?: string; originalPath?: string; isFolder?: boolean } = {}) => ({
    path,
    types: new Set(types.split(",").map((t) => t.trim())),
    isFolder: !!o.isFolder,
    objectId: o.objectId,
    originalPath: o.originalPath,
  });
  it("applies adds, edits, renames (with comma-joined change types) and deletes, ignoring files outside the root or of no interest", () => {
    const next = applyChanges(
      tracked,
      [
        ch("/k/Test Cases/A2.tc", "edit, rename", { objectId: "A2", originalPath: "/k/Test Cases/A.tc" }),
        ch("/k/Test Cases/B.tc", "delete"),
        ch("/k/Test Cases/C.tc", "add", { objectId: "C" }),
        ch("/k/README.md", "add", { objectId: "r" }),
        ch("/other/Test Cases/D.tc", "add", { objectId: "d" }),
        ch("/k/Test Cases", "edit", { isFolder: true }),
      ],
      "/k",
    );
    expect(next).toEqual(
      new Map([
        ["/k/Scripts/A/Script1.groovy", "s"],
        ["/k/Test Cases/A2.tc", "a2"],
        ["/k/Test Cases/C.tc", "c"],
      ]),
    );
  });
  it("drops everything under a deleted folder, and asks for a listing when it cannot follow a change", () => {
    expect(applyChanges(tracked, [ch("/k/Scripts", "delete", { isFolder: true })], "/k")).toEqual(
      new Map([...tracked].filter(([p]) => !p.startsWith("/k/Scripts/"))),
    );
    expect(applyChanges(tracked, [ch("/k/Tests", "rename", { isFolder: true, originalPath: "/k/Test Cases" })], "/k")).toBe("relist");
    expect(applyChanges(tracked, [ch("/k/Test Cases/E.tc", "add")], "/k")).toBe("relist");
  });
});
