// Odd data that is not the user's input: work items from Azure DevOps and reports carrying NUL or lone
// surrogates are stored with U+FFFD and the replacements counted; long test names are stored and
// matched exactly; a job whose outcome cannot be stored still ends `failed` with a reason. Both
// databases, both job runners (in-process on PGlite, pg-boss on Postgres).
import { createSimulator, DEMO_USERS, type Simulator } from "@testops/ado-sim";
import { and, eq } from "drizzle-orm";
import { boardsRequirements } from "../src/db/schema";
import { createLink } from "../src/boards/links";
import { findResultsByPathAndName } from "../src/results";
import { BOARDS_SYNC_JOB, boardsResourceKey } from "../src/schemas/boards";
import { unstorableReason } from "../src/lib/text";
import { boardsBackend, orgIdOf, projectOf, simClient, suggestedConfig } from "./boards-fixtures";
import { authHeaders, DB_KINDS } from "./helpers";

jest.setTimeout(120_000);
const PROJECT = "Fabrikam Fiber";

describe.each(DB_KINDS)("odd data from Azure DevOps and reports (%s)", (kind) => {
  let sim: Simulator;
  let backend: Awaited<ReturnType<typeof boardsBackend>>;
  let orgId: string;
  let admin: Record<string, string>;

  beforeAll(async () => {
    sim = createSimulator({ seed: { workItems: 40 } });
    backend = await boardsBackend(kind, sim);
    orgId = orgIdOf(sim, "fabrikam");
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    backend.deps.jobs.register<{ mode: string }>("test.hostile", async ({ payload }) => {
      if (payload.mode === "throw") throw new Error("ADO said: title \u0000 with NUL and \uD800 lone surrogate");
      if (payload.mode === "result") return { title: "a\u0000b", nested: { ["k\uDC00"]: ["\uD800"] } };
      // Not JSON at all: the outcome cannot be stored, yet the job must not stay running.
      return { n: BigInt(1) } as unknown as Record<string, unknown>;
    });
    // pg-boss makes a worker per kind known at start.
    await backend.deps.jobs.stop();
    await backend.deps.jobs.start();
  });
  afterAll(() => backend.close());

  it("a Boards sync of work items whose titles hold NUL and lone surrogates succeeds, stores U+FFFD and counts them", async () => {
    const p = projectOf(sim, PROJECT);
    const titles = ["nul \u0000 inside", "lone \uD800 high", "lone \uDFFF low", "\u0000\u0000"];
    const ids = titles.map((t) => sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": t }).id);
    const cfg = await suggestedConfig(simClient(sim), p);
    const link = await createLink(backend.deps, orgId, "tester", cfg);
    const job = await backend.deps.jobs.enqueue(orgId, BOARDS_SYNC_JOB, { linkId: link.id }, { resourceKey: boardsResourceKey(link.id) });
    await backend.deps.jobs.idle();
    const done = await backend.deps.jobs.get(orgId, job.id);
    expect(done).toMatchObject({ status: "succeeded" });
    expect((done!.result as { replacedCharacters: number }).replacedCharacters).toBeGreaterThanOrEqual(5);
    const rows = await backend.deps.database.db
      .select({ adoId: boardsRequirements.adoId, title: boardsRequirements.title })
      .from(boardsRequirements)
      .where(and(eq(boardsRequirements.linkId, link.id)));
    const stored = new Map(rows.map((r) => [r.adoId, r.title]));
    expect(ids.map((id) => stored.get(id))).toEqual(["nul \uFFFD inside", "lone \uFFFD high", "lone \uFFFD low", "\uFFFD\uFFFD"]);
    expect(await backend.deps.database.query(`SELECT id FROM jobs WHERE status = 'running'`)).toEqual([]);
  });

  it.each(["throw", "result", "unstorable"])("a job whose outcome holds odd data (%s) still ends with a stored reason", async (mode) => {
    const job = await backend.deps.jobs.enqueue(orgId, "test.hostile", { mode });
    await backend.deps.jobs.idle();
    const done = (await backend.deps.jobs.get(orgId, job.id))!;
    if (mode === "throw") {
      expect(done.status).toBe("failed");
      expect(done.error).toBe("ADO said: title \uFFFD with NUL and \uFFFD lone surrogate");
    } else if (mode === "result") {
      expect(done.status).toBe("succeeded");
      expect(done.result).toEqual({ title: "a\uFFFDb", nested: { ["k\uFFFD"]: ["\uFFFD"] } });
    } else {
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/ended \(succeeded\) but its outcome could not be saved/);
    }
    // The server keeps serving.
    expect((await backend.app.request("/healthz")).status).toBe(200);
  });

  async function upload(xml: string, query: Record<string, string> = {}) {
    const res = await backend.app.request(`/api/results/junit?${new URLSearchParams({ project: PROJECT, ...query })}`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/xml" },
      body: xml,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { fields?: { field: string; message: string }[] } };
  }

  it("an upload whose names and messages hold NUL or surrogate references is stored with U+FFFD, counted and said", async () => {
    const { status, body } = await upload(
      `<testsuite name="S&#0;"><testcase classname="C" name="a&#0;b"><failure message="m&#xD800;">x&#0;</failure></testcase></testsuite>`,
    );
    expect(status).toBe(201);
    expect(body.replacedCharacters).toBe(4);
    expect((body.warnings as string[]).join()).toMatch(/4 NUL characters or lone surrogates .* stored as U\+FFFD/);
    const runId = (body.run as { id: string }).id;
    const results = (await (await backend.app.request(`/api/results/runs/${runId}/results`, { headers: admin })).json()) as {
      results: { name: string; message: string; suite: string }[];
    };
    expect(results.results[0]).toMatchObject({ name: "a\uFFFDb", message: "m\uFFFD", suite: "S\uFFFD" });
  });

  it.each([2_700, 3_000, 20_000, 200_000])("test names of %i characters are stored and matched exactly", async (n) => {
    const name = `long-${n}-` + "x".repeat(n);
    const path = "P".repeat(Math.min(n, 5000));
    const { status, body } = await upload(
      `<testsuite><testcase classname="${path}" name="${name}" time="3000000"/><testcase classname="${path}" name="${name}y"/></testsuite>`,
    );
    expect(status).toBe(201);
    const projectId = (body.run as { projectId: string }).projectId;
    const found = await findResultsByPathAndName(backend.deps, orgId, projectId, [{ path, name }]);
    expect(found.map((f) => [f.path.length, f.name])).toEqual([[path.length, name]]);
    const runId = (body.run as { id: string }).id;
    const results = (await (await backend.app.request(`/api/results/runs/${runId}/results`, { headers: admin })).json()) as {
      results: { durationMs: number }[];
    };
    // 3,000,000 s: beyond 2^31 ms, stored as it is.
    expect(results.results[0].durationMs).toBe(3_000_000_000);
  });

  it.each([
    [
      "nested too deep",
      "<testsuites>" + "<testsuite>".repeat(300) + "</testsuite>".repeat(300) + "</testsuites>",
      /more than 100 levels deep/,
    ],
    [
      "'<' in an attribute",
      '<testsuite><testcase name="a<b"/></testsuite>',
      /'<' in the value of name \(write &lt;\) \(line 1, column \d+\)/,
    ],
    ["an undeclared entity", '<testsuite><testcase name="&bogus;"/></testsuite>', /&bogus; is not declared/],
    ["an entity declaration", '<!DOCTYPE t [<!ENTITY a "b">]><testsuite/>', /declares XML entities/],
  ])("a report with %s is refused on `file` with the reason; nothing is stored", async (_what, xml, reason) => {
    const before = await backend.deps.database.query<{ n: string }>(`SELECT count(*) AS n FROM test_results`);
    const { status, body } = await upload(xml);
    expect(status).toBe(400);
    expect(body.fields).toEqual([{ field: "file", message: expect.stringMatching(reason) }]);
    expect(await backend.deps.database.query(`SELECT count(*) AS n FROM test_results`)).toEqual(before);
  });

  it("a workitem property naming 100,000 ids is read once, capped with a warning, and checked with Azure DevOps in few calls", async () => {
    const story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "linked" }).id;
    const ids = [story, ...Array.from({ length: 100_000 }, (_, i) => 9_000_000 + i)].join(",");
    const cases = Array.from({ length: 300 }, (_, i) => `<testcase name="t${i}"/>`).join("");
    const { status, body } = await upload(
      `<testsuite><properties><property name="workitem" value="${ids}"/></properties>${cases}</testsuite>`,
    );
    expect(status).toBe(201);
    expect((body.linked as { workItems: number[] }).workItems).toEqual([story]);
    const warnings = body.warnings as string[];
    expect(warnings.length).toBeLessThanOrEqual(25);
    expect(warnings.join("\n")).toMatch(/more ids were ignored/);
    expect(unstorableReason(warnings.join())).toBeNull();
  });

  describe("status codes", () => {
    const api = async (method: string, path: string, body?: string, type = "application/json") => {
      const res = await backend.app.request(path, {
        method,
        headers: { ...admin, ...(body !== undefined ? { "Content-Type": type } : {}) },
        body,
      });
      return { status: res.status, body: (await res.json()) as { fields?: { field: string; message: string }[]; message: string } };
    };

    it("preview validates the config like saving: an unknown date field is a field error, not Azure DevOps' text", async () => {
      const cfg = await suggestedConfig(simClient(sim), projectOf(sim, PROJECT));
      cfg.requirements.releaseDateFields = ["Custom.NoSuchDate"];
      const res = await api("POST", "/api/boards/preview", JSON.stringify({ config: cfg }));
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([
        { field: "config.requirements.releaseDateFields.0", message: expect.stringContaining("not a date field") },
      ]);
    });

    it("a sync with a malformed, non-JSON or unknown body is refused and queues nothing", async () => {
      // Another project: the first test already linked Fabrikam Fiber.
      const cfg = await suggestedConfig(simClient(sim), projectOf(sim, "Scrum Project"));
      const link = await createLink(backend.deps, orgId, "tester", cfg);
      const queued = async () => (await backend.deps.jobs.list(orgId, { resourceKey: boardsResourceKey(link.id) })).length;
      const before = await queued();
      for (const [body, type, field] of [
        ["{full:", "application/json", "body"],
        ['{"full": "yes"}', "application/json", "full"],
        ['{"fulll": true}', "application/json", "body"],
        ["full=true", "text/plain", "body"],
      ]) {
        const res = await api("POST", `/api/boards/links/${link.id}/sync`, body, type);
        // 415 for a body that is not JSON at all; either way the field is named.
        expect([[400, 415].includes(res.status), res.body.fields?.[0]?.field]).toEqual([true, field]);
      }
      expect(await queued()).toBe(before);
    });

    it("a project that does not exist is a 404, not 'only project administrators'", async () => {
      const lead = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
      const get = async (project: string) => {
        const res = await backend.app.request(`/api/boards/ado/projects/${encodeURIComponent(project)}/teams`, { headers: lead });
        return { status: res.status, body: (await res.json()) as { message: string } };
      };
      const missing = await get("No Such Project");
      expect(missing.status).toBe(404);
      expect(missing.body.message).toMatch(/No project "No Such Project"/);
      // A project that exists but that they do not administer stays a 403.
      const others = sim.state.orgs.get("fabrikam")!.projects.map((p) => p.name);
      const statuses = await Promise.all(others.map(async (p) => (await get(p)).status));
      expect(statuses.every((s) => s === 200 || s === 403)).toBe(true);
      expect(statuses).toContain(403);
    });

    it("malformed JSON on a JSON route names the body", async () => {
      const res = await api("POST", "/api/connections", '{"name": "x",');
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ field: "body", message: expect.stringMatching(/not valid JSON/) }]);
    });
  });
});
