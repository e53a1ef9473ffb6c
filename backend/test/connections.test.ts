import { randomUUID } from "node:crypto";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { ALL_SCOPES } from "@testops/ado-sim/auth";
import type { SimulatorImpl } from "@testops/ado-sim/simulator";
import { adoClientFor, getActiveConnection } from "../src/connections/service";
import type { FeatureResult } from "../src/schemas/connections";
import { onAdoEvent, type AdoEvent } from "../src/hooks/dispatch";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(60_000);

const FABRIKAM = "https://dev.azure.com/fabrikam";
const received: AdoEvent[] = [];
onAdoEvent("workitem.", async (_deps, e) => {
  received.push(e);
});

describe.each(DB_KINDS)("connections API against the simulator (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    // Service-hook deliveries go straight into the backend under test.
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const org = (name: string) => (sim as unknown as SimulatorImpl).org(name);
  /** A PAT minted for this run, so "absent everywhere" checks look for a value nothing else contains. */
  const pat = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token;
  const secondPat = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token;
  const responses: string[] = [];
  let admin: Record<string, string>;
  let member: Record<string, string>;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
  });
  afterAll(() => backend.close());
  beforeEach(() => {
    sim.faults.clear();
    sim.throttle.reset();
  });

  async function call(method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await backend.app.request(path, {
      method,
      headers: { ...(o.headers ?? admin), ...(o.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
  const test = (body: unknown, headers?: Record<string, string>) => call("POST", "/api/connections/test", { body, headers });
  const feature = (r: { features: FeatureResult[] }, key: string) => r.features.find((f) => f.feature === key);
  const ourSubscriptions = () => org("fabrikam").hooks.subscriptions.filter((s) => s.consumerInputs.url?.includes("/hooks/ado/"));

  describe("Test Connection (without saving)", () => {
    it("valid PAT: names its owner and allows every feature", async () => {
      const r = await test({ organizationUrl: FABRIKAM, pat });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        outcome: "ok",
        field: null,
        user: { id: DEMO_USERS.admin.id, displayName: "Ada Admin" },
        organization: { id: org("fabrikam").id, name: "fabrikam" },
      });
      expect(r.body.features.map((f: { feature: string }) => f.feature)).toEqual([
        "manualSync",
        "linkDefect",
        "createDefect",
        "pushTestResult",
        "linkTestCase",
        "handleWebhookEvents",
        "webhookSetup",
        "roleChecks",
      ]);
      for (const f of r.body.features) expect(f).toMatchObject({ allowed: true, missing: [] });
    });

    it("leaves nothing behind in Azure DevOps (probes are reads or writes that cannot apply)", async () => {
      const state = () => [
        org("fabrikam").workItems.maxId(),
        org("fabrikam").workItems.lastWatermark,
        org("fabrikam").hooks.subscriptions.length,
      ];
      const before = state();
      sim.requestLog.clear();
      await test({ organizationUrl: FABRIKAM, pat });
      const writes = sim.requestLog.entries().filter((e) => e.method !== "GET" && !e.path.endsWith("permissionevaluationbatch"));
      expect(writes.every((w) => w.status >= 400)).toBe(true);
      expect(state()).toEqual(before);
    });

    it("PAT missing scopes: each feature names the scope it lacks", async () => {
      const r = await test({ organizationUrl: FABRIKAM, pat: DEMO_PATS.readOnly });
      expect(r.body.outcome).toBe("ok");
      expect(feature(r.body, "manualSync")).toMatchObject({ allowed: true });
      // Defects are created with each user's own token: the PAT only matters as a fallback, and the row says so.
      expect(feature(r.body, "createDefect")).toMatchObject({ allowed: true, missing: [] });
      expect(feature(r.body, "createDefect")!.detail).toContain("cannot stand in");
      expect(feature(r.body, "linkTestCase")).toMatchObject({
        allowed: false,
        missing: [{ kind: "scope", name: "vso.work_write", label: "Work Items (Read & write)" }],
      });
      expect(feature(r.body, "pushTestResult")).toMatchObject({ allowed: false, missing: [{ name: "vso.test_write" }] });
      expect(feature(r.body, "pushTestResult")!.detail).toContain("vso.test_write");
      const workOnly = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ["vso.work"] }).token;
      const r2 = await test({ organizationUrl: FABRIKAM, pat: workOnly });
      expect(feature(r2.body, "manualSync")!.missing.map((m: { name: string }) => m.name)).toEqual(["vso.project", "vso.code"]);
      expect(feature(r2.body, "pushTestResult")).toMatchObject({ allowed: null });
      expect(feature(r2.body, "pushTestResult")!.detail).toContain("Project and Team (Read)");
    });

    it("PAT of a non-admin: webhook setup names the Edit subscriptions permission", async () => {
      const r = await test({ organizationUrl: FABRIKAM, pat: DEMO_PATS.member });
      expect(r.body.user.displayName).toBe("Mo Member");
      expect(feature(r.body, "webhookSetup")).toMatchObject({
        allowed: false,
        missing: [{ kind: "permission", name: "Edit subscriptions" }],
      });
      expect(feature(r.body, "createDefect")).toMatchObject({ allowed: true });
    });

    it.each([
      ["wrong", () => "thisisnotapat0000000000000000000000000000000000000"],
      ["expired", () => DEMO_PATS.expired],
      ["revoked", () => DEMO_PATS.revoked],
    ])("%s PAT: bad credentials, blamed on the PAT field", async (_n, p) => {
      const r = await test({ organizationUrl: FABRIKAM, pat: p() });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ outcome: "bad_credentials", field: "pat", features: [], user: null });
    });

    it("PAT of another organization: wrong organization", async () => {
      const r = await test({ organizationUrl: "https://dev.azure.com/contoso", pat: DEMO_PATS.contoso });
      expect(r.body).toMatchObject({ outcome: "wrong_organization", field: "organizationUrl" });
      expect(r.body.message).toContain("fabrikam");
    });

    it("unreachable organization: an org that does not exist, or a connection that keeps failing", async () => {
      const missing = await test({ organizationUrl: "https://dev.azure.com/nosuchorg", pat });
      expect(missing.body).toMatchObject({ outcome: "unreachable", field: "organizationUrl" });
      sim.faults.set({ resetRate: 1 });
      const reset = await test({ organizationUrl: FABRIKAM, pat });
      expect(reset.body).toMatchObject({ outcome: "unreachable", field: "organizationUrl" });
    });

    it("throttled organization: says so, with when to retry", async () => {
      sim.faults.set({ throttle: { rate: 1, retryAfterSeconds: 0 } });
      const r = await test({ organizationUrl: FABRIKAM, pat });
      expect(r.body).toMatchObject({ outcome: "throttled", field: null });
      expect(r.body.message).toMatch(/throttling/);
    });

    it("validates its input with field-level errors", async () => {
      const r = await test({ organizationUrl: "http://dev.azure.com/fabrikam" });
      expect(r.status).toBe(400);
      expect(r.body.fields).toEqual(
        expect.arrayContaining([
          { field: "organizationUrl", message: expect.stringContaining("https") },
          { field: "pat", message: "is required" },
        ]),
      );
    });

    it("is for organization admins only (verified with Azure DevOps)", async () => {
      const r = await test({ organizationUrl: FABRIKAM, pat }, member);
      expect(r.status).toBe(403);
    });
  });

  describe("create, edit, disconnect, reconnect", () => {
    let id: string;

    it("starts empty; members may list", async () => {
      const r = await call("GET", "/api/connections", { headers: member });
      expect(r.status).toBe(200);
      expect(r.body.connections).toEqual([]);
    });

    it.each([
      [{ name: "", organizationUrl: FABRIKAM, pat }, "name", "is required"],
      [{ name: "x".repeat(51), organizationUrl: FABRIKAM, pat }, "name", "must be at most 50 characters"],
      [{ name: "n", organizationUrl: "http://dev.azure.com/fabrikam", pat }, "organizationUrl", "must use https://"],
      [{ name: "n", organizationUrl: "https://example.com", pat }, "organizationUrl", "ADO_SERVER_HOSTS"],
      [{ name: "n", organizationUrl: "https://10.0.0.5/tfs/Default", pat }, "organizationUrl", "private"],
      [{ name: "n", organizationUrl: "https://portal.azure.com/x", pat }, "organizationUrl", "not an Azure DevOps organization URL"],
      [{ name: "n", organizationUrl: FABRIKAM }, "pat", "is required"],
      [{ name: "n", organizationUrl: FABRIKAM, pat: "has a space" }, "pat", "no spaces"],
      [{ name: "n", organizationUrl: FABRIKAM, pat, description: "d".repeat(256) }, "description", "at most 255"],
      [{ name: "n", organizationUrl: FABRIKAM, pat, patExpiresOn: "next week" }, "patExpiresOn", "YYYY-MM-DD"],
    ])("refuses bad input with a field error (%#)", async (body, field, message) => {
      const r = await call("POST", "/api/connections", { body });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("validation_failed");
      expect(r.body.fields).toEqual(expect.arrayContaining([{ field, message: expect.stringContaining(message) }]));
      expect((await call("GET", "/api/connections")).body.connections).toEqual([]);
    });

    it("refuses a PAT Azure DevOps rejects, naming the PAT field, and stores nothing", async () => {
      const r = await call("POST", "/api/connections", { body: { name: "Main", organizationUrl: FABRIKAM, pat: DEMO_PATS.expired } });
      expect(r.status).toBe(400);
      expect(r.body.fields).toEqual([{ field: "pat", message: expect.stringContaining("rejected") }]);
      expect((await call("GET", "/api/connections")).body.connections).toEqual([]);
    });

    it("non-admins cannot create", async () => {
      const r = await call("POST", "/api/connections", { headers: member, body: { name: "Main", organizationUrl: FABRIKAM, pat } });
      expect(r.status).toBe(403);
    });

    it("creates an Active connection with its service hooks; the PAT is sealed in the database", async () => {
      const r = await call("POST", "/api/connections", {
        body: {
          name: " Main ",
          organizationUrl: "https://fabrikam.visualstudio.com",
          pat,
          description: "Boards and Repos",
          patExpiresOn: "2030-01-31",
        },
      });
      expect(r.status).toBe(201);
      id = r.body.id;
      expect(r.body).toMatchObject({
        name: "Main",
        organizationUrl: "https://fabrikam.visualstudio.com",
        organizationName: "fabrikam",
        status: "Active",
        statusReason: null,
        pat: { expiresOn: "2030-01-31", ownerName: "Ada Admin" },
        hooks: { count: 5, error: null },
        createdBy: DEMO_USERS.admin.id,
      });
      expect(Object.keys(r.body.pat).sort()).toEqual(["expiresOn", "ownerName", "setAt"]);
      const subs = ourSubscriptions();
      expect(subs.map((s) => s.eventType).sort()).toEqual([
        "git.push",
        "workitem.created",
        "workitem.deleted",
        "workitem.restored",
        "workitem.updated",
      ]);
      for (const s of subs) {
        expect(s.consumerInputs.url).toBe(`${backend.config.publicUrl}/hooks/ado/${id}`);
        expect(s.consumerInputs.basicAuthUsername).toBe("testops");
        expect(s.consumerInputs.basicAuthPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(s.publisherInputs.projectId).toBeUndefined(); // org-wide: new projects are covered too
      }
      const rows = await backend.deps.database.query("SELECT * FROM connections");
      expect(JSON.stringify(rows)).not.toContain(pat);
      expect(JSON.stringify(rows)).not.toContain(subs[0].consumerInputs.basicAuthPassword);
      const active = await getActiveConnection(backend.deps, org("fabrikam").id);
      expect(active).toMatchObject({ id, name: "Main", status: "Active", org: { name: "fabrikam" } });
    });

    it("the org's client works with the stored PAT", async () => {
      const client = await adoClientFor(backend.deps, org("fabrikam").id);
      const projects = await client.get<{ count: number }>("_apis/projects");
      expect(projects.count).toBeGreaterThan(0);
    });

    it("service hooks deliver work item changes to the receiver, which dispatches them once", async () => {
      received.length = 0;
      const project = org("fabrikam").projects[0];
      const wi = sim.createWorkItem("fabrikam", project.name, "Bug", { "System.Title": "Hooked" });
      sim.updateWorkItem("fabrikam", wi.id, { "System.Title": "Hooked again" });
      await sim.flushDeliveries();
      const mine = received.filter((e) => e.workItemId === wi.id);
      // Once each. Azure DevOps does not promise delivery order, and the two deliveries are processed
      // concurrently, so on Postgres either may be recorded first.
      expect(mine.map((e) => e.eventType).sort()).toEqual(["workitem.created", "workitem.updated"]);
      for (const e of mine) expect(e).toMatchObject({ connectionId: id, orgId: org("fabrikam").id, projectId: project.id });
      const ours = sim.deliveries().filter((d) => d.url.includes(id));
      expect(ours.length).toBeGreaterThanOrEqual(2);
      expect(ours.every((d) => d.status === 200)).toBe(true);
    });

    it("two subscriptions for one connection (e.g. a leftover) deliver one event twice: it is handled once", async () => {
      const mine = ourSubscriptions().find((s) => s.eventType === "workitem.updated")!;
      const hooks = org("fabrikam").hooks;
      hooks.subscriptions.push({ ...mine, id: randomUUID(), consumerInputs: { ...mine.consumerInputs } });
      try {
        received.length = 0;
        const wi = sim.createWorkItem("fabrikam", org("fabrikam").projects[0].name, "Bug", { "System.Title": "Twice" });
        sim.updateWorkItem("fabrikam", wi.id, { "System.Title": "Twice again" });
        await sim.flushDeliveries();
        const payload = (d: { payload: unknown }) => d.payload as { id: string; subscriptionId: string; resource: { workItemId: number } };
        const updates = sim
          .deliveries()
          .filter((d) => d.url.includes(id) && d.eventType === "workitem.updated" && payload(d).resource.workItemId === wi.id);
        expect(updates).toHaveLength(2);
        expect(new Set(updates.map((d) => payload(d).subscriptionId)).size).toBe(2);
        // Once each; deliveries of two events may arrive in either order.
        expect(
          received
            .filter((e) => e.workItemId === wi.id)
            .map((e) => e.eventType)
            .sort(),
        ).toEqual(["workitem.created", "workitem.updated"]);
      } finally {
        hooks.subscriptions.pop();
      }
    });

    it("a second connection in use for the organization is a 409 naming the field", async () => {
      const r = await call("POST", "/api/connections", { body: { name: "Second", organizationUrl: FABRIKAM, pat: secondPat } });
      expect(r.status).toBe(409);
      expect(r.body.fields).toEqual([{ field: "organizationUrl", message: expect.stringContaining('"Main"') }]);
    });

    it("edits name and description; a PAT Azure DevOps rejects changes nothing", async () => {
      const bad = await call("PATCH", `/api/connections/${id}`, { body: { name: "Renamed", pat: DEMO_PATS.revoked } });
      expect(bad.status).toBe(400);
      expect(bad.body.fields).toEqual([{ field: "pat", message: expect.any(String) }]);
      expect((await call("GET", `/api/connections/${id}`)).body.name).toBe("Main");
      const ok = await call("PATCH", `/api/connections/${id}`, { body: { name: "Renamed", description: "" } });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ name: "Renamed", description: "" });
      const nothing = await call("PATCH", `/api/connections/${id}`, { body: {} });
      expect(nothing.status).toBe(400);
    });

    it("a revoked PAT is detected on any call: status Error with the reason, live in the list", async () => {
      sim.state.pats.get(pat)!.revoked = true;
      const client = await adoClientFor(backend.deps, org("fabrikam").id);
      await expect(client.get("_apis/projects")).rejects.toMatchObject({ kind: "bad_credentials" });
      const r = await call("GET", "/api/connections", { headers: member });
      expect(r.body.connections[0]).toMatchObject({ id, status: "Error", statusReason: expect.stringContaining("expired or was revoked") });
      expect(await getActiveConnection(backend.deps, org("fabrikam").id)).toBeUndefined();
      await expect(adoClientFor(backend.deps, org("fabrikam").id)).rejects.toMatchObject({ status: 409, code: "no_connection" });
    });

    it("a PAT whose owner lost access is an Error too (not a missing scope), saying so", async () => {
      const ok = await call("PATCH", `/api/connections/${id}`, { body: { pat: secondPat } });
      expect(ok.body.status).toBe("Active");
      const fabrikam = sim.state.orgs.get("fabrikam")!;
      const membership = fabrikam.members.get(DEMO_USERS.admin.id)!;
      fabrikam.members.delete(DEMO_USERS.admin.id);
      try {
        const client = await adoClientFor(backend.deps, org("fabrikam").id);
        await expect(client.get("Fabrikam Fiber/_apis/wit/workitemtypes")).rejects.toMatchObject({ kind: "bad_credentials" });
      } finally {
        fabrikam.members.set(DEMO_USERS.admin.id, membership);
      }
      const r = await call("GET", `/api/connections/${id}`);
      expect(r.body).toMatchObject({ status: "Error", statusReason: expect.stringContaining("no longer has access to the organization") });
    });

    it("replacing the PAT brings it back to Active, and hooks are set up again", async () => {
      const r = await call("PATCH", `/api/connections/${id}`, { body: { pat: secondPat } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: "Active",
        statusReason: null,
        pat: { expiresOn: null, ownerName: "Ada Admin" },
        hooks: { count: 5 },
      });
      expect(ourSubscriptions()).toHaveLength(5);
    });

    it("Test Connection of a saved connection uses its stored PAT", async () => {
      const r = await test({ connectionId: id });
      expect(r.body.outcome).toBe("ok");
      const missing = await test({ connectionId: "00000000-0000-4000-8000-000000000000" });
      expect(missing.status).toBe(404);
    });

    it("cannot be deleted: 405 with the reason", async () => {
      const r = await call("DELETE", `/api/connections/${id}`);
      expect(r.status).toBe(405);
      expect(r.body).toMatchObject({ error: "method_not_allowed", message: expect.stringContaining("Disconnect") });
    });

    it("non-admins can read but not change", async () => {
      expect((await call("GET", `/api/connections/${id}`, { headers: member })).status).toBe(200);
      expect((await call("PATCH", `/api/connections/${id}`, { headers: member, body: { name: "x" } })).status).toBe(403);
      expect((await call("POST", `/api/connections/${id}/disconnect`, { headers: member })).status).toBe(403);
      expect((await call("POST", `/api/connections/${id}/reconnect`, { headers: member })).status).toBe(403);
    });

    it("disconnect: Inactive, hooks removed from Azure DevOps, deliveries refused, no client for syncs", async () => {
      const r = await call("POST", `/api/connections/${id}/disconnect`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "Inactive", statusReason: "Disconnected by Ada Admin", hooks: { count: 0, error: null } });
      expect(ourSubscriptions()).toEqual([]);
      await expect(adoClientFor(backend.deps, org("fabrikam").id)).rejects.toMatchObject({ code: "no_connection" });
      expect((await call("POST", `/api/connections/${id}/disconnect`)).status).toBe(409);
    });

    it("another connection may be created while this one is disconnected, but names stay unique", async () => {
      const dup = await call("POST", "/api/connections", { body: { name: "renamed", organizationUrl: FABRIKAM, pat: secondPat } });
      expect(dup.status).toBe(409);
      expect(dup.body.fields).toEqual([{ field: "name", message: expect.any(String) }]);
      const other = await call("POST", "/api/connections", { body: { name: "Other", organizationUrl: FABRIKAM, pat: secondPat } });
      expect(other.status).toBe(201);
      const blocked = await call("POST", `/api/connections/${id}/reconnect`);
      expect(blocked.status).toBe(409);
      expect(blocked.body.fields[0].field).toBe("organizationUrl");
      expect((await call("POST", `/api/connections/${other.body.id}/disconnect`)).status).toBe(200);
    });

    it("reconnect: Active again with hooks restored", async () => {
      const r = await call("POST", `/api/connections/${id}/reconnect`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "Active", hooks: { count: 5, error: null } });
      expect(ourSubscriptions().filter((s) => s.consumerInputs.url.endsWith(id))).toHaveLength(5);
      expect((await call("POST", `/api/connections/${id}/reconnect`)).status).toBe(409);
    });

    it("records every change with who and when", async () => {
      const r = await call("GET", `/api/connections/${id}/audit`, { headers: member });
      expect(r.status).toBe(200);
      const actions = r.body.entries.map((e: { action: string }) => e.action).reverse();
      expect(actions).toEqual([
        "connection.created",
        "connection.updated",
        "connection.error",
        "connection.updated",
        "connection.error",
        "connection.updated",
        "connection.disconnected",
        "connection.reconnected",
      ]);
      const created = r.body.entries.at(-1);
      expect(created).toMatchObject({ actorId: DEMO_USERS.admin.id, actorName: "Ada Admin", at: expect.any(String) });
      expect(r.body.entries.find((e: { action: string }) => e.action === "connection.error")).toMatchObject({ actorId: "system" });
      expect(JSON.stringify(r.body)).not.toContain(secondPat);
    });

    it("documents the connection routes and the hook receiver in the OpenAPI document", async () => {
      const doc = await (await backend.app.request("/openapi.json")).json();
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/api/connections",
          "/api/connections/test",
          "/api/connections/{id}",
          "/api/connections/{id}/disconnect",
          "/api/connections/{id}/reconnect",
          "/api/connections/{id}/audit",
          "/hooks/ado/{connectionId}",
        ]),
      );
      expect(doc.components.securitySchemes.hookBasicAuth).toMatchObject({ type: "http", scheme: "basic" });
    });

    it("never shows the PAT: not in any response, log line, or in plaintext in the database", async () => {
      const everything = [...responses, ...backend.log.lines].join("\n");
      for (const secret of [pat, secondPat, DEMO_PATS.readOnly, DEMO_PATS.member, DEMO_PATS.expired, DEMO_PATS.revoked]) {
        expect(everything).not.toContain(secret);
      }
      const dump = JSON.stringify(await backend.deps.database.query("SELECT * FROM connections"));
      expect(dump).not.toContain(pat);
      expect(dump).not.toContain(secondPat);
      expect(backend.log.lines.length).toBeGreaterThan(10);
    });
  });
});
