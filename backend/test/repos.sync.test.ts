import { randomUUID } from "node:crypto";
import { createSimulator, DEMO_PATS, generateKatalonProject } from "@testops/ado-sim";
import { eq } from "drizzle-orm";
import { AdoClient } from "../src/ado/client";
import { parseOrganizationUrl } from "../src/ado/urls";
import { organizations, reposLinks, reposTestCases, reposTestSuites } from "../src/db/schema";
import { getRepository, resolveCommit } from "../src/repos/git";
import { syncLink, type ReposLink } from "../src/repos/sync";
import { DB_KINDS, testBackend } from "./helpers";

const PROJECT = "Fabrikam Fiber";
const GENERATED = 120;

// The engine alone, with an AdoClient built directly on the simulator (the job handler and routes
// are covered in repos.routes.test.ts).
describe.each(DB_KINDS)("Repos sync engine against the simulator (%s)", (kind) => {
  const sim = createSimulator({ seed: { workItems: 0, generatedKatalon: { testCases: GENERATED, traps: true } } });
  const org = parseOrganizationUrl("https://dev.azure.com/fabrikam");
  if (!org.ok) throw new Error(org.reason);
  const client = () =>
    new AdoClient({ org: org.value, auth: { type: "pat", pat: DEMO_PATS.admin }, fetch: sim.fetch, simulatorUrl: "http://ado-sim.test" });
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const orgId = sim.state.orgs.get("fabrikam")!.id;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    await backend.deps.database.db.insert(organizations).values({ id: orgId, name: "fabrikam", url: "https://dev.azure.com/fabrikam" });
  }, 60_000);
  afterAll(() => backend?.close());

  const db = () => backend.deps.database.db;
  async function newLink(repo: string, path = "/", branch = "main"): Promise<ReposLink> {
    const r = (await getRepository(client(), PROJECT, repo))!;
    const [row] = await db()
      .insert(reposLinks)
      .values({
        id: randomUUID(),
        orgId,
        projectId: r.project.id,
        name: `${repo} ${randomUUID().slice(0, 8)}`,
        url: `https://dev.azure.com/fabrikam/${PROJECT}/_git/${repo}`,
        repoProjectId: r.project.id,
        repoProjectName: r.project.name,
        repositoryId: r.id,
        repositoryName: r.name,
        path,
        versionType: "branch",
        version: branch,
        createdBy: "u",
        updatedBy: "u",
      })
      .returning();
    return row;
  }
  const reload = async (id: string) => (await db().select().from(reposLinks).where(eq(reposLinks.id, id)))[0];
  const sync = async (link: ReposLink, full = false) => {
    const c = client();
    sim.requestLog.clear();
    const summary = await syncLink({ db: db(), client: c, full }, await reload(link.id));
    return { summary, gitRequests: sim.requestLog.count({ pathIncludes: "/_apis/git/" }), clientRequests: c.requests };
  };
  const testCases = (linkId: string) => db().select().from(reposTestCases).where(eq(reposTestCases.linkId, linkId));
  const suites = (linkId: string) => db().select().from(reposTestSuites).where(eq(reposTestSuites.linkId, linkId));

  it("syncs the ci-samples repo into exactly its 3 test cases and 3 suites with their links, in 3 requests", async () => {
    const link = await newLink("katalon-ci-samples");
    const { summary, gitRequests } = await sync(link);
    expect(summary).toMatchObject({
      mode: "full",
      requests: 3,
      testCases: { total: 3, created: 3 },
      suites: { total: 3, created: 3 },
      skipped: 0,
    });
    expect(gitRequests).toBe(3); // refs, one recursive listing, one blobs zip
    const tcs = await testCases(link.id);
    expect(tcs.map((t) => t.katalonId).sort()).toEqual([
      "Test Cases/Common Test Cases/Login",
      "Test Cases/Main Test Cases/TC1_Verify Successful Login",
      "Test Cases/Main Test Cases/TC2_Verify Successful Appointment",
    ]);
    expect(tcs.find((t) => t.name === "Login")).toMatchObject({
      guid: "dc59940a-fb78-4da3-82c6-7ff4bffcfd97",
      folder: "Common Test Cases",
      path: "/Test Cases/Common Test Cases/Login.tc",
      variables: [expect.objectContaining({ name: "Username" }), expect.objectContaining({ name: "Password" })],
    });
    const ss = await suites(link.id);
    expect(ss.map((s) => [s.katalonId, s.kind]).sort()).toEqual([
      ["Test Suites/Advanced/TS_RegressionTestCollectionParallel", "collection"],
      ["Test Suites/TS_RegressionTest", "suite"],
      ["Test Suites/TS_RegressionTestCollection", "collection"],
    ]);
    const suite = ss.find((s) => s.kind === "suite")!;
    const byGuid = new Map(tcs.map((t) => [t.identity, t.katalonId]));
    expect((suite.details.links as { testCaseKey: string; isRun: boolean }[]).map((l) => [byGuid.get(l.testCaseKey), l.isRun])).toEqual([
      ["Test Cases/Main Test Cases/TC1_Verify Successful Login", true],
      ["Test Cases/Main Test Cases/TC2_Verify Successful Appointment", true],
    ]);
    const parallel = ss.find((s) => s.katalonId.endsWith("Parallel"))!;
    expect(parallel.details).toMatchObject({
      executionMode: "PARALLEL",
      runs: [{ suiteKey: suite.identity }, { suiteKey: suite.identity }],
    });
    expect(await reload(link.id)).toMatchObject({ status: "Active", lastCommit: summary.commitId });
  });

  it("asks ADO once and writes nothing when nothing was pushed since", async () => {
    const link = await newLink("katalon-ci-samples");
    await sync(link);
    const before = await testCases(link.id);
    const { summary, gitRequests } = await sync(link);
    expect(summary).toMatchObject({ mode: "unchanged", testCases: { total: 3, created: 0, updated: 0, removed: 0 }, blobsFetched: 0 });
    expect(gitRequests).toBe(1);
    expect((await testCases(link.id)).map((t) => t.updatedAt.getTime()).sort()).toEqual(before.map((t) => t.updatedAt.getTime()).sort());
  });

  it("reports every trap of a generated project, and still syncs all its test cases", async () => {
    const link = await newLink("katalon-generated");
    const { summary } = await sync(link);
    const gen = generateKatalonProject({ testCases: GENERATED, traps: true });
    expect(summary.testCases.total).toBe(gen.testCases.length);
    const report = (await reload(link.id)).lastSync as { report: { path: string; severity: string; reason: string }[] };
    const about = (p: string) => report.report.filter((r) => r.path === p).map((r) => `${r.severity}: ${r.reason}`);
    expect(about("/test-cases/cloud_first_test_case.ks.ts")).toEqual([
      expect.stringMatching(/^skipped: .*TypeScript.*outside Test Suites/),
    ]);
    expect(about("/src/util.ts")).toEqual([expect.stringMatching(/^skipped: .*outside Test Suites/)]);
    expect(about("/test-cases/cloud_first_test_case.tc")).toEqual([expect.stringMatching(/^skipped: .*outside Test Cases/)]);
    expect(about("/productCreate.tc")).toEqual([expect.stringMatching(/^skipped: .*outside Test Cases/)]);
    expect(about("/generated-katalon_automation.prj")).toEqual([expect.stringMatching(/^skipped: another .prj/)]);
    expect(about("/Test Suites/Dangling.ts")).toEqual([expect.stringMatching(/^warning: .*WhitePapers_Bulk.*dangling/)]);
    // CRLF, non-ASCII and 200+ character paths made it through HTTP, zip and the database intact.
    const tcs = await testCases(link.id);
    expect(tcs.find((t) => t.name === "Logout CRLF")?.description).toBe("Line endings are CRLF.");
    const long = tcs.find((t) => t.name.includes("5μm and 20μm"))!;
    expect(long.path.length).toBeGreaterThan(200);
    expect(long.scriptPath).toMatch(/Script1634230545645\.groovy$/);
    const dangling = (await suites(link.id)).find((s) => s.name === "Dangling")!;
    expect(dangling.details).toEqual({
      links: [expect.objectContaining({ testCaseId: "Test Cases/UI/WhitePapers_Bulk", testCaseKey: null })],
    });
  });

  it("after a push that renames one test case, fetches and updates just that one (same row, by GUID)", async () => {
    const link = await newLink("katalon-generated");
    await sync(link);
    const before = await testCases(link.id);
    const target = before.find((t) => t.name.startsWith("TC0102 "))!;
    const oldName = target.name;
    const newName = `${oldName} renamed`;
    const repo = sim.state.orgs
      .get("fabrikam")!
      .projects.find((p) => p.name === PROJECT)!
      .repos.find((r) => r.name === "katalon-generated")!;
    const head = repo.refs.get("refs/heads/main")!;
    const read = (p: string) => Buffer.from(repo.get(repo.flatFiles(head).get(p)!)!.data).toString("utf8");
    const folder = target.folder;
    const suitePath = `/Test Suites/${folder.replace("/", " ")} Suite.ts`;
    const scriptPath = target.scriptPath!;
    // What Katalon does on rename: the .tc (and its <name>), its Scripts folder, and the suites naming it.
    sim.pushCommit("fabrikam", PROJECT, "katalon-generated", {
      branch: "main",
      comment: "Rename a test case",
      changes: [
        {
          changeType: "rename",
          sourcePath: target.path,
          path: target.path.replace(`${oldName}.tc`, `${newName}.tc`),
          content: read(target.path).replace(`<name>${oldName}</name>`, `<name>${newName}</name>`),
        },
        { changeType: "rename", sourcePath: scriptPath, path: scriptPath.replace(`/${oldName}/`, `/${newName}/`) },
        { changeType: "edit", path: suitePath, content: read(suitePath).replace(`/${oldName}</testCaseId>`, `/${newName}</testCaseId>`) },
      ],
    });
    const { summary, gitRequests } = await sync(link);
    expect(summary).toMatchObject({
      mode: "incremental",
      blobsFetched: 2,
      testCases: { created: 0, updated: 1, removed: 0 },
      suites: { created: 0, updated: 1, removed: 0 },
    });
    expect(gitRequests).toBe(3); // refs, one diff page, one zip with the two changed blobs
    const after = await testCases(link.id);
    expect(after).toHaveLength(before.length);
    const renamed = after.find((t) => t.id === target.id)!;
    expect(renamed).toMatchObject({
      name: newName,
      identity: target.identity,
      katalonId: `Test Cases/${folder}/${newName}`,
      removedAt: null,
    });
    expect(renamed.scriptPath).toBe(scriptPath.replace(`/${oldName}/`, `/${newName}/`));
    expect(renamed.warnings).toEqual([]);
    const untouched = after.filter((t) => t.id !== target.id);
    const stamp = new Map(before.map((t) => [t.id, t.updatedAt.getTime()]));
    expect(untouched.every((t) => t.updatedAt.getTime() === stamp.get(t.id))).toBe(true);
    const suite = (await suites(link.id)).find((s) => s.path === suitePath)!;
    expect((suite.details.links as { testCaseKey: string | null }[]).every((l) => l.testCaseKey)).toBe(true);
  });

  it("marks a deleted test case removed, brings it back by GUID when it returns, and lists again after a force push", async () => {
    const link = await newLink("katalon-generated");
    await sync(link);
    const tc = (await testCases(link.id)).find((t) => t.name.startsWith("TC0104 "))!;
    const repo = sim.state.orgs
      .get("fabrikam")!
      .projects.find((p) => p.name === PROJECT)!
      .repos.find((r) => r.name === "katalon-generated")!;
    const content = Buffer.from(repo.get(repo.flatFiles(repo.refs.get("refs/heads/main")!).get(tc.path)!)!.data).toString("utf8");
    sim.pushCommit("fabrikam", PROJECT, "katalon-generated", { branch: "main", changes: [{ changeType: "delete", path: tc.path }] });
    expect((await sync(link)).summary).toMatchObject({ mode: "incremental", blobsFetched: 0, testCases: { removed: 1, updated: 0 } });
    expect((await testCases(link.id)).find((t) => t.id === tc.id)?.removedAt).toBeInstanceOf(Date);
    sim.pushCommit("fabrikam", PROJECT, "katalon-generated", { branch: "main", changes: [{ changeType: "add", path: tc.path, content }] });
    expect((await sync(link)).summary).toMatchObject({ mode: "incremental", blobsFetched: 1, testCases: { updated: 1, created: 0 } });
    expect((await testCases(link.id)).find((t) => t.id === tc.id)?.removedAt).toBeNull();
    // A commit the repository no longer knows (history rewritten): one listing instead of a diff, nothing re-read.
    await db()
      .update(reposLinks)
      .set({ lastCommit: "f".repeat(40) })
      .where(eq(reposLinks.id, link.id));
    const { summary, gitRequests } = await sync(link);
    expect(summary).toMatchObject({ mode: "full", blobsFetched: 0, testCases: { created: 0, updated: 0, removed: 0 } });
    expect(gitRequests).toBe(3); // refs, the failed diff, the listing
  });

  it("syncs only the linked folder, and fails with a clear reason (keeping its data) when the branch is gone", async () => {
    const link = await newLink("katalon-generated", "/Test Cases/Admin");
    const { summary } = await sync(link);
    const tcs = await testCases(link.id);
    expect(tcs.length).toBe(summary.testCases.total);
    expect(tcs.length).toBeGreaterThan(0);
    expect(tcs.every((t) => t.folder.startsWith("Admin/") && t.scriptPath)).toBe(true);
    expect(summary.suites.total).toBe(0);

    const c = client();
    const repo = (await getRepository(c, PROJECT, "katalon-generated"))!;
    expect(await resolveCommit(c, { project: repo.project.id, repositoryId: repo.id }, "branch", "gone")).toBeUndefined();
    await db().update(reposLinks).set({ version: "gone" }).where(eq(reposLinks.id, link.id));
    await expect(sync(link)).rejects.toThrow('The branch "gone" no longer exists in katalon-generated');
    expect(await testCases(link.id)).toHaveLength(tcs.length);
  });
});
