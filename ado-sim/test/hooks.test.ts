import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_PATS } from "../src/index";
import { client, demoSim } from "./helpers";

interface Received {
  headers: IncomingMessage["headers"];
  body: any;
}

/** A real HTTP receiver on 127.0.0.1 (port 0) that answers with the next queued status. */
async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(data) });
      res.statusCode = statuses.length ? statuses.shift()! : 200;
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("service hooks", () => {
  test("a pushed commit and an edited work item arrive as real-shaped webhooks", async () => {
    const sim = demoSim();
    const c = client(sim);
    const rx = await receiver();
    const fiber = (await c.get("/_apis/projects/Fabrikam Fiber")).json;
    const repo = (await c.get("/Fabrikam Fiber/_apis/git/repositories/katalon-ci-samples")).json;
    const sub = (eventType: string, publisherInputs: Record<string, string>) =>
      c.post("/_apis/hooks/subscriptions", {
        publisherId: "tfs",
        eventType,
        resourceVersion: "1.0",
        consumerId: "webHooks",
        consumerActionId: "httpRequest",
        publisherInputs: { projectId: fiber.id, ...publisherInputs },
        consumerInputs: {
          url: rx.url,
          basicAuthUsername: "ado",
          basicAuthPassword: "s3cret",
          httpHeaders: "X-TestOps-Token:abc\nX-Other: two",
        },
      });
    const wiSub = await sub("workitem.updated", { workItemType: "Bug", changedFields: "System.State,System.Title" });
    expect(wiSub.status).toBe(200);
    expect(wiSub.json.status).toBe("enabled");
    expect(wiSub.json.consumerInputs.basicAuthPassword).toBe("********");
    expect((await sub("git.push", { repository: repo.id, branch: "main" })).status).toBe(200);

    // Push a commit through the REST API.
    const tip = (await c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo.id}/refs?filter=heads/main`)).json.value[0].objectId;
    const push = await c.post(`/Fabrikam Fiber/_apis/git/repositories/${repo.id}/pushes`, {
      refUpdates: [{ name: "refs/heads/main", oldObjectId: tip }],
      commits: [
        {
          comment: "Add TC4",
          changes: [
            {
              changeType: "add",
              item: { path: "/Test Cases/Main Test Cases/TC4.tc" },
              newContent: { content: "<TestCaseEntity/>", contentType: "rawtext" },
            },
          ],
        },
      ],
    });
    expect(push.status).toBe(201);
    // Edit a bug through the REST API (and one that must be filtered out: a User Story).
    const bug = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Bug", { "System.Title": "Hook me" });
    const story = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", { "System.Title": "Not me" });
    const upd = await c.jsonPatch("PATCH", `/_apis/wit/workitems/${bug.id}`, [
      { op: "add", path: "/fields/System.State", value: "Active" },
    ]);
    expect(upd.status).toBe(200);
    await c.jsonPatch("PATCH", `/_apis/wit/workitems/${story.id}`, [{ op: "add", path: "/fields/System.State", value: "Active" }]);
    // A change to a field not in changedFields is filtered out too.
    await c.jsonPatch("PATCH", `/_apis/wit/workitems/${bug.id}`, [{ op: "add", path: "/fields/Microsoft.VSTS.Common.Priority", value: 1 }]);
    await sim.flushDeliveries();
    await rx.close();

    expect(rx.received).toHaveLength(2);
    const pushHook = rx.received.find((r) => r.body.eventType === "git.push")!;
    const wiHook = rx.received.find((r) => r.body.eventType === "workitem.updated")!;
    for (const r of rx.received) {
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from("ado:s3cret").toString("base64")}`);
      expect(r.headers["x-testops-token"]).toBe("abc");
      expect(r.headers["x-other"]).toBe("two");
      expect(Object.keys(r.body).sort()).toEqual(
        [
          "createdDate",
          "detailedMessage",
          "eventType",
          "id",
          "message",
          "notificationId",
          "publisherId",
          "resource",
          "resourceContainers",
          "resourceVersion",
          "subscriptionId",
        ].sort(),
      );
      expect(r.body.publisherId).toBe("tfs");
      expect(r.body.resourceContainers.project.id).toBe(fiber.id);
      expect(r.body.resourceContainers.collection.id).toBe(sim.state.orgs.get("fabrikam")!.id);
    }
    const res = pushHook.body.resource;
    expect(res.refUpdates).toEqual([{ name: "refs/heads/main", oldObjectId: tip, newObjectId: push.json.commits[0].commitId }]);
    expect(res.commits[0]).toMatchObject({ commitId: push.json.commits[0].commitId, comment: "Add TC4" });
    expect(res.repository).toMatchObject({ id: repo.id, name: "katalon-ci-samples", defaultBranch: "refs/heads/main" });
    expect(res.pushedBy.displayName).toBe("Ada Admin");
    expect(res.pushId).toBe(push.json.pushId);

    const w = wiHook.body.resource;
    expect(w.workItemId).toBe(bug.id);
    expect(w.id).toBe(2); // update number, not the work item id
    expect(w.id).not.toBe(bug.id);
    expect(w.rev).toBe(2);
    expect(w.fields["System.State"]).toEqual({ oldValue: "New", newValue: "Active" });
    expect(w.fields["System.Rev"]).toEqual({ oldValue: 1, newValue: 2 });
    expect(w.revision.id).toBe(bug.id);
    expect(w.revision.fields["System.Title"]).toBe("Hook me");
    expect(w.revision.fields["System.CreatedBy"]).toBe("Ada Admin <ada.admin@fabrikam.com>"); // identities are strings in hooks
    expect(w.revisedBy.name).toBe("Ada Admin <ada.admin@fabrikam.com>");
    expect(wiHook.body.message.text).toContain(`Bug #${bug.id}`);
  });

  test.each([
    ["http://localhost:8787/hooks", {}, /can't target localhost/],
    ["https://127.0.0.1/hooks", {}, /can't target localhost/],
    ["https://10.1.2.3/hooks", {}, /special range/],
    ["https://[::1]/hooks", {}, /special range/],
    ["http://testops.example.com/hooks", { basicAuthUsername: "u", basicAuthPassword: "p" }, /Basic authentication requires an HTTPS URL/],
  ])("Services refuse the webhook target %s %j; an on-premises collection and a dev simulator accept it", async (url, auth, why) => {
    const body = {
      publisherId: "tfs",
      eventType: "workitem.created",
      consumerId: "webHooks",
      consumerActionId: "httpRequest",
      publisherInputs: {},
      consumerInputs: { url, ...auth },
    };
    const services = demoSim({ hooks: { retryDelaysMs: [] } });
    const refused = await client(services).post("/_apis/hooks/subscriptions", body);
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(why);
    expect(services.state.orgs.get("fabrikam")!.hooks.subscriptions).toHaveLength(0);
    const onPrem = demoSim({ hooks: { retryDelaysMs: [] }, seed: { orgs: [{ name: "fabrikam", server: true }] } });
    expect((await client(onPrem).post("/_apis/hooks/subscriptions", body)).status).toBe(200);
    expect((await client(demoSim()).post("/_apis/hooks/subscriptions", body)).status).toBe(200);
    expect(
      (
        await client(services).post("/_apis/hooks/subscriptions", {
          ...body,
          consumerInputs: { url: "https://testops.example.com/h", ...auth },
        })
      ).status,
    ).toBe(200);
  });

  test("one event delivered to two subscriptions carries one event id (each its own notificationId)", async () => {
    const sim = demoSim();
    const c = client(sim);
    const rx = await receiver();
    for (const messagesToSend of ["none", "text"])
      await c.post("/_apis/hooks/subscriptions", {
        publisherId: "tfs",
        eventType: "workitem.created",
        consumerId: "webHooks",
        consumerActionId: "httpRequest",
        publisherInputs: {},
        consumerInputs: { url: rx.url, messagesToSend },
      });
    sim.createWorkItem("fabrikam", "Scrum Project", "Bug", { "System.Title": "One" });
    sim.createWorkItem("fabrikam", "Scrum Project", "Bug", { "System.Title": "Two" });
    await sim.flushDeliveries();
    await rx.close();
    const [a, b, c2, d] = rx.received.map((r) => r.body);
    expect(rx.received).toHaveLength(4);
    expect(a.id).toBe(b.id);
    expect(c2.id).toBe(d.id);
    expect(a.id).not.toBe(c2.id);
    expect(new Set([a, b, c2, d].map((x) => x.notificationId)).size).toBe(4);
    expect(a.subscriptionId).not.toBe(b.subscriptionId);
  });

  test("created/deleted/restored payloads; helpers fire hooks like the API", async () => {
    const sim = demoSim();
    const c = client(sim);
    const rx = await receiver();
    for (const eventType of ["workitem.created", "workitem.deleted", "workitem.restored"])
      await c.post("/_apis/hooks/subscriptions", {
        publisherId: "tfs",
        eventType,
        consumerId: "webHooks",
        consumerActionId: "httpRequest",
        publisherInputs: {},
        consumerInputs: { url: rx.url, messagesToSend: "none" },
      });
    const w = sim.createWorkItem("fabrikam", "Scrum Project", "Bug", {
      "System.Title": "Lifecycle",
      "Microsoft.VSTS.Common.Severity": "1 - Critical",
    });
    sim.deleteWorkItem("fabrikam", w.id);
    sim.restoreWorkItem("fabrikam", w.id);
    await sim.flushDeliveries();
    await rx.close();
    expect(rx.received.map((r) => r.body.eventType)).toEqual(["workitem.created", "workitem.deleted", "workitem.restored"]);
    const [created, deleted] = rx.received.map((r) => r.body);
    expect(created.message).toBeNull();
    expect(created.resource).toMatchObject({ id: w.id, rev: 1 });
    expect(created.resource.fields["Microsoft.VSTS.Common.Severity"]).toBe("1 - Critical");
    expect(deleted.resource.url).toMatch(new RegExp(`/_apis/wit/recyclebin/${w.id}$`));
  });

  test("failures are retried, then onProbation, then disabledBySystem", async () => {
    const sim = demoSim({ hooks: { retryDelaysMs: [0, 0], maxProbationRetries: 2, allowLocalTargets: true } });
    const c = client(sim);
    const rx = await receiver([500, 503, 200, 500, 500, 500, 500, 500, 500]);
    const created = await c.post("/_apis/hooks/subscriptions", {
      publisherId: "tfs",
      eventType: "workitem.created",
      consumerId: "webHooks",
      consumerActionId: "httpRequest",
      publisherInputs: {},
      consumerInputs: { url: rx.url },
    });
    const id = created.json.id;
    // 1st event: 500, 503, then 200 on the last retry → delivered, still enabled.
    sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Task", { "System.Title": "one" });
    await sim.flushDeliveries();
    expect(sim.deliveries().map((d) => d.status)).toEqual([500, 503, 200]);
    expect((await c.get(`/_apis/hooks/subscriptions/${id}`)).json.status).toBe("enabled");
    // 2nd event: all three attempts fail → onProbation.
    sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Task", { "System.Title": "two" });
    await sim.flushDeliveries();
    let s = (await c.get(`/_apis/hooks/subscriptions/${id}`)).json;
    expect(s.status).toBe("onProbation");
    expect(s.probationRetries).toBe(1);
    // 3rd event fails too → disabledBySystem; 4th is not delivered at all.
    sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Task", { "System.Title": "three" });
    await sim.flushDeliveries();
    s = (await c.get(`/_apis/hooks/subscriptions/${id}`)).json;
    expect(s.status).toBe("disabledBySystem");
    const attempts = sim.deliveries().length;
    sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Task", { "System.Title": "four" });
    await sim.flushDeliveries();
    expect(sim.deliveries().length).toBe(attempts);
    expect(rx.received.length).toBe(attempts);
    const notes = await c.get(`/_apis/hooks/subscriptions/${id}/notifications`);
    expect(notes.json.value.map((n: { result: string }) => n.result)).toEqual(["failed", "failed", "succeeded"]);
    await rx.close();
  });

  test("connection failures count as failed attempts", async () => {
    const sim = demoSim({ hooks: { retryDelaysMs: [0], maxProbationRetries: 5, allowLocalTargets: true } });
    const c = client(sim);
    const rx = await receiver();
    await rx.close(); // nothing listens there any more
    await c.post("/_apis/hooks/subscriptions", {
      publisherId: "tfs",
      eventType: "workitem.created",
      consumerId: "webHooks",
      consumerActionId: "httpRequest",
      publisherInputs: {},
      consumerInputs: { url: rx.url },
    });
    sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Task", { "System.Title": "x" });
    await sim.flushDeliveries();
    expect(sim.deliveries().map((d) => [d.status, d.ok])).toEqual([
      [0, false],
      [0, false],
    ]);
    expect(sim.deliveries()[0].error).toBeTruthy();
  });

  test("permissions and scopes for subscriptions; subscriptionsquery", async () => {
    const sim = demoSim();
    const fiber = sim.state.orgs.get("fabrikam")!.projects[0];
    const body = {
      publisherId: "tfs",
      eventType: "workitem.updated",
      consumerId: "webHooks",
      consumerActionId: "httpRequest",
      publisherInputs: { projectId: fiber.id },
      consumerInputs: { url: "https://testops.example.com/ado/hooks" },
    };
    expect((await client(sim, DEMO_PATS.member).post("/_apis/hooks/subscriptions", body)).status).toBe(403);
    expect((await client(sim, DEMO_PATS.projectAdmin).post("/_apis/hooks/subscriptions", body)).status).toBe(200);
    const codeOnly = sim.addPat({
      userId: sim.state.orgs.get("fabrikam")!.members.values().next().value!.userId,
      org: "fabrikam",
      scopes: ["vso.code"],
    });
    expect((await client(sim, codeOnly.token).post("/_apis/hooks/subscriptions", body)).status).toBe(401);
    const badUrl = await client(sim).post("/_apis/hooks/subscriptions", { ...body, consumerInputs: { url: "not a url" } });
    expect(badUrl.status).toBe(400);
    const q = await client(sim).post("/_apis/hooks/subscriptionsquery", {
      publisherId: "tfs",
      consumerInputFilters: [{ conditions: [{ inputId: "url", operator: "equals", inputValue: "https://testops.example.com/ado/hooks" }] }],
    });
    expect(q.json.results).toHaveLength(1);
    const none = await client(sim).post("/_apis/hooks/subscriptionsquery", {
      consumerInputFilters: [{ conditions: [{ inputId: "url", inputValue: "https://elsewhere" }] }],
    });
    expect(none.json.results).toHaveLength(0);
    const id = q.json.results[0].id;
    expect((await client(sim, DEMO_PATS.member).del(`/_apis/hooks/subscriptions/${id}`)).status).toBe(403);
    expect((await client(sim).del(`/_apis/hooks/subscriptions/${id}`)).status).toBe(204);
  });
});
