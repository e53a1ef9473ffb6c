import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { connections, organizations } from "../src/db/schema";
import { onAdoEvent, type AdoEvent } from "../src/hooks/dispatch";
import { identityOf, normaliseDelivery, parseLenientJson, WebhookRejection } from "../src/webhooks/parse";
import { DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(60_000);

const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/ado-webhooks");
const fixtureFiles = readdirSync(FIXTURES, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".json"))
  .sort();
const fixture = (f: string) => readFileSync(path.join(FIXTURES, f), "utf8");

/** What each captured payload must become (or why it is refused). */
const EXPECTED: Record<
  string,
  { status: number; eventType?: string; workItemId?: number; projectId?: string; repositoryId?: string; field?: string }
> = {
  "aggregator-cli/ResourceVersion-1.0.json": {
    status: 200,
    eventType: "workitem.updated",
    workItemId: 30,
    projectId: "4cfab79e-7973-4d9d-b9df-253531404bba",
  },
  "aggregator-cli/ResourceVersion-3.1-preview.3.json": {
    status: 200,
    eventType: "workitem.updated",
    workItemId: 30,
    projectId: "4cfab79e-7973-4d9d-b9df-253531404bba",
  },
  "aggregator-cli/ResourceVersion-5.1-preview.3.json": {
    status: 200,
    eventType: "workitem.updated",
    workItemId: 30,
    projectId: "4cfab79e-7973-4d9d-b9df-253531404bba",
  },
  "aggregator-cli/TestEvent.json": {
    status: 200,
    eventType: "workitem.updated",
    workItemId: 5,
    projectId: "be9b3917-87e6-42a4-a549-2bc06a7a878f",
  },
  "aspnet-webhooks/bad.noEventType.json": { status: 400, field: "eventType" },
  "aspnet-webhooks/bad.notMappedEventType.json": { status: 422, field: "eventType" },
  "aspnet-webhooks/git.push.json": {
    status: 200,
    eventType: "git.push",
    repositoryId: "7aa31685-abcf-40be-8c18-aaa45067d7bb",
    projectId: "65e40c52-3c5d-487c-8a45-6b852de287a8",
  },
  "aspnet-webhooks/workitem.commented.json": { status: 422, field: "eventType" },
  "aspnet-webhooks/workitem.created.json": {
    status: 200,
    eventType: "workitem.created",
    workItemId: 5,
    projectId: "be9b3917-87e6-42a4-a549-2bc06a7a878f",
  },
  "aspnet-webhooks/workitem.deleted.json": {
    status: 200,
    eventType: "workitem.deleted",
    workItemId: 5,
    projectId: "be9b3917-87e6-42a4-a549-2bc06a7a878f",
  },
  "aspnet-webhooks/workitem.restored.json": {
    status: 200,
    eventType: "workitem.restored",
    workItemId: 5,
    projectId: "be9b3917-87e6-42a4-a549-2bc06a7a878f",
  },
  // Its resource.workItemId is 0 (a fixture artifact): the id comes from resource.revision.
  "aspnet-webhooks/workitem.updated.json": {
    status: 200,
    eventType: "workitem.updated",
    workItemId: 5,
    projectId: "be9b3917-87e6-42a4-a549-2bc06a7a878f",
  },
};

