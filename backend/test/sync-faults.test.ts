import { createSimulator } from "@testops/ado-sim";
import { createLink } from "../src/boards/links";
import { BOARDS_SYNC_JOB, boardsResourceKey } from "../src/schemas/boards";
import { boardsBackend, orgIdOf, projectOf, simClient, snapshot, suggestedConfig } from "./boards-fixtures";
import { DB_KINDS } from "./helpers";

jest.setTimeout(120_000);

/**
 * Under the fault mix seen in the field (5xx, 429 storms, connection resets, bodies cut mid-stream),
 * a sync converges to the same stored state as a clean run, with no manual "Sync now": the ADO
 * client retries each request, and the queue retries the job if a request still fails.
 */
describe.each(DB_KINDS)("Boards sync under injected faults (%s)", (kind) => {
  const sim = createSimulator({ seed: { workItems: 250 } });
  let backend: Awaited<ReturnType<typeof boardsBackend>>;
  const orgId = orgIdOf(sim, "fabrikam");

  beforeAll(async () => {
    backend = await boardsBackend(kind, sim);
  });
  afterAll(() => backend.close());

  const runJob = async (linkId: string, full: boolean) => {
    const job = await backend.deps.jobs.enqueue(
      orgId,
      BOARDS_SYNC_JOB,
      { linkId, full },
      { resourceKey: boardsResourceKey(linkId), singleton: true },
    );
    for (let i = 0; i < 1600; i++) {
      const j = await backend.deps.jobs.get(orgId, job.id);
      if (j && ["succeeded", "failed", "cancelled"].includes(j.status)) return j;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("sync did not finish");
  };

  it.each([1, 2, 3])(
    "trial %i: an incremental sync under 20%% 5xx + 429 storms + resets + cut bodies equals a clean full sync",
    async (trial) => {
      const project = projectOf(sim, "Fabrikam Fiber");
      const config = await suggestedConfig(simClient(sim), project);
      const faulty = await createLink(backend.deps, orgId, "tester", {
        ...config,
        team: { id: `faults-${trial}`, name: `faults ${trial}` },
      });
      expect((await runJob(faulty.id, true)).status).toBe("succeeded");

      // Changes in Azure DevOps, then the storm while the link catches up.
      const items = await backend.deps.database.query<{ ado_id: number }>(
        `SELECT ado_id FROM boards_requirements WHERE link_id = $1 ORDER BY ado_id LIMIT 8`,
        [faulty.id],
      );
      for (const [i, r] of items.entries()) sim.updateWorkItem("fabrikam", r.ado_id, { "System.Title": `Storm ${trial}.${i}` });
      sim.faults.set({ errorRate: 0.2, resetRate: 0.05, truncateRate: 0.05, throttle: { rate: 0.1, retryAfterSeconds: 1 }, seed: trial });
      let outcome;
      try {
        outcome = await runJob(faulty.id, false);
      } finally {
        sim.faults.clear();
      }
      expect(outcome).toMatchObject({ status: "succeeded" });

      const clean = await createLink(backend.deps, orgId, "tester", { ...config, team: { id: `clean-${trial}`, name: `clean ${trial}` } });
      expect((await runJob(clean.id, true)).status).toBe("succeeded");
      expect(await snapshot(backend.deps.database.db, faulty.id)).toEqual(await snapshot(backend.deps.database.db, clean.id));
    },
  );
});
