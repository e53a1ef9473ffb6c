import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { JobStore } from "../src/jobs/store";
import { recordAudit } from "../src/lib/audit";
import { authHeaders, DB_KINDS, signAppToken, testBackend } from "./helpers";

describe.each(DB_KINDS)("API authentication and tenancy (%s)", (kind) => {
  const sim = createSimulator();
  let backend: Awaited<ReturnType<typeof testBackend>>;
  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
  });
  afterAll(() => backend.close());

  const get = (path: string, headers: Record<string, string> = {}) => backend.app.request(path, { headers });

  it("answers 401 with a JSON reason without a token", async () => {
    const res = await get("/api/me");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "unauthorized", message: expect.stringContaining("app token") });
  });

  it.each([
    ["a bad signature", () => signAppToken(DEMO_USERS.admin.id, { secret: "some-other-extension-secret" }), /signature/],
    ["an expired token (beyond the clock-skew leeway)", () => signAppToken(DEMO_USERS.admin.id, { expInSec: -600 }), /expired/],
  ])("answers 401 for %s", async (_n, token, reason) => {
    const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const res = await get("/api/me", { ...headers, Authorization: `Bearer ${await token()}` });
    expect(res.status).toBe(401);
    expect((await res.json()).message).toMatch(reason);
  });

  it("needs the organization header, validated like any input", async () => {
    const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const { "X-Ado-Collection-Url": _omit, ...rest } = headers;
    const res = await get("/api/me", rest);
    expect(res.status).toBe(400);
    expect((await res.json()).fields).toEqual([{ field: "X-Ado-Collection-Url", message: "is required" }]);
    const bad = await get("/api/me", { ...headers, "X-Ado-Collection-Url": "http://dev.azure.com/fabrikam" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toContain("https");
  });

  it("identifies the user and organization through Azure DevOps, with admin rights from ADO", async () => {
    const admin = await get("/api/me", await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id));
    expect(admin.status).toBe(200);
    const me = await admin.json();
    expect(me).toMatchObject({
      userId: DEMO_USERS.admin.id,
      organization: { name: "fabrikam", url: "https://dev.azure.com/fabrikam" },
      isOrgAdmin: true,
    });
    expect(me.organization.id).toBe(sim.org("fabrikam").id);
  });

  // The extension's access token cannot read permissions (the security reads declare no OAuth scope):
  // the organization connection's PAT reads the member's effective permissions from the ACL instead.
  it("checks roles with the connection's PAT when Azure DevOps refuses the extension's token", async () => {
    const own = await testBackend({ kind, fetch: sim.fetch });
    const get = (path: string, headers: Record<string, string> = {}) => own.app.request(path, { headers });
    const member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const refused = await sim.fetch(`http://sim.local/fabrikam/_apis/security/permissionevaluationbatch?api-version=7.1`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${admin["X-Ado-Access-Token"]}`,
        "Content-Type": "application/json",
        "X-TFS-FedAuthRedirect": "Suppress",
      },
      body: JSON.stringify({
        evaluations: [{ securityNamespaceId: "3e65f728-f8bc-4ecd-8764-7e378b19bfa7", token: "NAMESPACE:", permissions: 2 }],
      }),
    });
    expect(refused.status).toBe(401);
    // No connection yet: nobody's role can be told, so the hub offers Connect and saving checks with the PAT entered.
    expect((await (await get("/api/me", member)).json()).isOrgAdmin).toBe(true);
    const byMember = await own.app.request("/api/connections", {
      method: "POST",
      headers: { ...member, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "M", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.member }),
    });
    expect(byMember.status).toBe(403);
    const created = await own.app.request("/api/connections", {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "A", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin }),
    });
    expect(created.status).toBe(201);
    sim.requestLog.clear();
    const memberLater = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id); // a new token: nothing cached
    expect((await (await get("/api/me", memberLater)).json()).isOrgAdmin).toBe(false);
    expect((await (await get("/api/me", admin)).json()).isOrgAdmin).toBe(true);
    // Asked as the PAT's owner (the admin), about the member's own descriptor.
    const acl = sim.requestLog.entries().filter((e) => /accesscontrollists/i.test(e.path));
    expect(acl.length).toBeGreaterThanOrEqual(1);
    expect(acl.every((e) => e.userId === DEMO_USERS.admin.id && e.status === 200)).toBe(true);
    expect(acl.some((e) => decodeURIComponent(e.query).includes(DEMO_USERS.member.uniqueName))).toBe(true);
    await own.close();
  }, 60_000);

  it("rejects an access token of another user than the app token's", async () => {
    const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const res = await get("/api/me", { ...headers, "X-Ado-Access-Token": sim.issueAccessToken("fabrikam", DEMO_USERS.member.id) });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe("identity_mismatch");
  });

  it("rejects an organization the user does not belong to (token for org A, claiming org B)", async () => {
    const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const res = await get("/api/me", { ...headers, "X-Ado-Collection-Url": "https://dev.azure.com/contoso/" });
    expect(res.status).toBe(401);
  });

  it("never lets organization B read organization A's rows", async () => {
    const fabrikam = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const contoso = await authHeaders(sim, "contoso", DEMO_USERS.contosoAdmin.id);
    expect((await get("/api/me", contoso)).status).toBe(200);
    const orgA = sim.org("fabrikam").id;
    expect((await get("/api/me", fabrikam)).status).toBe(200);
    const { record } = await new JobStore(backend.deps.database.db).insert(orgA, "noop", {}, {});
    await recordAudit(backend.deps.database.db, {
      orgId: orgA,
      actorId: DEMO_USERS.admin.id,
      action: "connection.created",
      targetType: "connection",
      targetId: "c-1",
    });

    expect((await get(`/api/jobs/${record.id}`, fabrikam)).status).toBe(200);
    expect((await get(`/api/jobs/${record.id}`, contoso)).status).toBe(404);
    expect((await (await get("/api/jobs", contoso)).json()).jobs).toEqual([]);
    expect((await (await get("/api/audit", contoso)).json()).entries).toEqual([]);
    expect((await (await get("/api/audit", fabrikam)).json()).entries).toHaveLength(1);
  });

  it("allows CORS only from configured extension origins", async () => {
    const preflight = (origin: string) =>
      backend.app.request("/api/me", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
      });
    expect((await preflight("https://testops.gallerycdn.vsassets.io")).headers.get("access-control-allow-origin")).toBe(
      "https://testops.gallerycdn.vsassets.io",
    );
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves an OpenAPI document of the API", async () => {
    const doc = await (await get("/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/healthz", "/readyz", "/api/me", "/api/jobs/{id}", "/api/jobs/{id}/cancel", "/api/audit"]),
    );
  });
});
