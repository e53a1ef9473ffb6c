import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { suggestedConfig, simClient } from "./boards-fixtures";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(90_000);

/**
 * Hook health comes from Azure DevOps itself: deliveries that fail (backend down) put the
 * subscriptions on probation and then disable them; a check reads that state, recreates the
 * subscriptions, and queues a catch-up sync for what was lost meanwhile.
 */
describe.each(DB_KINDS)("service-hook health (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  let down = false;
  const sim = createSimulator({
    seed: { workItems: 60 },
    hooks: { retryDelaysMs: [], timeoutMs: 5000, maxProbationRetries: 2 },
    deliver: async (url, init) => {
      if (down) throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
      const u = new URL(url);
      return backend.app.request(u.pathname + u.search, init);
    },
  });
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Fabrikam Fiber")!;
  let admin: Record<string, string>;
  let member: Record<string, string>;
  async function call<T = any>(method: string, path: string, body?: unknown, headers = admin): Promise<{ status: number; body: T }> {
    const res = await backend.app.request(path, {
      method,
      headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  type Hooks = {
    connections: { hooks: { eventType: string; status: string | null; lastDeliveryAt: string | null; lastAction: string | null }[] }[];
  };
  const subscriptions = () => [...sim.state.orgs.get("fabrikam")!.hooks.subscriptions];

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    expect(
      (
        await call("POST", "/api/connections", {
          name: "Fabrikam",
          organizationUrl: "https://dev.azure.com/fabrikam",
          pat: DEMO_PATS.admin,
        })
      ).status,
    ).toBe(201);
  });
  afterAll(() => backend.close());

  it("shows Azure DevOps' own status, repairs disabled subscriptions, and catches up what was lost", async () => {
    const config = await suggestedConfig(simClient(sim), { id: project.id, name: project.name });
    const linkId = (await call("POST", "/api/boards/links", { config, proceed: true })).body.link.id as string;
    await backend.deps.jobs.idle();
    const ids = (
      await backend.deps.database.query<{ ado_id: number }>(
        `SELECT ado_id FROM boards_requirements WHERE link_id = $1 ORDER BY ado_id LIMIT 3`,
        [linkId],
      )
    ).map((r) => r.ado_id);

    // A delivery that arrives is recorded per event type.
    sim.updateWorkItem("fabrikam", ids[0], { "System.Title": "Delivered" });
    await sim.flushDeliveries();
    await backend.deps.jobs.idle();
    const before = (await call<Hooks>("GET", "/api/hooks")).body.connections[0].hooks;
    expect(before.find((h) => h.eventType === "workitem.updated")?.lastDeliveryAt).toEqual(expect.any(String));

    // The backend is unreachable: Azure DevOps puts the subscription on probation, then disables it.
    down = true;
    for (const [i, id] of ids.entries()) sim.updateWorkItem("fabrikam", id, { "System.Title": `Lost delivery ${i}` });
    await sim.flushDeliveries();
    down = false;
    expect(subscriptions().find((s) => s.eventType === "workitem.updated")?.status).toBe("disabledBySystem");
    // Azure DevOps no longer even tries: a later change gets no delivery attempt.
    const attempts = sim.deliveries().length;
    sim.updateWorkItem("fabrikam", ids[0], { "System.Title": "Lost delivery 0" });
    await sim.flushDeliveries();
    expect(sim.deliveries().length).toBe(attempts);

    // Only an organization admin repairs (it acts with the connection's PAT).
    expect((await call("POST", "/api/hooks/check", undefined, member)).status).toBe(403);
    const checked = await call<Hooks>("POST", "/api/hooks/check");
    expect(checked.status).toBe(200);
    const updated = checked.body.connections[0].hooks.find((h) => h.eventType === "workitem.updated")!;
    expect(updated.status).toBe("enabled");
    expect(updated.lastAction).toMatch(/Recreated the subscriptions \(.*workitem\.updated disabledBySystem.*\) and queued a catch-up sync/);
    expect(updated.lastDeliveryAt).toEqual(expect.any(String));
    // Azure DevOps now has enabled subscriptions for us again (the disabled ones were replaced).
    const ours = subscriptions().filter((s) => s.consumerInputs.url.includes("/hooks/ado/"));
    expect(ours.map((s) => s.status)).toEqual(ours.map(() => "enabled"));
    expect(ours).toHaveLength(5);

    // The catch-up sync brings the changes whose deliveries were lost.
    await backend.deps.jobs.idle();
    const titles = await backend.deps.database.query<{ title: string }>(
      `SELECT title FROM boards_requirements WHERE link_id = $1 AND ado_id = ANY($2::int[]) ORDER BY ado_id`,
      [linkId, ids],
    );
    expect(titles.map((t) => t.title)).toEqual(ids.map((_, i) => `Lost delivery ${i}`));
    // And new changes are delivered again.
    sim.updateWorkItem("fabrikam", ids[1], { "System.Title": "Delivered after repair" });
    await sim.flushDeliveries();
    expect(sim.deliveries().at(-1)).toMatchObject({ eventType: "workitem.updated", ok: true });

    // A healthy check changes nothing.
    const again = await call<Hooks>("POST", "/api/hooks/check");
    expect(again.body.connections[0].hooks.map((h) => h.lastAction)).toEqual(checked.body.connections[0].hooks.map((h) => h.lastAction));
  });
});
