// Issue #12: each attack on tenancy and secrets, played against the backend with the simulator as
// Azure DevOps and a second, hostile "Azure DevOps" that answers whatever helps the attacker.
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { ALL_SCOPES } from "@testops/ado-sim/auth";
import { eq } from "drizzle-orm";
import { connections, jobs, reposLinks } from "../src/db/schema";
import { JobStore } from "../src/jobs/store";
import { authHeaders, DB_KINDS, signAppToken, testBackend } from "./helpers";

jest.setTimeout(90_000);

const EVIL = "evil.example"; // a public host the attacker runs
const CORP = "ado.corp.example"; // an Azure DevOps Server host the operator listed, later compromised
const PROJECT = "Fabrikam Fiber";

interface Seen {
  host: string;
  path: string;
  authorization: string | null;
}

describe.each(DB_KINDS)("tenancy and secrets under attack (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({
    seed: { workItems: 20 },
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    // Service-hook deliveries go straight into the backend under test.
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const fabrikam = sim.state.orgs.get("fabrikam")!;
  const fiber = fabrikam.projects.find((p) => p.name === PROJECT)!;
  const scrum = fabrikam.projects.find((p) => p.name === "Scrum Project")!;
  const hostile: Seen[] = [];
  /** Requests that reached Microsoft's hosts (the simulator), for "nothing was sent" checks. */
  const toAdo: Seen[] = [];
  /** Set by a test to make Azure DevOps echo the request's credentials in an error. */
  let echoOn: RegExp | null = null;

  // What the attacker's host answers: the victim's instance id, the caller as user, "yes" to every permission.
  function forged(url: URL, userId: string): Response {
    if (url.pathname.endsWith("/_apis/connectionData"))
      return Response.json({
        instanceId: fabrikam.id,
        authenticatedUser: { id: userId, providerDisplayName: "Attacker" },
        authorizedUser: { id: userId },
      });
    if (url.pathname.endsWith("/_apis/security/permissionevaluationbatch"))
      return Response.json({ evaluations: [{ value: true }], alwaysAllowAdministrators: false });
    return Response.json({ count: 0, value: [] });
  }

  let attackerUser = DEMO_USERS.member.id;
  const route = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url);
    const seen = { host: url.host, path: url.pathname, authorization: req.headers.get("authorization") };
    if (url.host === EVIL || url.host === CORP) {
      hostile.push(seen);
      return forged(url, attackerUser);
    }
    if (url.host !== "dev.azure.com" && !url.host.endsWith(".visualstudio.com")) throw new TypeError(`unexpected host ${url.host}`);
    toAdo.push(seen);
    if (echoOn?.test(url.pathname)) {
      // A proxy/ADO error page that quotes the request back, credentials included.
      const auth = req.headers.get("authorization") ?? "";
      const pat = Buffer.from(auth.replace(/^Basic /, ""), "base64")
        .toString()
        .slice(1);
      return Response.json(
        {
          message: `VS800075: bad request. Request headers: Authorization: ${auth}; token ${pat}; b64 ${Buffer.from(pat).toString("base64")}; see https://ado:${pat}@dev.azure.com/fabrikam`,
          typeKey: "BadRequest",
        },
        { status: 400 },
      );
    }
    const path = url.host === "dev.azure.com" ? url.pathname : `/${url.host.split(".")[0]}${url.pathname}`;
    return sim.fetch(`http://sim.local${path}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer(),
    });
  }) as typeof fetch;

  let admin: Record<string, string>;
  let member: Record<string, string>;
  let lead: Record<string, string>;
  let connectionId: string;
  const pat = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token;
  const responses: string[] = [];

  async function call(method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await backend.app.request(path, {
      method,
      headers: { ...(o.headers ?? admin), ...(o.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    responses.push(text);
    // Checked field by field below.
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any, headers: res.headers };
  }
  const as = (headers: Record<string, string>, collectionUrl: string) => ({ ...headers, "X-Ado-Collection-Url": collectionUrl });

  beforeAll(async () => {
    // No simulator routing: requests go to the hosts they name, through `route`.
    backend = await testBackend({
      kind,
      fetch: route,
      env: { ADO_SIMULATOR_URL: undefined, ADO_SERVER_HOSTS: CORP, PUBLIC_URL: "https://testops.example.com" } as unknown as Record<
        string,
        string
      >,
    });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    lead = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
    const created = await call("POST", "/api/connections", {
      body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat },
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
  });
  afterAll(async () => {
    await backend.close();
  });
  beforeEach(() => {
    hostile.length = 0;
    toAdo.length = 0;
    echoOn = null;
  });

  // Three columns in every row: jest takes a test function with more parameters than a row for a done() test.
  const victimRoutes: [string, string, unknown][] = [
    ["GET", "/api/connections", undefined],
    ["GET", "/api/audit", undefined],
    ["GET", "/api/boards/links", undefined],
    ["GET", "/api/boards/plans", undefined],
    ["GET", `/api/repos/tests?projectId=${fiber.id}`, undefined],
    ["GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}`, undefined],
    ["GET", "/api/jobs", undefined],
    ["PATCH", "/api/connections/CONN", { organizationUrl: `https://${EVIL}/tfs/fabrikam` }],
    ["POST", "/api/connections/CONN/disconnect", undefined],
  ];

  it.each(victimRoutes)(
    "refuses a forged identity from a host the caller names (%s %s): 400 on the header, nothing sent to that host",
    async (method, path, body) => {
      const headers = as(member, `https://${EVIL}/tfs/fabrikam`);
      const r = await call(method, path.replace("CONN", connectionId), { headers, body });
      expect(r.status).toBe(400);
      expect(r.body.fields).toEqual([{ field: "X-Ado-Collection-Url", message: expect.stringContaining("ADO_SERVER_HOSTS") }]);
      expect(hostile).toEqual([]);
    },
  );

  it("refuses a listed server that claims the identity of an organization known at Microsoft's hosts", async () => {
    // fabrikam was first seen (and bound) at dev.azure.com; the operator-listed server now forges its id.
    attackerUser = DEMO_USERS.member.id;
    const headers = as(member, `https://${CORP}/tfs/fabrikam`);
    for (const [method, path, body] of victimRoutes) {
      const r = await call(method, path.replace("CONN", connectionId), { headers, body });
      expect([r.status, r.body.error]).toEqual([401, "organization_conflict"]);
    }
    // It was asked who the user is (that is how the forgery shows), and nothing else.
    expect(new Set(hostile.map((h) => h.path.replace(/^.*\/_apis\//, "")))).toEqual(new Set(["connectionData"]));
    // Nothing changed for the real organization.
    const list = await call("GET", "/api/connections");
    expect(list.body.connections).toEqual([
      expect.objectContaining({ id: connectionId, status: "Active", organizationUrl: "https://dev.azure.com/fabrikam" }),
    ]);
  });

  it("a genuine admin cannot move the stored PAT to another host: URL change needs the PAT typed again, and the same organization", async () => {
    const patch = await call("PATCH", `/api/connections/${connectionId}`, { body: { organizationUrl: `https://${CORP}/tfs/fabrikam` } });
    expect(patch.status).toBe(400);
    expect(patch.body.fields).toEqual([
      { field: "organizationUrl", message: expect.stringContaining("different Azure DevOps organization") },
    ]);
    const other = await call("PATCH", `/api/connections/${connectionId}`, {
      body: { organizationUrl: "https://fabrikam.visualstudio.com" },
    });
    expect(other.status).toBe(400);
    expect(other.body.fields).toEqual([{ field: "pat", message: expect.stringContaining("entered again") }]);
    const test = await call("POST", "/api/connections/test", {
      body: { connectionId, organizationUrl: "https://fabrikam.visualstudio.com" },
    });
    expect(test.status).toBe(400);
    expect(test.body.fields).toEqual([{ field: "pat", message: expect.stringContaining("entered again") }]);
    const toEvil = await call("POST", "/api/connections/test", { body: { connectionId, organizationUrl: `https://${EVIL}/tfs/x` } });
    expect(toEvil.status).toBe(400);
    // The stored PAT went nowhere: not to the hostile hosts, not even to Microsoft under another name.
    expect(hostile).toEqual([]);
    expect(toAdo.filter((s) => s.authorization?.startsWith("Basic"))).toEqual([]);
    const [row] = await backend.deps.database.db.select().from(connections).where(eq(connections.id, connectionId));
    expect(row.organizationUrl).toBe("https://dev.azure.com/fabrikam");
  });

  /** A Repos link of Fiber, saved by its project admin: its jobs belong to Fiber. */
  async function fiberReposLink(name: string): Promise<string> {
    const link = await call("POST", "/api/repos/links", {
      headers: lead,
      body: { projectId: fiber.id, name, url: `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples` },
    });
    expect(link.status).toBe(201);
    return link.body.id as string;
  }
  /** A queued job row of a kind no runner picks up: reading and cancelling it is what the routes do. */
  const insertJob = async (o: { resourceKey?: string; createdBy: string }) =>
    (await new JobStore(backend.deps.database.db).insert(fabrikam.id, "tenancy.noop", {}, o)).record.id;

  it("a plain member cannot cancel someone else's job; the project's admin and the job's creator can", async () => {
    const first = await insertJob({ resourceKey: `repos-link:${await fiberReposLink("CI")}`, createdBy: "someone-else" });
    const denied = await call("POST", `/api/jobs/${first}/cancel`, { headers: member });
    expect(denied.status).toBe(403);
    const [still] = await backend.deps.database.db.select().from(jobs).where(eq(jobs.id, first));
    expect(still.cancelRequested).toBe(false);
    expect((await call("POST", `/api/jobs/${first}/cancel`, { headers: lead })).status).toBe(200);
    const own = await insertJob({ createdBy: DEMO_USERS.member.id });
    expect((await call("POST", `/api/jobs/${own}/cancel`, { headers: member })).status).toBe(200);
    const orgWide = await insertJob({ createdBy: "someone-else" });
    expect((await call("POST", `/api/jobs/${orgWide}/cancel`, { headers: lead })).status).toBe(403);
    expect((await call("POST", `/api/jobs/${orgWide}/cancel`)).status).toBe(200);
  });

  it("a member sees only the jobs of projects they can see (list, read, cancel: 404 as if absent)", async () => {
    const ofFiber = await insertJob({
      resourceKey: `repos-link:${await fiberReposLink("Jobs of Fiber")}`,
      createdBy: DEMO_USERS.member.id,
    });
    const ofScrumImport = await insertJob({ resourceKey: `results-import:${scrum.id}`, createdBy: "someone-else" });
    const orgWide = await insertJob({ createdBy: "someone-else" });
    const mo = fabrikam.members.get(DEMO_USERS.member.id)!;
    mo.projects = new Set([scrum.id]);
    try {
      // A fresh token: what the member could see is cached per token for a few minutes.
      const cut = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
      const listed = (await call("GET", "/api/jobs", { headers: cut })).body.jobs.map((j: { id: string }) => j.id);
      expect(listed).toEqual(expect.arrayContaining([ofScrumImport, orgWide]));
      expect(listed).not.toContain(ofFiber);
      expect((await call("GET", `/api/jobs/${ofFiber}`, { headers: cut })).status).toBe(404);
      // Even the job's own creator, once the project is out of sight.
      expect((await call("POST", `/api/jobs/${ofFiber}/cancel`, { headers: cut })).status).toBe(404);
      expect((await call("GET", `/api/jobs/${ofScrumImport}`, { headers: cut })).status).toBe(200);
      // An administrator sees them all.
      const all = (await call("GET", "/api/jobs")).body.jobs.map((j: { id: string }) => j.id);
      expect(all).toEqual(expect.arrayContaining([ofFiber, ofScrumImport, orgWide]));
    } finally {
      delete mo.projects;
      // No runner takes this kind: cancelled, so the queue is idle for the tests after this one.
      for (const id of [ofFiber, ofScrumImport, orgWide]) expect((await call("POST", `/api/jobs/${id}/cancel`)).status).toBe(200);
    }
  });

  it("a job of a link that is gone (no API deletes one; an operator may) is seen only by its starter and organization admins", async () => {
    const linkId = await fiberReposLink("Soon gone");
    const byLead = await insertJob({ resourceKey: `repos-link:${linkId}`, createdBy: DEMO_USERS.projectAdmin.id });
    await backend.deps.database.db.delete(reposLinks).where(eq(reposLinks.id, linkId));
    try {
      const seen = async (headers: Record<string, string>) =>
        (await call("GET", "/api/jobs", { headers })).body.jobs.some((j: { id: string }) => j.id === byLead);
      expect(await seen(member)).toBe(false);
      expect((await call("GET", `/api/jobs/${byLead}`, { headers: member })).status).toBe(404);
      expect(await seen(lead)).toBe(true);
      expect(await seen(admin)).toBe(true);
    } finally {
      expect((await call("POST", `/api/jobs/${byLead}/cancel`)).status).toBe(200);
    }
  });

  it("a project admin cannot link a repository of a project they cannot read (the PAT could)", async () => {
    const priya = fabrikam.members.get(DEMO_USERS.projectAdmin.id)!;
    priya.projects = new Set([fiber.id]);
    try {
      const url = `https://dev.azure.com/fabrikam/${encodeURIComponent(scrum.name)}/_git/${encodeURIComponent(scrum.repos[0].name)}`;
      const check = await call("POST", "/api/repos/links/check", { headers: lead, body: { projectId: fiber.id, url } });
      expect(check.status).toBe(400);
      expect(check.body.fields).toEqual([{ field: "url", message: expect.stringContaining("cannot read") }]);
      const save = await call("POST", "/api/repos/links", { headers: lead, body: { projectId: fiber.id, name: "Other", url } });
      expect(save.status).toBe(400);
      const stored = await backend.deps.database.db.select().from(reposLinks).where(eq(reposLinks.name, "Other"));
      expect(stored).toEqual([]);
      // An organization admin can read it, so may link it.
      const ok = await call("POST", "/api/repos/links/check", { body: { projectId: fiber.id, url } });
      expect(ok.status).toBe(200);
    } finally {
      delete priya.projects;
    }
  });

  it("the project picker lists only projects the caller can see with their own token", async () => {
    const mo = fabrikam.members.get(DEMO_USERS.member.id)!;
    mo.projects = new Set([fiber.id]);
    try {
      const r = await call("GET", "/api/boards/ado/projects", { headers: await authHeaders(sim, "fabrikam", DEMO_USERS.member.id) });
      expect(r.status).toBe(200);
      expect(r.body.projects.map((p: { name: string }) => p.name)).toEqual([PROJECT]);
      const all = await call("GET", "/api/boards/ado/projects");
      expect(all.body.projects.length).toBe(fabrikam.projects.length);
    } finally {
      delete mo.projects;
    }
  });

  it("a Reader cannot upload or push test results (Azure DevOps' Create test runs permission)", async () => {
    const mo = fabrikam.members.get(DEMO_USERS.member.id)!;
    mo.readerOf = new Set([fiber.id]);
    const xml = `<testsuite name="s"><testcase classname="a" name="t"/></testsuite>`;
    const upload = (headers: Record<string, string>) =>
      backend.app.request(`/api/results/junit?project=${encodeURIComponent(PROJECT)}`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/xml" },
        body: xml,
      });
    try {
      const reader = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
      const refused = await upload(reader);
      expect(refused.status).toBe(403);
      expect((await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}`)).body.runs).toEqual([]);
      delete mo.readerOf;
      const contributor = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
      const ok = await upload(contributor);
      expect(ok.status).toBe(201);
      const runId = ((await ok.json()) as { run: { id: string } }).run.id;
      mo.readerOf = new Set([fiber.id]);
      const push = await call("POST", `/api/results/runs/${runId}/push`, {
        headers: await authHeaders(sim, "fabrikam", DEMO_USERS.member.id),
      });
      expect(push.status).toBe(403);
    } finally {
      delete mo.readerOf;
    }
  });

  it("error text that echoes the Authorization header, the PAT or a URL with credentials is scrubbed before it is stored, returned or logged", async () => {
    const link = await call("POST", "/api/repos/links", {
      body: {
        projectId: fiber.id,
        name: "Echo",
        url: `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples`,
      },
    });
    expect(link.status).toBe(201);
    echoOn = /\/_apis\/git\/repositories\/[^/]+\/(refs|items|blobs|diffs)/;
    const sync = await call("POST", `/api/repos/links/${link.body.id}/sync`);
    expect(sync.status).toBe(202);
    await backend.deps.jobs.idle();
    const after = await call("GET", `/api/repos/links/${link.body.id}`);
    expect(after.body.status).toBe("Error");
    expect(after.body.statusReason).toContain("VS800075");
    const [job] = await backend.deps.database.db.select().from(jobs).where(eq(jobs.id, sync.body.id));
    expect(job.status).toBe("failed");
    const [stored] = await backend.deps.database.db.select().from(reposLinks).where(eq(reposLinks.id, link.body.id));
    const basic = Buffer.from(`:${pat}`).toString("base64");
    const everything = [JSON.stringify(job), JSON.stringify(stored), ...responses, ...backend.log.lines].join("\n");
    for (const secret of [pat, basic, basic.replace(/=+$/, ""), Buffer.from(pat).toString("base64").replace(/=+$/, "")])
      expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/https:\/\/ado:[^@\s]+@/);
  });
});

describe("keys and envelopes", () => {
  const sim = createSimulator({ seed: { workItems: 0 } });
  const k1 = `k1:${Buffer.alloc(32, 1).toString("base64")}`;
  const k2 = `k2:${Buffer.alloc(32, 2).toString("base64")}`;

  it("re-seals every stored secret under the new first key at start, so the old key can be removed", async () => {
    const first = await testBackend({ kind: "pglite", fetch: sim.fetch, env: { ENCRYPTION_KEY: k1 } });
    const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const created = await first.app.request("/api/connections", {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "F", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin }),
    });
    expect(created.status).toBe(201);
    const [row] = await first.deps.database.db.select().from(connections);
    expect(row.patSealed.split(".")[1]).toBe("k1");
    // Same database, rotated keys: a new key first, the old one still listed.
    const { createSecretBox } = await import("../src/crypto/secrets");
    const { resealSecrets } = await import("../src/connections/store");
    const { loadConfig } = await import("../src/config");
    const rotated = loadConfig({ EXTENSION_SECRET: "x".repeat(32), ENCRYPTION_KEY: `${k2},${k1}` });
    const deps = { ...first.deps, secrets: createSecretBox(rotated.encryptionKeys) };
    expect(await resealSecrets(deps)).toEqual({ resealed: 1, broken: 0 });
    const [after] = await first.deps.database.db.select().from(connections);
    expect([after.patSealed.split(".")[1], after.hookSecretSealed.split(".")[1]]).toEqual(["k2", "k2"]);
    // The old key can go: k2 alone opens it.
    const onlyNew = createSecretBox(loadConfig({ EXTENSION_SECRET: "x".repeat(32), ENCRYPTION_KEY: k2 }).encryptionKeys);
    expect(onlyNew.decrypt(after.patSealed, `pat:${after.id}`)).toBe(DEMO_PATS.admin);
    expect(await resealSecrets({ ...deps, secrets: onlyNew })).toEqual({ resealed: 0, broken: 0 });
    await first.close();
  });

  it("a tampered PAT envelope puts the connection in Error with a reason (no 500, no garbage credential sent); a corrupt hook secret answers 401", async () => {
    const sent: string[] = [];
    const spy = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(String(input), init);
      if (req.headers.get("authorization")?.startsWith("Basic")) sent.push(req.headers.get("authorization")!);
      return sim.fetch(req);
    }) as typeof fetch;
    const b = await testBackend({ kind: "pglite", fetch: spy });
    try {
      const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
      const req = (method: string, path: string, body?: unknown) =>
        b.app.request(path, {
          method,
          headers: { ...admin, ...(body ? { "Content-Type": "application/json" } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      const created = await req("POST", "/api/connections", {
        name: "F",
        organizationUrl: "https://dev.azure.com/fabrikam",
        pat: DEMO_PATS.admin,
      });
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { id: string }).id;
      const [row] = await b.deps.database.db.select().from(connections);
      const parts = row.patSealed.split(".");
      const flipped = Buffer.from(parts[4], "base64url");
      flipped[0] ^= 0xff;
      parts[4] = flipped.toString("base64url");
      await b.deps.database.db
        .update(connections)
        .set({ patSealed: parts.join("."), hookSecretSealed: "v1.nokey.AAAA.AAAA.AAAA" })
        .where(eq(connections.id, id));
      sent.length = 0;
      const link = await req("POST", "/api/repos/links/check", {
        projectId: sim.state.orgs.get("fabrikam")!.projects[0].id,
        url: "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/katalon-ci-samples",
      });
      expect(link.status).toBe(409);
      expect(((await link.json()) as { message: string }).message).toContain("cannot be decrypted");
      expect(sent).toEqual([]);
      const list = (await (await req("GET", "/api/connections")).json()) as { connections: { status: string; statusReason: string }[] };
      expect(list.connections[0]).toMatchObject({ status: "Error", statusReason: expect.stringContaining("enter the PAT again") });
      const hook = await b.app.request(`/hooks/ado/${id}`, {
        method: "POST",
        headers: { Authorization: `Basic ${Buffer.from("testops:whatever").toString("base64")}`, "Content-Type": "application/json" },
        body: "{}",
      });
      expect(hook.status).toBe(401);
      // Entering the PAT again repairs it.
      const fixed = await req("PATCH", `/api/connections/${id}`, { pat: DEMO_PATS.admin });
      expect(fixed.status).toBe(200);
      expect(((await fixed.json()) as { status: string }).status).toBe("Active");
    } finally {
      await b.close();
    }
  });
});

describe("HTTP hygiene", () => {
  const sim = createSimulator({ seed: { workItems: 0 } });
  let b: Awaited<ReturnType<typeof testBackend>>;
  beforeAll(async () => {
    b = await testBackend({ kind: "pglite", fetch: sim.fetch, env: { PUBLIC_URL: "https://testops.example.com" } });
  });
  afterAll(() => b.close());

  it("sets nosniff, no-store on /api, Referrer-Policy and HSTS (served over https)", async () => {
    const api = await b.app.request("/api/me", { headers: await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id) });
    expect(api.status).toBe(200);
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    expect(api.headers.get("cache-control")).toBe("no-store");
    expect(api.headers.get("referrer-policy")).toBe("no-referrer");
    expect(api.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    const health = await b.app.request("/healthz");
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    expect(health.headers.get("cache-control")).toBeNull();
  });

  it("refuses JSON bodies over 1 MB with 413 naming the body, also when streamed without a length", async () => {
    const headers = { ...(await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id)), "Content-Type": "application/json" };
    const big = JSON.stringify({
      name: "x",
      organizationUrl: "https://dev.azure.com/fabrikam",
      pat: "p",
      description: "d".repeat(1_100_000),
    });
    const sized = await b.app.request("/api/connections", { method: "POST", headers, body: big });
    expect(sized.status).toBe(413);
    expect(await sized.json()).toMatchObject({ error: "too_large", fields: [{ field: "body" }] });
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 200) return controller.close(); // 200 × 64 KB = 12.8 MB at most
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const chunked = await b.app.request("/api/connections", {
      method: "POST",
      headers: { ...headers, "Transfer-Encoding": "chunked" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(pulled).toBeLessThan(40); // stopped reading near 1 MB, not at the end
  });

  it("stops reading a webhook body at 4 MB", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 400) return controller.close();
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const r = await b.app.request(`/hooks/ado/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`, {
      method: "POST",
      headers: { "Transfer-Encoding": "chunked", "Content-Type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(r.status).toBe(413);
    expect(pulled).toBeLessThan(100);
  });

  it("signs no token for another organization's host: an app token alone names no organization", async () => {
    const token = await signAppToken(DEMO_USERS.admin.id);
    const r = await b.app.request("/api/me", {
      headers: { Authorization: `Bearer ${token}`, "X-Ado-Collection-Url": "https://[::ffff:127.0.0.1]/tfs/x", "X-Ado-Access-Token": "t" },
    });
    expect(r.status).toBe(400);
  });
});
