import { createSimulator, type Simulator } from "@testops/ado-sim";
import { and, eq } from "drizzle-orm";
import { AdoClient } from "../src/ado/client";
import { syncLink, writeRevisions } from "../src/boards/engine";
import { createLink, loadLink, setArchived, type LinkRow } from "../src/boards/links";
import { workItemTypes } from "../src/boards/pickers";
import { previewSync } from "../src/boards/preview";
import { boardsBugs, boardsLinks, boardsRequirements, boardsSyncState, jobs } from "../src/db/schema";
import { dispatchAdoEvent } from "../src/hooks/dispatch";
import { BOARDS_SYNC_JOB, boardsResourceKey, type BoardsLinkConfig, type BoardsLinkConfigInput } from "../src/schemas/boards";
import { boardsBackend, orgIdOf, projectOf, simClient, snapshot, suggestedConfig, wiqlIds } from "./boards-fixtures";
import { DB_KINDS } from "./helpers";

const PROJECTS = ["Fabrikam Fiber", "Scrum Project", "CMMI Project", "Basic Project", "Custom Project"] as const;

/** Counts reporting-revisions requests and can act on the n-th one (abort, stop the runner). */
function countingClient(sim: Simulator, onReporting?: (n: number) => void) {
  let n = 0;
  const base = simClient(sim);
  const fetchImpl: typeof fetch = async (input, init) => {
    if (String(input).includes("/reporting/workitemrevisions")) onReporting?.(++n);
    return sim.fetch(input, init);
  };
  return new AdoClient({ ...(base as unknown as { opts: ConstructorParameters<typeof AdoClient>[0] }).opts, fetch: fetchImpl });
}