describe("service-hook payload parsing (pure)", () => {
  it("has an expectation for every captured fixture", () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(12);
    expect(fixtureFiles).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each([
    ['\uFEFF{"a":1}', { a: 1 }],
    ['{"a":[1,2,],}', { a: [1, 2] }],
    ['{"a":"x,}",\n  "b": {"c": 1,\n}\n}', { a: "x,}", b: { c: 1 } }],
    ['{"a":"quote \\" , ]"}', { a: 'quote " , ]' }],
  ])("parseLenientJson(%j)", (text, value) => {
    expect(parseLenientJson(text)).toEqual(value);
  });

  it("refuses what is not JSON, naming the body", () => {
    expect(() => parseLenientJson("<html>")).toThrow(WebhookRejection);
    expect(() => parseLenientJson('{"a":')).toThrow(expect.objectContaining({ status: 400, field: "body" }));
  });

  it.each(fixtureFiles)("normalises %s", (file) => {
    const want = EXPECTED[file];
    const run = () => normaliseDelivery(parseLenientJson(fixture(file)));
    if (want.status !== 200) {
      expect(run).toThrow(expect.objectContaining({ status: want.status, field: want.field }));
      return;
    }
    const d = run();
    expect(d).toMatchObject({ eventType: want.eventType, projectId: want.projectId });
    expect(d.workItemId).toBe(want.workItemId);
    expect(d.repositoryId).toBe(want.repositoryId);
    expect(d.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("camel-cases PascalCase envelopes but leaves field reference names alone", () => {
    const d = normaliseDelivery(parseLenientJson(fixture("aggregator-cli/ResourceVersion-3.1-preview.3.json")));
    expect(d.resourceVersion).toBe("3.1-preview.3");
    const revision = d.resource.revision as { fields: Record<string, unknown> };
    expect(revision.fields["System.Title"]).toBe("Implement a framework that migrates legacy to portable frameworks");
  });

  it.each([
    ["Bob Silent (Its Me) <bob@zzz.com>", { displayName: "Bob Silent (Its Me)", uniqueName: "bob@zzz.com" }],
    [
      { displayName: "Bob", uniqueName: "bob@zzz.com", id: "b8" },
      { displayName: "Bob", uniqueName: "bob@zzz.com", id: "b8" },
    ],
    [
      { name: "Bob <bob@zzz.com>", displayName: "Bob <bob@zzz.com>", uniqueName: "Bob <bob@zzz.com>" },
      { displayName: "Bob", uniqueName: "bob@zzz.com" },
    ],
    [null, undefined],
  ])("identityOf(%j) reads both resource-version forms", (value, want) => {
    expect(identityOf(value)).toEqual(want);
  });

  it.each([
    [{ eventType: "workitem.created", resource: { id: 1 } }, "id"],
    [{ id: "e", eventType: "workitem.created" }, "resource"],
    [{ id: "e", eventType: "workitem.created", resource: { fields: {} } }, "resource.workItemId"],
    [{ id: "e", eventType: "git.push", resource: { commits: [] } }, "resource.repository.id"],
    [{ id: "e", eventType: "workitem.created", publisherId: "rm", resource: { id: 1 } }, "publisherId"],
    [[1, 2], "body"],
  ])("names what is unusable (%#)", (payload, field) => {
    expect(() => normaliseDelivery(payload)).toThrow(expect.objectContaining({ field }));
  });
});

describe.each(DB_KINDS)("POST /hooks/ado/:connectionId (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const events: AdoEvent[] = [];
  let failNext = false;
  onAdoEvent("", async (_deps, e) => {
    if (failNext) {
      failNext = false;
      throw new Error("handler down");
    }
    events.push(e);
  });
  const id = randomUUID();
  const secret = "hook-secret-0123456789abcdefghij";
  const auth = (user = "testops", pass = secret) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

  beforeAll(async () => {
    backend = await testBackend({ kind });
    const db = backend.deps.database.db;
    await db.insert(organizations).values({ id: "org-hooks", name: "fabrikam", url: "https://dev.azure.com/fabrikam" });
    await db.insert(connections).values({
      id,
      orgId: "org-hooks",
      name: "Main",
      organizationUrl: "https://dev.azure.com/fabrikam",
      organizationName: "fabrikam",
      status: "Active",
      patSealed: backend.deps.secrets.encrypt("a-pat-never-used-here", `pat:${id}`),
      hookSecretSealed: backend.deps.secrets.encrypt(secret, `hook:${id}`),
      createdBy: "u",
      updatedBy: "u",
    });
  });
  afterAll(() => backend.close());
  beforeEach(async () => {
    events.length = 0;
    await backend.deps.database.exec("DELETE FROM webhook_events");
  });

  const post = async (body: string, o: { authorization?: string; to?: string } = {}) => {
    const res = await backend.app.request(`/hooks/ado/${o.to ?? id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: o.authorization ?? auth() },
      body,
    });
    return { status: res.status, body: await res.json() };
  };

  it.each(fixtureFiles)("%s", async (file) => {
    const want = EXPECTED[file];
    const r = await post(fixture(file));
    expect(r.status).toBe(want.status);
    if (want.status !== 200) {
      expect(r.body.fields).toEqual([{ field: want.field, message: expect.any(String) }]);
      expect(events).toEqual([]);
      return;
    }
    expect(r.body.status).toBe("accepted");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      orgId: "org-hooks",
      connectionId: id,
      eventType: want.eventType,
      workItemId: want.workItemId,
      projectId: want.projectId,
      repositoryId: want.repositoryId,
    });
  });

  it("handles an event once: Azure DevOps' redelivery is acknowledged as a duplicate", async () => {
    const body = fixture("aspnet-webhooks/workitem.created.json");
    expect((await post(body)).body.status).toBe("accepted");
    const again = await post(body);
    expect(again).toEqual({ status: 200, body: { status: "duplicate", eventId: "d2d46fb1-dba5-403c-9373-427583f19e8c" } });
    expect(events).toHaveLength(1);
  });

  it("a failing handler answers 503 and forgets the event, so the retry is handled", async () => {
    const body = fixture("aspnet-webhooks/git.push.json");
    failNext = true;
    expect((await post(body)).status).toBe(503);
    expect((await post(body)).body.status).toBe("accepted");
    expect(events).toHaveLength(1);
  });

  it.each([
    ["no credentials", ""],
    ["a wrong secret", auth("testops", "not-the-secret")],
    ["a wrong user", auth("admin", secret)],
    ["a bearer token", "Bearer abc"],
  ])("answers 401 to %s", async (_n, authorization) => {
    const r = await post(fixture("aspnet-webhooks/workitem.created.json"), { authorization });
    expect(r.status).toBe(401);
    expect(events).toEqual([]);
  });

  it("answers an unknown connection like a wrong secret", async () => {
    expect((await post("{}", { to: randomUUID() })).status).toBe(401);
    expect((await post("{}", { to: "not-a-uuid" })).status).toBe(401);
  });

  it("refuses garbage with a 400 naming the body", async () => {
    const r = await post("this is not json");
    expect(r).toMatchObject({ status: 400, body: { error: "invalid_json", fields: [{ field: "body" }] } });
  });

  it("refuses deliveries for a connection in Error (409) or disconnected (410)", async () => {
    const db = backend.deps.database.db;
    const body = fixture("aspnet-webhooks/workitem.created.json");
    await db.update(connections).set({ status: "Error", statusReason: "PAT revoked" }).where(eq(connections.id, id));
    expect((await post(body)).status).toBe(409);
    await db.update(connections).set({ status: "Inactive" }).where(eq(connections.id, id));
    expect((await post(body)).status).toBe(410);
    await db.update(connections).set({ status: "Active", statusReason: null }).where(eq(connections.id, id));
    expect((await post(body)).status).toBe(200);
  });

  it("never logs payloads or credentials", async () => {
    for (const f of fixtureFiles) await post(fixture(f));
    const logs = backend.log.lines.join("\n");
    expect(logs).toContain("service hook accepted");
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(Buffer.from(`testops:${secret}`).toString("base64"));
    expect(logs).not.toContain("Some great new idea");
    expect(logs).not.toContain("Jamal Hartnett");
    expect(logs).not.toContain("a-pat-never-used-here");
  });
});
