import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { AdoError } from "../src/ado/errors";
import { jobs, organizations } from "../src/db/schema";
import { migrate } from "../src/db/client";
import { createJobQueue, type JobQueue } from "../src/jobs";
import { memoryLogger } from "../src/log";
import { DB_KINDS, openTestDatabase } from "./helpers";

const until = async (check: () => Promise<boolean>, what: string, ms = 10_000) => {
  for (let i = 0; i < ms / 25; i++) {
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
    let flaky = 0;
    queue.register("flaky", async (ctx) => {
      // Azure DevOps down for the first run, fine for the next.
      if (++flaky === 1) throw new AdoError("server", "Azure DevOps answered 503");
      return { attempt: ctx.attempt };
    });
    queue.register("badsql", async () => {
      await database.query("select secret_column from no_such_table where token = $1", ["s3cr3t"]);
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

  it("one job per resource is atomic: a burst of concurrent requests creates one job", async () => {
    const burst = await Promise.all(
      Array.from({ length: 15 }, () => queue.enqueue("org-a", "count", { n: 1 }, { resourceKey: "link:burst", singleton: true })),
    );
    expect(new Set(burst.map((j) => j.id)).size).toBe(1);
    await until(async () => (await queue.get("org-a", burst[0].id))?.status === "succeeded", "burst job");
    expect(await queue.list("org-a", { resourceKey: "link:burst" })).toHaveLength(1);
  });

  it("requests for a running job schedule exactly one follow-up run after it, with the latest payload", async () => {
    const first = await queue.enqueue("org-a", "gated", { gate: "f1" }, { resourceKey: "link:f", singleton: true });
    await until(async () => (await queue.get("org-a", first.id))?.status === "running", "running");
    // Three events while it runs: they cannot be folded into a run that may have read past them.
    for (const gate of ["f2", "f2", "f2"]) {
      const same = await queue.enqueue("org-a", "gated", { gate }, { resourceKey: "link:f", singleton: true });
      expect(same).toMatchObject({ id: first.id, followUpQueued: true });
    }
    // A periodic safety-net request is satisfied by the running job and adds nothing.
    expect((await queue.enqueue("org-a", "gated", { gate: "x" }, { resourceKey: "link:f", singleton: true, followUp: false })).id).toBe(
      first.id,
    );
    gates.get("f1")!();
    await until(async () => (await queue.list("org-a", { resourceKey: "link:f" })).length === 2, "follow-up");
    const followUp = (await queue.list("org-a", { resourceKey: "link:f" })).find((j) => j.id !== first.id)!;
    await until(async () => (await queue.get("org-a", followUp.id))?.status === "running", "follow-up running");
    gates.get("f2")!();
    await until(async () => (await queue.get("org-a", followUp.id))?.status === "succeeded", "follow-up done");
    expect((await queue.get("org-a", first.id))?.status).toBe("succeeded");
    expect(await queue.list("org-a", { resourceKey: "link:f" })).toHaveLength(2);
  });

  it("takes over a job whose worker died, and never hands out the dead job as it is", async () => {
    const insertOrphan = async (resourceKey: string) => {
      const id = randomUUID();
      const old = new Date(Date.now() - 120_000);
      await database.db.insert(jobs).values({
        id,
        orgId: "org-a",
        kind: "count",
        payload: { n: 2 },
        resourceKey,
        singleton: true,
        status: "running",
        attempts: 1,
        startedAt: old,
        heartbeatAt: old,
      });
      return id;
    };
    // Found by the periodic sweep (every replica runs it).
    const swept = await insertOrphan("link:dead1");
    await queue.sweep();
    await until(async () => (await queue.get("org-a", swept))?.status === "succeeded", "swept orphan");
    expect((await queue.get("org-a", swept))?.attempts).toBe(2);
    // "Sync now" on a resource whose job lost its worker: the same job, taken back and run by a live worker.
    const orphan = await insertOrphan("link:dead2");
    const again = await queue.enqueue("org-a", "count", { n: 2 }, { resourceKey: "link:dead2", singleton: true });
    expect(again).toMatchObject({ id: orphan, status: "queued" });
    await until(async () => (await queue.get("org-a", orphan))?.status === "succeeded", "taken-back orphan");
  });

  it("a live worker keeps its job (heartbeat) and a worker whose row was taken over stops touching it", async () => {
    const job = await queue.enqueue("org-a", "gated", { gate: "h1" });
    await until(async () => (await queue.get("org-a", job.id))?.status === "running", "running");
    await queue.sweep();
    expect((await queue.get("org-a", job.id))?.status).toBe("running");
    // Another worker claims it (as after a missed heartbeat): the first one's next write fails and it stops.
    await database.db.update(jobs).set({ attempts: 99 }).where(eq(jobs.id, job.id));
    gates.get("h1")!();
    await new Promise((r) => setTimeout(r, 300));
    const row = await queue.get("org-a", job.id);
    expect(row?.status).toBe("running");
    await database.db.update(jobs).set({ status: "cancelled" }).where(eq(jobs.id, job.id));
  });

  it("retries a transient failure with backoff instead of failing the job", async () => {
    const job = await queue.enqueue("org-a", "flaky", {});
    await until(async () => (await queue.get("org-a", job.id))?.nextAttemptAt != null, "retry scheduled");
    const waiting = await queue.get("org-a", job.id);
    expect(waiting).toMatchObject({ status: "queued", attempts: 1, error: "Azure DevOps answered 503" });
    expect(waiting?.message).toMatch(/^Retrying in \d+ s/);
    await until(async () => (await queue.get("org-a", job.id))?.status === "succeeded", "retried job", 15_000);
    expect(await queue.get("org-a", job.id)).toMatchObject({ attempts: 2, result: { attempt: 2 } });
  }, 30_000);

  it("a database error fails the job with a message for people; the SQL stays in the logs", async () => {
    const job = await queue.enqueue("org-a", "badsql", {});
    await until(async () => (await queue.get("org-a", job.id))?.status === "failed", "failure");
    const error = (await queue.get("org-a", job.id))?.error ?? "";
    expect(error).toContain("internal error");
    expect(error).not.toMatch(/select|no_such_table|s3cr3t|Failed query/i);
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
