import { organizations } from "../src/db/schema";
import { migrate } from "../src/db/client";
import { createJobQueue, type JobQueue } from "../src/jobs";
import { memoryLogger } from "../src/log";
import { DB_KINDS, openTestDatabase } from "./helpers";

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe.each(DB_KINDS)("job queue on %s", (kind) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let queue: JobQueue;
  const gates = new Map<string, () => void>();

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    await migrate(database);
    await database.db.insert(organizations).values([
      { id: "org-a", name: "a", url: "https://dev.azure.com/a" },
      { id: "org-b", name: "b", url: "https://dev.azure.com/b" },
    ]);
    queue = createJobQueue(database, memoryLogger());
    queue.register<{ n: number }>("count", async (ctx) => {
      for (let i = 1; i <= ctx.payload.n; i++) await ctx.progress(i, ctx.payload.n, `step ${i}`);
      return { counted: ctx.payload.n };
    });
    queue.register<{ fail: string }>("fail", async (ctx) => {
      throw new Error(ctx.payload.fail);
    });
    // Waits until the test opens its gate, reporting progress while it waits (to notice cancellation).
    queue.register<{ gate: string }>("gated", async (ctx) => {
      let open = false;
      gates.set(ctx.payload.gate, () => (open = true));
      let i = 0;
      while (!open) {
        await ctx.progress(++i, null, "waiting");
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await queue.start();
  });
  afterAll(async () => {
    await queue.stop();
    await database.drop();
  });

  it("runs a job to success with progress and a result", async () => {
    const job = await queue.enqueue("org-a", "count", { n: 3 }, { resourceKey: "link:1", createdBy: "u1" });
    expect(job.status).toBe("queued");
    await until(async () => (await queue.get("org-a", job.id))?.status === "succeeded", "success");
    const done = await queue.get("org-a", job.id);
    expect(done).toMatchObject({ progressDone: 3, progressTotal: 3, message: "step 3", result: { counted: 3 }, createdBy: "u1" });
  });

  it("records a failure with its reason", async () => {
    const job = await queue.enqueue("org-a", "fail", { fail: "ADO said no" });
    await until(async () => (await queue.get("org-a", job.id))?.status === "failed", "failure");
    expect((await queue.get("org-a", job.id))?.error).toBe("ADO said no");
  });

  it("never shows a job to another organization", async () => {
    const job = await queue.enqueue("org-a", "count", { n: 1 });
    expect(await queue.get("org-b", job.id)).toBeUndefined();
    expect(await queue.cancel("org-b", job.id)).toBeUndefined();
    expect((await queue.list("org-b")).map((j) => j.id)).not.toContain(job.id);
  });

  it("cancels a running job, which stops at its next progress report", async () => {
    const job = await queue.enqueue("org-a", "gated", { gate: "g1" });
    await until(async () => (await queue.get("org-a", job.id))?.status === "running", "running");
    await queue.cancel("org-a", job.id);
    await until(async () => (await queue.get("org-a", job.id))?.status === "cancelled", "cancelled");
  });

  it("keeps one queued-or-running job per resource when asked (singleton) and cancels a resource's jobs", async () => {
    const a = await queue.enqueue("org-a", "gated", { gate: "g2" }, { resourceKey: "link:9", singleton: true });
    const b = await queue.enqueue("org-a", "gated", { gate: "g3" }, { resourceKey: "link:9", singleton: true });
    expect(b.id).toBe(a.id);
    await until(async () => (await queue.get("org-a", a.id))?.status === "running", "running");
    expect(await queue.cancelResource("org-a", "link:9")).toBe(1);
    await until(async () => (await queue.get("org-a", a.id))?.status === "cancelled", "cancelled");
  });
});

describe.each(DB_KINDS)("job queue restart on %s", (kind) => {
  it("a job interrupted by a stop is queued again and finishes after the next start; jobs enqueued while stopped run too", async () => {
    const database = await openTestDatabase(kind);
    await migrate(database);
    await database.db.insert(organizations).values({ id: "org-r", name: "r", url: "https://dev.azure.com/r" });
    const make = () => {
      const q = createJobQueue(database, memoryLogger());
      // Counts to n, one step per progress report; a restart resumes from the stored progress.
      q.register<{ n: number }>("slow", async (ctx) => {
        const start = ((await q.get(ctx.orgId, ctx.jobId))?.progressDone ?? 0) + 1;
        for (let i = start; i <= ctx.payload.n; i++) {
          await new Promise((r) => setTimeout(r, 20));
          await ctx.progress(i, ctx.payload.n);
        }
        return { resumedFrom: start };
      });
      return q;
    };
    const first = make();
    await first.start();
    const job = await first.enqueue("org-r", "slow", { n: 40 });
    await until(async () => ((await first.get("org-r", job.id))?.progressDone ?? 0) >= 3, "progress");
    await first.stop();
    expect((await first.get("org-r", job.id))?.status).toBe("queued");
    const whileStopped = await first.enqueue("org-r", "slow", { n: 2 });

    const second = make();
    await second.start();
    await until(async () => (await second.get("org-r", job.id))?.status === "succeeded", "resumed job");
    await until(async () => (await second.get("org-r", whileStopped.id))?.status === "succeeded", "job enqueued while stopped");
    const done = await second.get("org-r", job.id);
    expect(done?.progressDone).toBe(40);
    expect((done?.result as { resumedFrom: number }).resumedFrom).toBeGreaterThan(1);
    await second.stop();
    await database.drop();
  }, 60_000);
});
