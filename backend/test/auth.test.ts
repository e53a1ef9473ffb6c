import { createSimulator, DEMO_USERS } from "@testops/ado-sim";
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
    const member = await (await get("/api/me", await authHeaders(sim, "fabrikam", DEMO_USERS.member.id))).json();
    expect(member.isOrgAdmin).toBe(false);
  });

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