describe.each(DB_KINDS)("boards sync engine on %s", (kind) => {
  let sim: Simulator;
  let backend: Awaited<ReturnType<typeof boardsBackend>>;
  let client: AdoClient;
  let orgId: string;
  let gate: Promise<void> | null = null;
  let onReporting: ((n: number) => void) | null = null;
  let reportingCalls = 0;
  const db = () => backend.deps.database.db;

  beforeAll(async () => {
    sim = createSimulator({ seed: { workItems: 600 } });
    // Jobs talk to ADO through this client: a test can hold its revisions requests at a gate.
    backend = await boardsBackend(kind, sim, (org) => {
      const c = simClient(sim, org);
      const f: typeof fetch = async (input, init) => {
        if (String(input).includes("/reporting/")) {
          onReporting?.(++reportingCalls);
          if (gate) await gate;
        }
        return sim.fetch(input, init);
      };
      return new AdoClient({ ...(c as unknown as { opts: ConstructorParameters<typeof AdoClient>[0] }).opts, fetch: f });
    });
    client = simClient(sim);
    orgId = orgIdOf(sim, "fabrikam");
  });
  afterAll(async () => {
    await backend.close();
  });

  const link = async (cfg: BoardsLinkConfig) => createLink(backend.deps, orgId, "tester", cfg);
  const sync = async (l: LinkRow, o: Parameters<typeof syncLink>[3] = {}, c = client) =>
    syncLink(backend.deps, c, await loadLink(backend.deps, orgId, l.id), o);
  const config = async (name: string, over: Partial<BoardsLinkConfigInput> = {}) => suggestedConfig(client, projectOf(sim, name), over);
  const live = async (l: LinkRow, t: typeof boardsRequirements | typeof boardsBugs) =>
    db()
      .select()
      .from(t)
      .where(and(eq(t.linkId, l.id), eq(t.removed, false)));
  const archive = (l: LinkRow) => setArchived(backend.deps, orgId, "tester", l.id, true);

  it.each(PROJECTS)("full sync of %s: every requirement and bug, statuses by state category, releases and sprints", async (name) => {
    const p = projectOf(sim, name);
    const cfg = await config(name);
    const l = await link(cfg);
    const s = await sync(l);
    expect(s.mode).toBe("full");
    // Releases: the first-level nodes; sprints below them; Release 3's sprints have no dates.
    expect(s.releases.created).toBe(4);
    expect(s.sprints).toMatchObject({ created: 8, withoutDates: 2 });

    const types = await workItemTypes(client, p.id);
    const reqs = await live(l, boardsRequirements);
    expect(reqs.map((r) => r.adoId).sort((a, b) => a - b)).toEqual(await wiqlIds(client, p, cfg.requirements.workItemTypes));
    expect(reqs.length).toBeGreaterThan(0);
    expect(s.requirements.created).toBe(reqs.length);
    for (const r of reqs) {
      const state = types.requirement.find((t) => t.name === r.workItemType)!.states.find((x) => x.name === r.adoState)!;
      expect(r.status).toBe(state.suggestedStatus);
      expect(["Highest", "High", "Medium", "Low"]).toContain(r.priority);
    }
    const bugs = await live(l, boardsBugs);
    expect(bugs.map((r) => r.adoId).sort((a, b) => a - b)).toEqual(await wiqlIds(client, p, cfg.bugMapping ? cfg.bugs.workItemTypes : []));
    for (const b of bugs) {
      const state = types.bug.find((t) => t.name === b.workItemType)!.states.find((x) => x.name === b.adoState)!;
      expect(b.status).toBe(state.suggestedStatus);
    }
    if (name === "Basic Project")
      expect(cfg.bugMapping).toBe(false); // Basic has no Bug category
    else expect(bugs.length).toBeGreaterThan(0);
    if (name === "Custom Project")
      expect(
        reqs.some((r) => r.adoState === "Ready for QA" || r.adoState === "In Review") ||
          types.requirement[0].states.some((x) => x.name === "Ready for QA"),
      ).toBe(true);
    expect(s.unmapped.filter((u) => u.kind === "state")).toEqual([]);
    const [row] = await db().select().from(boardsLinks).where(eq(boardsLinks.id, l.id));
    expect(row).toMatchObject({ status: "Active", statusReason: null });
    // Asked for what the mapping needs, 200 per page: requests = iteration tree + pages.
    expect(s.adoRequests).toBeLessThanOrEqual(1 + Math.ceil(s.revisionsRead / 200) + 1);

    // Idempotent: a second run writes nothing new.
    const before = await snapshot(db(), l.id);
    const again = await sync(l);
    expect(again.mode).toBe("incremental");
    expect(again.requirements).toMatchObject({ created: 0, updated: 0, removed: 0 });
    expect(again.releases).toMatchObject({ created: 0, updated: 0, removed: 0, unchanged: 4 });
    expect(await snapshot(db(), l.id)).toEqual(before);
    await archive(l);
  });

  it("incremental runs pick up changes, new, deleted and restored work items from the stored token", async () => {
    const p = projectOf(sim, "Fabrikam Fiber");
    const l = await link(await config("Fabrikam Fiber", { team: { id: p.teams[0].id, name: p.teams[0].name } }));
    await sync(l);
    const [victim, other] = (await live(l, boardsRequirements)).filter((r) => r.adoState !== "Closed");
    sim.updateWorkItem("fabrikam", victim.adoId, { "System.State": "Closed", "System.Title": "Renamed story" });
    sim.deleteWorkItem("fabrikam", other.adoId);
    const created = sim.createWorkItem("fabrikam", p.name, "User Story", {
      "System.Title": "Brand new",
      "System.IterationPath": `${p.name}\\Release 1\\Sprint 2`,
    });

    const s = await sync(l);
    expect(s.mode).toBe("incremental");
    expect(s.revisionsRead).toBeLessThan(10);
    expect(s.requirements).toMatchObject({ created: 1, updated: 1, removed: 1 });
    const rows = await db().select().from(boardsRequirements).where(eq(boardsRequirements.linkId, l.id));
    expect(rows.find((r) => r.adoId === victim.adoId)).toMatchObject({ status: "Done", title: "Renamed story", adoRev: victim.adoRev + 1 });
    expect(rows.find((r) => r.adoId === other.adoId)).toMatchObject({ removed: true });
    expect(rows.find((r) => r.adoId === created.id)).toMatchObject({
      status: "Open",
      iterationPath: `${p.name}\\Release 1\\Sprint 2`,
      removed: false,
    });

    sim.restoreWorkItem("fabrikam", other.adoId);
    expect((await sync(l)).requirements).toMatchObject({ updated: 1 });
    expect(
      (
        await db()
          .select()
          .from(boardsRequirements)
          .where(and(eq(boardsRequirements.linkId, l.id), eq(boardsRequirements.adoId, other.adoId)))
      )[0].removed,
    ).toBe(false);
    await archive(l);
  });

  it("items that leave the scope (type changed, moved to another project) are removed by a cheap reconciliation", async () => {
    const l = await link(await config("Fabrikam Fiber"));
    await sync(l);
    const [retyped] = await live(l, boardsRequirements);
    const [moved] = await live(l, boardsBugs);
    sim.updateWorkItem("fabrikam", retyped.adoId, { "System.WorkItemType": "Task" });
    sim.updateWorkItem("fabrikam", moved.adoId, { "System.TeamProject": "CMMI Project" });
    const liveBefore = (await live(l, boardsRequirements)).length + (await live(l, boardsBugs)).length;

    const wiql = sim.requestLog.count({ method: "POST", pathIncludes: "/wiql" });
    const s = await sync(l);
    expect(s.mode).toBe("incremental");
    expect(s.requirements.removed).toBe(1);
    expect(s.bugs.removed).toBe(1);
    expect((await live(l, boardsRequirements)).some((r) => r.adoId === retyped.adoId)).toBe(false);
    expect((await live(l, boardsBugs)).some((r) => r.adoId === moved.adoId)).toBe(false);
    // One WIQL of the ids in scope (up to 20,000 per request) beside the revisions read: not one read per stored item.
    expect(sim.requestLog.count({ method: "POST", pathIncludes: "/wiql" }) - wiql).toBe(Math.ceil(liveBefore / 20_000));
    expect(s.adoRequests).toBeLessThanOrEqual(4);
    await archive(l);
  });

  it("an older revision never overwrites a newer one", async () => {
    const cfg = await config("Scrum Project", { team: { id: "older-test", name: "x" } });
    const l = await link(cfg);
    const f = (rev: number, title: string) => ({
      id: 999_001,
      rev,
      fields: { "System.WorkItemType": "Product Backlog Item", "System.Title": title, "System.State": "Done" },
    });
    await writeRevisions(db(), l, cfg, [f(5, "newer")]);
    const c = await writeRevisions(db(), l, cfg, [f(3, "older")]);
    expect(c.requirements).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    const [row] = await db().select().from(boardsRequirements).where(eq(boardsRequirements.linkId, l.id));
    expect(row).toMatchObject({ adoRev: 5, title: "newer", status: "Done" });
    // Same page holding both revisions: the newest wins too.
    await writeRevisions(db(), l, cfg, [f(7, "seven"), f(6, "six")]);
    expect((await db().select().from(boardsRequirements).where(eq(boardsRequirements.linkId, l.id)))[0]).toMatchObject({
      adoRev: 7,
      title: "seven",
    });
    await archive(l);
  });

  it("each step's options: team board, picked releases, full path, bugs only, priority, date fields, severity, unmapped states", async () => {
    const p = projectOf(sim, "Custom Project");
    const web = projectOf(sim, "Fabrikam Fiber").teams.find((t) => t.name === "Web Team")!;
    // Step 1 + 3: the team board (Web Team: sprints 4–6) with full paths.
    const fab = projectOf(sim, "Fabrikam Fiber");
    const teamLink = await link(
      await config("Fabrikam Fiber", { team: { id: web.id, name: web.name }, iterations: { source: "teamBoard", fullPath: true } }),
    );
    const ts = await sync(teamLink);
    expect(ts.releases.created).toBe(1);
    expect(ts.sprints.created).toBe(3);
    const { releases, sprints } = await snapshot(db(), teamLink.id);
    expect(releases.map((r) => r.name)).toEqual([`${fab.name}\\Release 2`]);
    expect(sprints.map((s) => s.name)).toEqual([4, 5, 6].map((n) => `${fab.name}\\Release 2\\Sprint ${n}`));
    await archive(teamLink);

    // Step 2 (bugs only) + 3 (picked release) + 4 (priority) + 5 (date fields, in order) + 6 (severity, bug states).
    const dated = sim.createWorkItem("fabrikam", p.name, "User Story", {
      "System.Title": "Dated",
      "Custom.ReleaseDate": "2026-09-01T00:00:00Z",
      "Microsoft.VSTS.Scheduling.FinishDate": "2026-08-01T00:00:00Z",
      "Microsoft.VSTS.Common.Priority": 1,
    });
    const fallback = sim.createWorkItem("fabrikam", p.name, "User Story", {
      "System.Title": "Fallback",
      "Microsoft.VSTS.Scheduling.FinishDate": "2026-08-01T00:00:00Z",
    });
    const bug = sim.createWorkItem("fabrikam", p.name, "Bug", {
      "System.Title": "Crash",
      "Microsoft.VSTS.Common.Severity": "1 - Critical",
      "Microsoft.VSTS.Common.Priority": 2,
      // Required on the Custom Agile Bug (the simulator's customized process).
      "Custom.FoundInEnvironment": "Production",
    });
    sim.updateWorkItem("fabrikam", bug.id, { "System.State": "Ready for QA" });

    const base = await config("Custom Project");
    const cfg = await config("Custom Project", {
      iterations: { source: "projectTree", releasePaths: [`${p.name}\\Release 2`], fullPath: false },
      priorityMapping: { "1": "Lowest", "2": "Low", "3": "High", "4": "Highest" },
      requirements: { ...base.requirements, releaseDateFields: ["Custom.ReleaseDate", "Microsoft.VSTS.Scheduling.FinishDate"] },
      bugs: {
        ...base.bugs,
        severityMapping: { "1 - Critical": "Blocker" },
        stateMapping: { Bug: { ...base.bugs.stateMapping.Bug, "Ready for QA": "Resolved" } },
      },
    });
    const l = await link(cfg);
    const s = await sync(l);
    expect(s.releases.created).toBe(1);
    expect(s.sprints.created).toBe(3);
    const reqs = await db().select().from(boardsRequirements).where(eq(boardsRequirements.linkId, l.id));
    expect(reqs.find((r) => r.adoId === dated.id)).toMatchObject({ priority: "Lowest", releaseDate: new Date("2026-09-01T00:00:00Z") });
    expect(reqs.find((r) => r.adoId === fallback.id)!.releaseDate).toEqual(new Date("2026-08-01T00:00:00Z"));
    expect(
      (
        await db()
          .select()
          .from(boardsBugs)
          .where(and(eq(boardsBugs.linkId, l.id), eq(boardsBugs.adoId, bug.id)))
      )[0],
    ).toMatchObject({
      severity: "Blocker",
      status: "Resolved",
      adoState: "Ready for QA",
      priority: "Low",
    });
    // Severities without a mapping are reported, not fatal.
    expect(s.unmapped.some((u) => u.kind === "severity" && u.value === "2 - High")).toBe(true);
    await archive(l);

    // Bugs only, with a state left unmapped: items are stored with no status and the state is reported.
    const bugsOnly = await link(
      await config("Custom Project", { pullRequirements: false, bugs: { ...base.bugs, stateMapping: { Bug: { New: "Open" } } } }),
    );
    const bs = await sync(bugsOnly);
    expect(bs.requirements.created).toBe(0);
    expect(bs.bugs.created).toBeGreaterThan(0);
    const active = bs.unmapped.find((u) => u.kind === "state" && u.value === "Active" && u.workItemType === "Bug");
    expect(active).toBeDefined();
    const bugRows = await db().select().from(boardsBugs).where(eq(boardsBugs.linkId, bugsOnly.id));
    expect(bugRows.filter((b) => b.adoState === "Active").every((b) => b.status === null)).toBe(true);
    expect(bugRows.filter((b) => b.adoState === "Active").length).toBe(active!.count);
    await archive(bugsOnly);
  });

  it("editing the mapping re-maps every stored item on the next (full) sync; items of dropped types are removed", async () => {
    const cfg = await config("CMMI Project", { team: { id: "edit-test", name: "edit" } });
    const l = await link(cfg);
    await sync(l);
    const bugsBefore = (await live(l, boardsBugs)).length;
    expect(bugsBefore).toBeGreaterThan(0);
    const edited: BoardsLinkConfig = {
      ...cfg,
      bugMapping: false,
      requirements: {
        ...cfg.requirements,
        stateMapping: { Requirement: { ...cfg.requirements.stateMapping.Requirement, Resolved: "Done" } },
      },
    };
    await db()
      .update(boardsLinks)
      .set({ config: edited as never, configVersion: 2 })
      .where(eq(boardsLinks.id, l.id));
    const s = await sync(l);
    expect(s.mode).toBe("full");
    expect(s.bugs.removed).toBe(bugsBefore);
    expect((await live(l, boardsRequirements)).filter((r) => r.adoState === "Resolved").every((r) => r.status === "Done")).toBe(true);
    await archive(l);
  });

  it("an aborted sync resumes from its token and ends exactly like an uninterrupted one", async () => {
    const p = projectOf(sim, "Scrum Project");
    const cfg = await config("Scrum Project");
    const reference = await link(cfg);
    const full = await sync(reference, { pageSize: 5 });
    expect(full.revisionsRead).toBeGreaterThan(20); // several pages

    const cut = await link({ ...cfg, team: { id: p.teams[0].id, name: p.teams[0].name } });
    const ac = new AbortController();
    const aborting = countingClient(sim, (n) => n === 3 && ac.abort(new Error("killed")));
    await expect(sync(cut, { pageSize: 5, signal: ac.signal }, aborting)).rejects.toThrow();
    const [state] = await db().select().from(boardsSyncState).where(eq(boardsSyncState.linkId, cut.id));
    expect(state.continuationToken).not.toBeNull();
    expect(state.fullInProgress).toBe(true);
    const partial = (await live(cut, boardsRequirements)).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan((await live(reference, boardsRequirements)).length);

    const resumed = await sync(cut, { pageSize: 5 });
    expect(resumed.mode).toBe("full");
    expect(resumed.requirements).toEqual(full.requirements);
    expect(resumed.bugs).toEqual(full.bugs);
    expect(resumed.revisionsRead).toBe(full.revisionsRead);
    expect(await snapshot(db(), cut.id)).toEqual(await snapshot(db(), reference.id));
    await archive(reference);
    await archive(cut);
  });

  // Both runners: a stopped runner queues the interrupted job again; the next start (or another replica) resumes it.
  it("a sync job killed mid-way (runner stopped) resumes on restart and ends like an uninterrupted run", async () => {
    const cfg = await config("Scrum Project", { team: { id: "kill-ref", name: "kill-ref" } });
    const reference = await link(cfg);
    await sync(reference, { pageSize: 5 });
    const victim = await link({ ...cfg, team: { id: "kill-job", name: "kill-job" } });
    let stopping: Promise<void> | undefined;
    reportingCalls = 0;
    onReporting = (n) => {
      if (n === 3) stopping = backend.deps.jobs.stop();
    };
    let job;
    try {
      job = await backend.deps.jobs.enqueue(
        orgId,
        BOARDS_SYNC_JOB,
        { linkId: victim.id, pageSize: 5 },
        { resourceKey: boardsResourceKey(victim.id) },
      );
      for (let i = 0; i < 400 && !stopping; i++) await new Promise((r) => setTimeout(r, 10));
      await stopping;
    } finally {
      onReporting = null;
    }
    // Killed: the job is queued again, the token of the last committed page is stored.
    expect((await backend.deps.jobs.get(orgId, job.id))!.status).toBe("queued");
    const [state] = await db().select().from(boardsSyncState).where(eq(boardsSyncState.linkId, victim.id));
    expect(state.continuationToken).not.toBeNull();
    expect((await live(victim, boardsRequirements)).length).toBeLessThan((await live(reference, boardsRequirements)).length);

    await backend.deps.jobs.start();
    await backend.deps.jobs.idle();
    const done = await backend.deps.jobs.get(orgId, job.id);
    expect(done).toMatchObject({ status: "succeeded" });
    expect(await snapshot(db(), victim.id)).toEqual(await snapshot(db(), reference.id));
    expect(done!.result).toMatchObject({ mode: "full", requirements: { created: (await live(reference, boardsRequirements)).length } });
    await archive(reference);
    await archive(victim);
  });

  it("throttling and transient faults during a sync change nothing in the result", async () => {
    const p = projectOf(sim, "Basic Project");
    const cfg = await config("Basic Project");
    const clean = await link(cfg);
    await sync(clean, { pageSize: 20 });
    const faulty = await link({ ...cfg, team: { id: p.teams[0].id, name: p.teams[0].name } });
    sim.faults.set({ errorRate: 0.2, throttle: { rate: 0.2, retryAfterSeconds: 1 }, resetRate: 0.1, match: "reporting", seed: 11 });
    try {
      await sync(faulty, { pageSize: 20 });
    } finally {
      sim.faults.clear();
    }
    expect(await snapshot(db(), faulty.id)).toEqual(await snapshot(db(), clean.id));
    await archive(clean);
    await archive(faulty);
  });

  it("a failed sync is retried by the queue first; once it gives up it keeps the last good data, marks the link Error and fails the job", async () => {
    const cfg = await config("Fabrikam Fiber", { team: { id: "fail-test", name: "fail" } });
    const l = await link(cfg);
    const good = await sync(l);
    const before = await snapshot(db(), l.id);
    const [victim] = await live(l, boardsRequirements);
    sim.updateWorkItem("fabrikam", victim.adoId, { "System.Title": "changed while ADO is down" });
    sim.faults.set({ errorRate: 1, match: "reporting" });
    try {
      const job = await backend.deps.jobs.enqueue(
        orgId,
        BOARDS_SYNC_JOB,
        { linkId: l.id },
        { resourceKey: boardsResourceKey(l.id), singleton: true },
      );
      const waitFor = async (check: () => Promise<boolean>) => {
        for (let i = 0; i < 800 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
      };
      // First failure: a transient fault, so the job waits for its retry and the link does not show Error.
      await waitFor(async () => (await backend.deps.jobs.get(orgId, job.id))?.nextAttemptAt != null);
      expect(await backend.deps.jobs.get(orgId, job.id)).toMatchObject({ status: "queued", attempts: 1 });
      expect((await db().select().from(boardsLinks).where(eq(boardsLinks.id, l.id)))[0].status).toBe("Active");
      // Fast-forward to the last attempt (the whole backoff is minutes long). pg-boss still waits for
      // the retry message's own start time (about 5 s); the in-process runner's sweep starts it now.
      await db().update(jobs).set({ attempts: 4, runAfter: new Date() }).where(eq(jobs.id, job.id));
      await backend.deps.jobs.sweep();
      await waitFor(async () => (await backend.deps.jobs.get(orgId, job.id))?.status === "failed");
      const done = await backend.deps.jobs.get(orgId, job.id);
      expect(done).toMatchObject({ status: "failed", attempts: 5 });
      expect(done!.error).toMatch(/Azure DevOps answered 50[03]/);
    } finally {
      sim.faults.clear();
    }
    const [row] = await db().select().from(boardsLinks).where(eq(boardsLinks.id, l.id));
    expect(row.status).toBe("Error");
    expect(row.statusReason).toMatch(/Azure DevOps answered 50[03]/);
    expect(await snapshot(db(), l.id)).toEqual(before);
    const [state] = await db().select().from(boardsSyncState).where(eq(boardsSyncState.linkId, l.id));
    expect(state.lastSummary).toMatchObject({ finishedAt: good.finishedAt });
    expect(state.lastError).toMatch(/50[03]/);

    // Next run recovers: Active again, the change arrives.
    await sync(l);
    const [after] = await db().select().from(boardsLinks).where(eq(boardsLinks.id, l.id));
    expect(after.status).toBe("Active");
    expect(
      (
        await db()
          .select()
          .from(boardsRequirements)
          .where(and(eq(boardsRequirements.linkId, l.id), eq(boardsRequirements.adoId, victim.adoId)))
      )[0].title,
    ).toBe("changed while ADO is down");
    await archive(l);
  }, 40_000);

  it("preview writes nothing and predicts what the sync then does", async () => {
    const cfg = await config("Scrum Project", { team: { id: "preview-test", name: "preview" } });
    const count = async () =>
      Number(
        (
          await backend.deps.database.query<{ n: string }>(
            `SELECT (SELECT count(*) FROM boards_releases) + (SELECT count(*) FROM boards_sprints) + (SELECT count(*) FROM boards_requirements)
             + (SELECT count(*) FROM boards_bugs) + (SELECT count(*) FROM boards_links) + (SELECT count(*) FROM jobs) AS n`,
          )
        )[0].n,
      );
    const before = await count();
    const pv = await previewSync(backend.deps, client, orgId, cfg, undefined);
    expect(await count()).toBe(before);
    expect(pv.sprints.withoutDates).toBe(2);
    expect(pv.sprints.items.filter((s) => s.missingDates).map((s) => s.name)).toEqual(["Sprint 7", "Sprint 8"]);
    expect(pv.warnings.join(" ")).toMatch(/2 sprint\(s\) have no start or finish date/);
    const l = await link(cfg);
    const s = await sync(l);
    expect(pv.releases.create).toBe(s.releases.created);
    expect(pv.sprints.create).toBe(s.sprints.created);
    expect(pv.requirements!.create).toBe(s.requirements.created);
    expect(pv.bugs!.create).toBe(s.bugs.created);
    const byStatus: Record<string, number> = {};
    for (const r of await live(l, boardsRequirements)) byStatus[r.status ?? "(unmapped)"] = (byStatus[r.status ?? "(unmapped)"] ?? 0) + 1;
    expect(pv.requirements!.byStatus).toEqual(byStatus);
    // Against the stored link: nothing to create any more.
    const again = await previewSync(backend.deps, client, orgId, cfg, await loadLink(backend.deps, orgId, l.id));
    expect(again.requirements).toMatchObject({ create: 0, update: 0 });
    expect(again.releases).toMatchObject({ create: 0, update: 0, skip: 4 });
    await archive(l);
  });

  it("archive cancels the link's scheduled sync; service-hook events enqueue one incremental sync per live link", async () => {
    const p = projectOf(sim, "CMMI Project");
    const l = await link(await config("CMMI Project"));
    const event = (eventType = "workitem.updated") =>
      dispatchAdoEvent(backend.deps, { orgId, connectionId: "c", eventType, projectId: p.id, workItemId: 1, resource: {} });
    // Saved, never proceeded: events do not start syncing it.
    await event();
    expect(await backend.deps.jobs.list(orgId, { resourceKey: boardsResourceKey(l.id) })).toEqual([]);
    await sync(l);

    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    try {
      for (let i = 0; i < 3; i++) await event();
      const pending = await backend.deps.jobs.list(orgId, { resourceKey: boardsResourceKey(l.id) });
      expect(pending).toHaveLength(1); // singleton per link
      expect(pending[0].kind).toBe(BOARDS_SYNC_JOB);
      expect(["queued", "running"]).toContain(pending[0].status);
      await archive(l);
      open();
      gate = null;
      await backend.deps.jobs.idle();
      expect((await backend.deps.jobs.get(orgId, pending[0].id))!.status).toBe("cancelled");
    } finally {
      open();
      gate = null;
    }
    const [row] = await db().select().from(boardsLinks).where(eq(boardsLinks.id, l.id));
    expect(row.status).toBe("Active"); // cancelled is not an error
    // Archived: events no longer schedule anything.
    await event("workitem.created");
    expect(
      (
        await db()
          .select()
          .from(jobs)
          .where(and(eq(jobs.resourceKey, boardsResourceKey(l.id)), eq(jobs.status, "queued")))
      ).length,
    ).toBe(0);
  });
});
