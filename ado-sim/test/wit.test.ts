import { DEMO_PATS, createSimulator } from "../src/index";
import { client, demoSim, FIXED_NOW } from "./helpers";

describe("work items", () => {
  const sim = demoSim();
  const c = client(sim);

  test("projects page with $top and x-ms-continuationtoken", async () => {
    const first = await c.get("/_apis/projects?$top=2");
    expect(first.json.count).toBe(2);
    const token = first.headers.get("x-ms-continuationtoken");
    expect(token).toBeTruthy();
    const names: string[] = first.json.value.map((p: { name: string }) => p.name);
    let next = token;
    while (next) {
      const page = await c.get(`/_apis/projects?$top=2&continuationToken=${next}`);
      names.push(...page.json.value.map((p: { name: string }) => p.name));
      next = page.headers.get("x-ms-continuationtoken");
    }
    expect(names.sort()).toEqual(["Basic Project", "CMMI Project", "Custom Project", "Fabrikam Fiber", "Scrum Project"]);
  });

  test("types, categories and state categories per process", async () => {
    const cats = await c.get("/Scrum Project/_apis/wit/workitemtypecategories");
    const req = cats.json.value.find((x: { referenceName: string }) => x.referenceName === "Microsoft.RequirementCategory");
    expect(req.defaultWorkItemType.name).toBe("Product Backlog Item");
    const states = await c.get("/CMMI Project/_apis/wit/workitemtypes/Requirement/states");
    expect(states.json.value.find((s: { name: string }) => s.name === "Resolved").category).toBe("InProgress");
    const bugStates = await c.get("/CMMI Project/_apis/wit/workitemtypes/Bug/states");
    expect(bugStates.json.value.find((s: { name: string }) => s.name === "Resolved").category).toBe("Resolved");
    const custom = await c.get("/Custom Project/_apis/wit/workitemtypes/User Story/states");
    expect(custom.json.value.map((s: { name: string }) => s.name)).toContain("Ready for QA");
    const fields = await c.get("/Custom Project/_apis/wit/workitemtypes/Bug/fields?$expand=allowedValues");
    const refs = fields.json.value.map((f: { referenceName: string }) => f.referenceName);
    expect(refs).toEqual(expect.arrayContaining(["Custom.ReleaseDate", "Microsoft.VSTS.Common.Severity"]));
    expect(
      fields.json.value.find((f: { referenceName: string }) => f.referenceName === "Microsoft.VSTS.Common.Severity").allowedValues,
    ).toEqual(["1 - Critical", "2 - High", "3 - Medium", "4 - Low"]);
    const basic = await c.get("/Basic Project/_apis/wit/workitemtypecategories");
    expect(basic.json.value.some((x: { referenceName: string }) => x.referenceName === "Microsoft.BugCategory")).toBe(false);
  });

  test("WIQL: project, IN GROUP, UNDER, ChangedDate precision, ORDER BY, $top", async () => {
    const q = (query: string, extra = "") => c.post(`/Fabrikam Fiber/_apis/wit/wiql${extra}`, { query });
    const all = await q("SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project ORDER BY [System.Id]");
    expect(all.status).toBe(200);
    const ids = all.json.workItems.map((w: { id: number }) => w.id);
    expect(ids.length).toBeGreaterThan(50);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const reqs = await q(
      "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.WorkItemType] IN GROUP 'Microsoft.RequirementCategory'",
    );
    const batch = await c.post("/_apis/wit/workitemsbatch", {
      ids: reqs.json.workItems.slice(0, 50).map((w: { id: number }) => w.id),
      fields: ["System.WorkItemType", "System.TeamProject"],
    });
    expect(new Set(batch.json.value.map((w: any) => w.fields["System.WorkItemType"]))).toEqual(new Set(["User Story"]));
    const under = await q("SELECT [System.Id] FROM WorkItems WHERE [System.IterationPath] UNDER 'Fabrikam Fiber\\Release 1'");
    const detail = await c.post("/_apis/wit/workitemsbatch", {
      ids: under.json.workItems.slice(0, 100).map((w: { id: number }) => w.id),
      fields: ["System.IterationPath"],
    });
    for (const w of detail.json.value) expect(w.fields["System.IterationPath"]).toMatch(/^Fabrikam Fiber\\Release 1/);
    const withTime = await q("SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] > '2025-01-01T10:00:00Z'");
    expect(withTime.status).toBe(400);
    expect(withTime.json.message).toMatch(/VS402625/);
    const precise = await q(
      "SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] > '2025-01-01T10:00:00Z' AND [System.Id] > 10",
      "?timePrecision=true",
    );
    expect(precise.status).toBe(200);
    const top = await q("SELECT [System.Id] FROM WorkItems ORDER BY [System.Id] DESC", "?$top=3");
    expect(top.json.workItems).toHaveLength(3);
    expect(top.json.workItems[0].id).toBeGreaterThan(top.json.workItems[2].id);
    const bad = await q("SELECT [System.Id] FROM WorkItems WHERE [No.Such] = 1");
    expect(bad.status).toBe(400);
  });

  test("WIQL over 20,000 results → 400 VS402337", async () => {
    const big = createSimulator({ seed: { workItems: 20_500, katalonRepos: false }, clock: () => FIXED_NOW });
    const res = await client(big).post("/_apis/wit/wiql", { query: "SELECT [System.Id] FROM WorkItems" });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/^VS402337: The number of work items returned exceeds the size limit of 20000/);
    const paged = await client(big).post("/_apis/wit/wiql?$top=20000", {
      query: "SELECT [System.Id] FROM WorkItems WHERE [System.Id] > 100 ORDER BY [System.Id]",
    });
    expect(paged.status).toBe(200);
    expect(paged.json.workItems[0].id).toBe(101);
  });

  test("workitemsbatch: 200 id limit, fields xor $expand, errorPolicy omit", async () => {
    const ids = Array.from({ length: 201 }, (_, i) => i + 1);
    const tooMany = await c.post("/_apis/wit/workitemsbatch", { ids });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.message).toMatch(/^VS403474: You requested 201 work items which exceeds the limit of 200/);
    const get = await c.get(`/_apis/wit/workitems?ids=${ids.join(",")}`);
    expect(get.status).toBe(400);
    const both = await c.post("/_apis/wit/workitemsbatch", { ids: [1], fields: ["System.Title"], $expand: "relations" });
    expect(both.status).toBe(400);
    const missing = await c.post("/_apis/wit/workitemsbatch", { ids: [1, 999999] });
    expect(missing.status).toBe(404);
    const omit = await c.post("/_apis/wit/workitemsbatch", { ids: [1, 999999], errorPolicy: "omit" });
    expect(omit.json.value[1]).toBeNull();
    expect(omit.json.count).toBe(2);
    const rel = await c.post("/_apis/wit/workitemsbatch", { ids: [1, 2, 3, 4, 5, 6, 7, 8], $expand: "relations" });
    expect(rel.json.value.some((w: { relations?: unknown[] }) => (w.relations ?? []).length > 0)).toBe(true);
  });

  test("create a bug with links, identity fields as IdentityRef, reverse link on the target", async () => {
    const before = (await c.get("/_apis/wit/workitems/1?$expand=relations")).json;
    const res = await c.jsonPatch("POST", "/Fabrikam Fiber/_apis/wit/workitems/$Bug", [
      { op: "add", path: "/fields/System.Title", value: "Checkout fails" },
      { op: "add", path: "/fields/Microsoft.VSTS.Common.Severity", value: "2 - High" },
      { op: "add", path: "/fields/System.AssignedTo", value: "mo.member@fabrikam.com" },
      { op: "add", path: "/fields/System.IterationPath", value: "fabrikam fiber\\release 2\\sprint 4" },
      {
        op: "add",
        path: "/relations/-",
        value: { rel: "System.LinkTypes.Related", url: "https://dev.azure.com/fabrikam/_apis/wit/workItems/1" },
      },
      {
        op: "add",
        path: "/relations/-",
        value: { rel: "ArtifactLink", url: "vstfs:///TestManagement/TcmResult/1.100000", attributes: { name: "Test Result" } },
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.json.fields["System.State"]).toBe("New");
    expect(res.json.fields["System.IterationPath"]).toBe("Fabrikam Fiber\\Release 2\\Sprint 4");
    expect(res.json.fields["System.AssignedTo"]).toMatchObject({ displayName: "Mo Member", uniqueName: "mo.member@fabrikam.com" });
    expect(res.json.relations).toHaveLength(2);
    const after = (await c.get("/_apis/wit/workitems/1?$expand=relations")).json;
    expect(after.rev).toBe(before.rev + 1);
    expect(
      after.relations.some((r: { rel: string; url: string }) => r.rel === "System.LinkTypes.Related" && r.url.endsWith(`/${res.json.id}`)),
    ).toBe(true);
  });

  test("JSON Patch rules: content type, rule errors, test /rev → 412", async () => {
    const wrongType = await c.patch("/_apis/wit/workitems/3", [{ op: "add", path: "/fields/System.Title", value: "x" }]);
    expect(wrongType.status).toBe(415);
    const badState = await c.jsonPatch("PATCH", "/_apis/wit/workitems/3", [{ op: "add", path: "/fields/System.State", value: "Nonsense" }]);
    expect(badState.status).toBe(400);
    expect(badState.json.message).toMatch(/^TF401320: Rule Error for field State/);
    const badField = await c.jsonPatch("PATCH", "/_apis/wit/workitems/3", [{ op: "add", path: "/fields/No.Such", value: 1 }]);
    expect(badField.json.message).toMatch(/^TF51535/);
    const item = (await c.get("/_apis/wit/workitems/3")).json;
    const stale = await c.jsonPatch("PATCH", "/_apis/wit/workitems/3", [
      { op: "test", path: "/rev", value: item.rev - 1 },
      { op: "add", path: "/fields/System.Title", value: "stale write" },
    ]);
    expect(stale.status).toBe(412);
    expect((await c.get("/_apis/wit/workitems/3")).json.rev).toBe(item.rev);
    const fresh = await c.jsonPatch("PATCH", "/_apis/wit/workitems/3", [
      { op: "test", path: "/rev", value: item.rev },
      { op: "add", path: "/fields/System.Title", value: "fresh write" },
    ]);
    expect(fresh.status).toBe(200);
    expect(fresh.json.rev).toBe(item.rev + 1);
    const notInt = await c.jsonPatch("PATCH", "/_apis/wit/workitems/3", [{ op: "test", path: "/rev", value: "abc" }]);
    expect(notInt.status).toBe(400);
  });

  test("state change sets reason and dates; revisions and updates reflect it", async () => {
    const created = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", { "System.Title": "Story for states" });
    const res = await c.jsonPatch("PATCH", `/_apis/wit/workitems/${created.id}`, [
      { op: "add", path: "/fields/System.State", value: "Closed" },
    ]);
    expect(res.json.fields["System.Reason"]).toBe("Acceptance tests pass");
    expect(res.json.fields["Microsoft.VSTS.Common.ClosedDate"]).toBeDefined();
    const revs = await c.get(`/_apis/wit/workitems/${created.id}/revisions`);
    expect(revs.json.value.map((r: { rev: number }) => r.rev)).toEqual([1, 2]);
    const updates = await c.get(`/_apis/wit/workitems/${created.id}/updates`);
    expect(updates.json.value[1].fields["System.State"]).toEqual({ oldValue: "New", newValue: "Closed" });
  });

  test("delete → recycle bin → restore", async () => {
    const w = sim.createWorkItem("fabrikam", "Scrum Project", "Bug", { "System.Title": "To be deleted" });
    const del = await c.del(`/_apis/wit/workitems/${w.id}`);
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ id: w.id, code: 200, type: "Bug" });
    expect((await c.get(`/_apis/wit/workitems/${w.id}`)).status).toBe(404);
    const bin = await c.get("/Scrum Project/_apis/wit/recyclebin");
    expect(bin.json.value.map((x: { id: number }) => x.id)).toContain(w.id);
    const restored = await c.patch(`/Scrum Project/_apis/wit/recyclebin/${w.id}`, { isDeleted: false });
    expect(restored.status).toBe(200);
    expect((await c.get(`/_apis/wit/workitems/${w.id}`)).status).toBe(200);
  });

  test("change type and move to another project; the scoped revisions stream never shows the item again", async () => {
    const s = demoSim({ seed: { workItems: 0, katalonRepos: false } });
    const r = client(s);
    const story = s.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", { "System.Title": "Retyped" });
    const bug = s.createWorkItem("fabrikam", "Fabrikam Fiber", "Bug", { "System.Title": "Moved" });
    const scoped = (token: string) =>
      r.post(`/Fabrikam Fiber/_apis/wit/reporting/workitemrevisions?continuationToken=${encodeURIComponent(token)}`, {
        types: ["User Story", "Bug"],
        includeDeleted: true,
        includeLatestOnly: true,
      });
    const before = await scoped("0");
    expect(before.json.values.map((v: { id: number }) => v.id)).toEqual([story.id, bug.id]);
    const retyped = await r.jsonPatch("PATCH", `/_apis/wit/workitems/${story.id}`, [
      { op: "replace", path: "/fields/System.WorkItemType", value: "Task" },
    ]);
    expect(retyped.status).toBe(200);
    expect(retyped.json.fields).toMatchObject({ "System.WorkItemType": "Task", "System.State": "New" });
    const moved = await r.jsonPatch("PATCH", `/_apis/wit/workitems/${bug.id}`, [
      { op: "replace", path: "/fields/System.TeamProject", value: "Scrum Project" },
    ]);
    expect(moved.status).toBe(200);
    expect(moved.json.fields).toMatchObject({ "System.TeamProject": "Scrum Project", "System.AreaPath": "Scrum Project" });
    // From the old token, and from the beginning: neither item is in Fabrikam Fiber's (User Story, Bug) stream any more.
    expect((await scoped(before.json.continuationToken)).json.values).toEqual([]);
    expect((await scoped("0")).json.values).toEqual([]);
    const scrum = await r.post("/Scrum Project/_apis/wit/reporting/workitemrevisions", { types: ["Bug"], includeLatestOnly: true });
    expect(scrum.json.values.map((v: { id: number }) => v.id)).toEqual([bug.id]);
    const unknownType = await r.jsonPatch("PATCH", `/_apis/wit/workitems/${bug.id}`, [
      { op: "replace", path: "/fields/System.WorkItemType", value: "User Story" },
    ]);
    expect(unknownType.status).toBe(400);
    expect(unknownType.json.message).toMatch(/VS402323: Work item type User Story does not exist in project Scrum Project/);
  });

  test("reporting revisions: $maxPageSize is honoured on the GET, which documents it, not on the POST", async () => {
    const s = demoSim({ seed: { workItems: 300, katalonRepos: false } });
    const r = client(s);
    expect((await r.get("/_apis/wit/reporting/workitemrevisions?$maxPageSize=5")).json.values).toHaveLength(5);
    expect((await r.post("/_apis/wit/reporting/workitemrevisions?$maxPageSize=5", {})).json.values).toHaveLength(200);
  });

  test("reporting revisions: paging, isLastBatch, and an incremental token", async () => {
    const s = demoSim({ seed: { workItems: 120, katalonRepos: false } });
    const r = client(s);
    let url = "/_apis/wit/reporting/workitemrevisions?$maxPageSize=50";
    let token = "";
    let total = 0;
    let pages = 0;
    const seen = new Set<string>();
    for (;;) {
      const page = await r.get(url);
      expect(page.status).toBe(200);
      pages++;
      for (const v of page.json.values) {
        seen.add(`${v.id}/${v.rev}`);
        expect(typeof v.fields["System.ChangedBy"] === "string" || v.fields["System.ChangedBy"] === undefined).toBe(true);
      }
      total += page.json.values.length;
      token = page.json.continuationToken;
      if (page.json.isLastBatch) break;
      expect(page.json.values).toHaveLength(50);
      url = `/_apis/wit/reporting/workitemrevisions?$maxPageSize=50&continuationToken=${encodeURIComponent(token)}`;
    }
    expect(pages).toBeGreaterThan(2);
    expect(seen.size).toBe(total);
    // Nothing new → empty last batch with the same position.
    const idle = await r.get(`/_apis/wit/reporting/workitemrevisions?continuationToken=${encodeURIComponent(token)}`);
    expect(idle.json.values).toEqual([]);
    expect(idle.json.isLastBatch).toBe(true);
    // Changes after the token come back, and only those.
    s.updateWorkItem("fabrikam", 7, { "System.Title": "Changed after sync" });
    const created = s.createWorkItem("fabrikam", "Fabrikam Fiber", "Task", { "System.Title": "New after sync" });
    const delta = await r.get(`/_apis/wit/reporting/workitemrevisions?continuationToken=${encodeURIComponent(token)}`);
    expect(delta.json.values.map((v: { id: number }) => v.id)).toEqual([7, created.id]);
    expect(delta.json.values[0].fields["System.Title"]).toBe("Changed after sync");
    // Deletions only with includeDeleted.
    s.deleteWorkItem("fabrikam", 7);
    const t2 = delta.json.continuationToken;
    expect((await r.get(`/_apis/wit/reporting/workitemrevisions?continuationToken=${t2}`)).json.values).toEqual([]);
    const withDeleted = await r.get(`/_apis/wit/reporting/workitemrevisions?includeDeleted=true&continuationToken=${t2}`);
    expect(withDeleted.json.values).toHaveLength(1);
    expect(withDeleted.json.values[0].fields["System.IsDeleted"]).toBe(true);
    // Project scope and types filter.
    const scoped = await r.get("/Scrum Project/_apis/wit/reporting/workitemrevisions?types=Bug");
    for (const v of scoped.json.values) {
      expect(v.fields["System.TeamProject"]).toBe("Scrum Project");
      expect(v.fields["System.WorkItemType"]).toBe("Bug");
    }
  });

  test("classification nodes and team iterations with timeframes", async () => {
    const nodes = await c.get("/Fabrikam Fiber/_apis/wit/classificationnodes/Iterations?$depth=2");
    expect(nodes.json.path).toBe("\\Fabrikam Fiber\\Iteration");
    const r3 = nodes.json.children.find((n: { name: string }) => n.name === "Release 3");
    expect(r3.attributes).toBeUndefined();
    const r1 = nodes.json.children.find((n: { name: string }) => n.name === "Release 1");
    expect(r1.children[0].path).toBe("\\Fabrikam Fiber\\Iteration\\Release 1\\Sprint 1");
    expect(r1.children[0].attributes.startDate).toMatch(/T00:00:00Z$/);
    const one = await c.get("/Fabrikam Fiber/_apis/wit/classificationnodes/Iterations/Release 2/Sprint 4");
    expect(one.json.name).toBe("Sprint 4");
    const its = await c.get("/Fabrikam Fiber/Fabrikam Fiber Team/_apis/work/teamsettings/iterations");
    const frames = its.json.value.map((i: { name: string; attributes: { timeFrame: string } }) => `${i.name}:${i.attributes.timeFrame}`);
    expect(frames).toEqual(expect.arrayContaining(["Sprint 1:past", "Sprint 4:current", "Sprint 6:future", "Sprint 7:future"]));
    const current = await c.get("/Fabrikam Fiber/Web Team/_apis/work/teamsettings/iterations?$timeframe=current");
    expect(current.json.value.map((i: { name: string }) => i.name)).toEqual(["Sprint 4"]);
    expect(current.json.value[0].path).toBe("Fabrikam Fiber\\Release 2\\Sprint 4");
  });

  test("member (non-admin) can still edit work items", async () => {
    const m = client(sim, DEMO_PATS.member);
    const res = await m.jsonPatch("PATCH", "/_apis/wit/workitems/4", [
      { op: "add", path: "/fields/System.Title", value: "edited by member" },
    ]);
    expect(res.status).toBe(200);
    expect(res.json.fields["System.ChangedBy"].displayName).toBe("Mo Member");
  });
});
