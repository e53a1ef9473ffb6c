import { createSimulator } from "../src/index";
import { client, FIXED_NOW } from "./helpers";

describe("seed", () => {
  test("100,000 work items are generated compactly and served correctly", async () => {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const sim = createSimulator({ seed: { workItems: 100_000, katalonRepos: false }, clock: () => FIXED_NOW });
    const grown = process.memoryUsage().heapUsed - before;
    // Typed arrays: tens of bytes per item, far below materialised JSON (~2–4 KB per item).
    expect(grown).toBeLessThan(60 * 1024 * 1024);
    const store = sim.state.orgs.get("fabrikam")!.workItems;
    expect(store.maxId()).toBe(100_000);
    expect(store.full.size).toBe(0);
    const c = client(sim);
    const last = await c.get("/_apis/wit/workitems/100000?$expand=relations");
    expect(last.status).toBe(200);
    expect(last.json.fields["System.Id"]).toBe(100_000);
    const q = await c.post("/Fabrikam Fiber/_apis/wit/wiql?$top=5", {
      query: "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Id] > 99000 ORDER BY [System.Id]",
    });
    expect(q.json.workItems).toHaveLength(5);
    expect(q.json.workItems[0].id).toBeGreaterThan(99_000);
    const tail = await c.get(`/_apis/wit/reporting/workitemrevisions?continuationToken=${store.generatedWatermark - 3}`);
    expect(tail.json.values).toHaveLength(3);
    expect(tail.json.isLastBatch).toBe(true);
  });

  test("seeds are deterministic", async () => {
    const a = createSimulator({ seed: { workItems: 50, katalonRepos: false }, clock: () => FIXED_NOW });
    const b = createSimulator({ seed: { workItems: 50, katalonRepos: false }, clock: () => FIXED_NOW });
    const ga = await client(a).post("/_apis/wit/workitemsbatch", { ids: [1, 10, 50] });
    const gb = await client(b).post("/_apis/wit/workitemsbatch", { ids: [1, 10, 50] });
    expect(ga.json).toEqual(gb.json);
    expect(a.state.orgs.get("fabrikam")!.id).toBe(b.state.orgs.get("fabrikam")!.id);
  });

  test("every process has realistic data: priorities 1–4, severities on bugs, links", async () => {
    const sim = createSimulator({ seed: { workItems: 600, katalonRepos: false }, clock: () => FIXED_NOW });
    const c = client(sim);
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    const items = (await c.post("/_apis/wit/workitemsbatch", { ids, $expand: "relations" })).json.value;
    for (const w of items) {
      const p = w.fields["Microsoft.VSTS.Common.Priority"];
      if (p !== undefined) expect([1, 2, 3, 4]).toContain(p);
      if (w.fields["System.WorkItemType"] === "Bug")
        expect(["1 - Critical", "2 - High", "3 - Medium", "4 - Low"]).toContain(w.fields["Microsoft.VSTS.Common.Severity"]);
    }
    const rels = items.flatMap((w: { relations?: { rel: string }[] }) => (w.relations ?? []).map((r) => r.rel));
    expect(rels).toEqual(
      expect.arrayContaining(["System.LinkTypes.Hierarchy-Reverse", "System.LinkTypes.Related", "Microsoft.VSTS.Common.TestedBy-Forward"]),
    );
    const projects = new Set(items.map((w: { fields: Record<string, string> }) => w.fields["System.TeamProject"]));
    expect(projects.size).toBe(5);
  });

  test("empty seed and a clear error without the Katalon fixture path", () => {
    const empty = createSimulator({ seed: false });
    expect(empty.state.orgs.size).toBe(0);
  });
});
