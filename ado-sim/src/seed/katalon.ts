// Katalon Studio project content for seeded repos: the ci-samples fixture (read at run time from
// /work/shared, never copied into this repo) and generated projects of any size, optionally with the
// traps found in real repos (.ts files that are TypeScript, CRLF, non-ASCII/long paths, dangling links...).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Rng } from "../prng";

/** Where the shared fixture lives: /work/shared/fixtures/katalon/ci-samples relative to the repo root. */
export const KATALON_FIXTURE_DIR = path.resolve(__dirname, "../../../../shared/fixtures/katalon/ci-samples");

/** Reads the fixture directory into path → bytes. Throws a clear error when it is missing. */
export function readKatalonFixture(dir = KATALON_FIXTURE_DIR): Map<string, Uint8Array> {
  if (!existsSync(dir))
    throw new Error(
      `Katalon fixture not found at ${dir}. It is expected at <repo>/../shared/fixtures/katalon/ci-samples; ` +
        `seed with { katalonRepos: false } to run without it.`,
    );
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(`/${path.relative(dir, full).split(path.sep).join("/")}`, readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

export interface GeneratedKatalonOptions {
  testCases: number;
  traps?: boolean;
  seed?: number;
  projectName?: string;
}

const FOLDERS = ["Login", "Checkout", "Search", "Admin/Users", "Admin/Roles", "Reports", "API/Orders", "API/Customers"];
const VERBS = ["Verify", "Check", "Validate", "Ensure"];
const THINGS = [
  "successful login",
  "invalid password",
  "cart totals",
  "search by name",
  "user creation",
  "role assignment",
  "order export",
  "customer lookup",
  "pagination",
  "sorting by date",
];

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface GeneratedTestCase {
  /** "Test Cases/Login/TC0001 Verify successful login" (a suite's testCaseId). */
  id: string;
  guid: string;
  name: string;
}

function tcXml(name: string, guid: string, description: string, tag: string, vars: { id: string; name: string; value: string }[]): string {
  const v = vars
    .map(
      (x) =>
        `   <variable>\n      <defaultValue>${xmlEscape(x.value)}</defaultValue>\n      <description></description>\n      <id>${x.id}</id>\n      <masked>false</masked>\n      <name>${x.name}</name>\n   </variable>\n`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<TestCaseEntity>\n   <description>${xmlEscape(description)}</description>\n   <name>${xmlEscape(name)}</name>\n   <tag>${xmlEscape(tag)}</tag>\n   <comment></comment>\n   <recordOption>OTHER</recordOption>\n   <testCaseGuid>${guid}</testCaseGuid>\n${v}</TestCaseEntity>\n`;
}

function suiteXml(name: string, guid: string, links: { guid: string; testCaseId: string; isRun: boolean }[]): string {
  const l = links
    .map(
      (x) =>
        `   <testCaseLink>\n      <guid>${x.guid}</guid>\n      <isReuseDriver>false</isReuseDriver>\n      <isRun>${x.isRun}</isRun>\n      <testCaseId>${xmlEscape(x.testCaseId)}</testCaseId>\n      <usingDataBindingAtTestSuiteLevel>true</usingDataBindingAtTestSuiteLevel>\n   </testCaseLink>\n`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<TestSuiteEntity>\n   <description></description>\n   <name>${xmlEscape(name)}</name>\n   <tag></tag>\n   <isRerun>false</isRerun>\n   <mailRecipient></mailRecipient>\n   <numberOfRerun>0</numberOfRerun>\n   <pageLoadTimeout>30</pageLoadTimeout>\n   <pageLoadTimeoutDefault>true</pageLoadTimeoutDefault>\n   <rerunFailedTestCasesOnly>false</rerunFailedTestCasesOnly>\n   <rerunImmediately>false</rerunImmediately>\n   <testSuiteGuid>${guid}</testSuiteGuid>\n${l}</TestSuiteEntity>\n`;
}

function collectionXml(name: string, suites: string[], parallel: boolean): string {
  const cfg = suites
    .map(
      (s) =>
        `      <TestSuiteRunConfiguration>\n         <configuration>\n            <groupName>Web Desktop</groupName>\n            <profileName>default</profileName>\n            <runConfigurationId>Chrome</runConfigurationId>\n         </configuration>\n         <runEnabled>true</runEnabled>\n         <testSuiteEntity>${xmlEscape(s)}</testSuiteEntity>\n      </TestSuiteRunConfiguration>\n`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<TestSuiteCollectionEntity>\n   <description></description>\n   <name>${xmlEscape(name)}</name>\n   <tag></tag>\n   <executionMode>${parallel ? "PARALLEL" : "SEQUENTIAL"}</executionMode>\n   <maxConcurrentInstances>${parallel ? 2 : 1}</maxConcurrentInstances>\n   <testSuiteRunConfigurations>\n${cfg}   </testSuiteRunConfigurations>\n</TestSuiteCollectionEntity>\n`;
}

function filteringXml(name: string, guid: string, filter: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<FilteringTestSuiteEntity>\n   <description></description>\n   <name>${xmlEscape(name)}</name>\n   <tag></tag>\n   <isRerun>false</isRerun>\n   <mailRecipient></mailRecipient>\n   <numberOfRerun>0</numberOfRerun>\n   <pageLoadTimeout>30</pageLoadTimeout>\n   <pageLoadTimeoutDefault>true</pageLoadTimeoutDefault>\n   <rerunFailedTestCasesOnly>false</rerunFailedTestCasesOnly>\n   <rerunImmediately>false</rerunImmediately>\n   <testSuiteGuid>${guid}</testSuiteGuid>\n   <filteringBuiltIn>com.kms.katalon.execution.platform.DynamicBuiltInSearch</filteringBuiltIn>\n   <filteringExtension></filteringExtension>\n   <filteringPlugin></filteringPlugin>\n   <filteringText>${xmlEscape(filter)}</filteringText>\n</FilteringTestSuiteEntity>\n`;
}

function prjXml(name: string, guid: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Project>\n   <description></description>\n   <name>${xmlEscape(name)}</name>\n   <tag></tag>\n   <UUID>${guid}</UUID>\n   <migratedVersion>5.9.0</migratedVersion>\n   <pageLoadTimeout>30</pageLoadTimeout>\n   <sourceContent>\n      <sourceFolderList>\n         <sourceFolderConfiguration>\n            <url>Include/features</url>\n         </sourceFolderConfiguration>\n      </sourceFolderList>\n   </sourceContent>\n   <type>WEBUI</type>\n</Project>\n`;
}

const groovy = (name: string) =>
  `import static com.kms.katalon.core.testcase.TestCaseFactory.findTestCase\nimport com.kms.katalon.core.webui.keyword.WebUiBuiltInKeywords as WebUI\n\n// ${name}\nWebUI.openBrowser('')\nWebUI.navigateToUrl(GlobalVariable.G_SiteURL)\nWebUI.closeBrowser()\n`;

/** Generates a Katalon project as path → text. Deterministic for a given seed. */
export function generateKatalonProject(opts: GeneratedKatalonOptions): { files: Map<string, string>; testCases: GeneratedTestCase[] } {
  const rng = new Rng(opts.seed ?? 7);
  const files = new Map<string, string>();
  const name = opts.projectName ?? "generated-katalon";
  files.set(`/${name}.prj`, prjXml(name, rng.uuid()));
  files.set(
    "/Profiles/default.glbl",
    `<?xml version="1.0" encoding="UTF-8"?>\n<GlobalVariableEntities>\n   <description></description>\n   <name>default</name>\n   <tag></tag>\n   <defaultProfile>true</defaultProfile>\n   <GlobalVariableEntity>\n      <description></description>\n      <initValue>'https://katalon-demo-cura.herokuapp.com/'</initValue>\n      <name>G_SiteURL</name>\n   </GlobalVariableEntity>\n</GlobalVariableEntities>\n`,
  );
  const tcs: GeneratedTestCase[] = [];
  let epoch = 1_600_000_000_000;
  for (let i = 0; i < opts.testCases; i++) {
    const folder = FOLDERS[i % FOLDERS.length];
    const tcName = `TC${String(i + 1).padStart(4, "0")} ${rng.pick(VERBS)} ${rng.pick(THINGS)}`;
    const guid = rng.uuid();
    const id = `Test Cases/${folder}/${tcName}`;
    const vars = rng.chance(0.3) ? [{ id: rng.uuid(), name: "Username", value: "'John Doe'" }] : [];
    const tag = rng.pick(["", "", "smoke", "regression", "smoke, regression"]);
    files.set(`/${id}.tc`, tcXml(tcName, guid, `Generated test case ${i + 1}.`, tag, vars));
    epoch += rng.int(1000, 100_000_000);
    files.set(`/Scripts/${folder}/${tcName}/Script${epoch}.groovy`, groovy(tcName));
    tcs.push({ id, guid, name: tcName });
  }
  // Suites: one per folder, plus a smoke suite with some links not run.
  const suites: string[] = [];
  for (const folder of FOLDERS) {
    const members = tcs.filter((t) => t.id.startsWith(`Test Cases/${folder}/`));
    if (!members.length) continue;
    const suite = `Test Suites/${folder.replace("/", " ")} Suite`;
    suites.push(suite);
    files.set(
      `/${suite}.ts`,
      suiteXml(
        `${folder.replace("/", " ")} Suite`,
        rng.uuid(),
        members.map((t) => ({ guid: rng.uuid(), testCaseId: t.id, isRun: true })),
      ),
    );
  }
  const smoke = tcs.filter((_, i) => i % 5 === 0);
  files.set(
    "/Test Suites/Smoke.ts",
    suiteXml(
      "Smoke",
      rng.uuid(),
      smoke.map((t, i) => ({ guid: rng.uuid(), testCaseId: t.id, isRun: i % 3 !== 2 })),
    ),
  );
  files.set("/Test Suites/Regression Collection.ts", collectionXml("Regression Collection", suites, false));
  files.set("/Test Suites/Dynamic/Admin Filter.ts", filteringXml("Admin Filter", rng.uuid(), "name=(TC00)"));
  if (opts.traps) {
    // A TypeScript file with a .ts extension (Katalon cloud "ks.ts" test) outside Test Suites.
    files.set(
      "/test-cases/cloud_first_test_case.ks.ts",
      `import katalon from "@katalon-studio/cloud-test";\n\nexport default katalon.test("first", async () => {\n  await katalon.openBrowser();\n});\n`,
    );
    files.set("/src/util.ts", `export const add = (a: number, b: number) => a + b;\n`);
    // A .tc outside Test Cases/ (non-standard, no testCaseGuid).
    files.set(
      "/test-cases/cloud_first_test_case.tc",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<TestCaseEntity>\n    <name>cloud_first_test_case</name>\n    <executionType>TS</executionType>\n    <type>ks</type>\n</TestCaseEntity>\n`,
    );
    files.set("/productCreate.tc", tcXml("productCreate", rng.uuid(), "A test case at the repo root.", "", []));
    // CRLF test case.
    const crlfGuid = rng.uuid();
    files.set(
      "/Test Cases/Another Cases/Logout CRLF.tc",
      tcXml("Logout CRLF", crlfGuid, "Line endings are CRLF.", "", []).replace(/\n/g, "\r\n"),
    );
    tcs.push({ id: "Test Cases/Another Cases/Logout CRLF", guid: crlfGuid, name: "Logout CRLF" });
    // Non-ASCII and very long path (> 200 chars).
    const longName = `RV-69-Verification of the altering of the size of the line between 5μm and 20μm (commas, parentheses) ${"x".repeat(90)}`;
    const longGuid = rng.uuid();
    files.set(`/Test Cases/Report viewer/${longName}.tc`, tcXml(longName, longGuid, "Non-ASCII and a long path.", "", []));
    files.set(`/Scripts/Report viewer/${longName}/Script1634230545645.groovy`, groovy(longName));
    tcs.push({ id: `Test Cases/Report viewer/${longName}`, guid: longGuid, name: longName });
    // Dangling suite link, and a script dir with two scripts.
    files.set(
      "/Test Suites/Dangling.ts",
      suiteXml("Dangling", rng.uuid(), [{ guid: rng.uuid(), testCaseId: "Test Cases/UI/WhitePapers_Bulk", isRun: true }]),
    );
    files.set("/Scripts/UI/WhitePapers_Bulk/Script1634663289889.groovy", groovy("WhitePapers_Bulk"));
    // A second .prj at the root.
    files.set(`/${name}_automation.prj`, prjXml(`${name}_automation`, rng.uuid()));
  }
  return { files, testCases: tcs };
}
