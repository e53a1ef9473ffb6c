import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../context";
import { boardsLinks, reposLinks, testRuns } from "../db/schema";
import { resourceKeyOf as reposResourceKey } from "../repos/service";
import { runResourceKey } from "../results/push";
import { boardsResourceKey } from "../schemas/boards";
import { ApiError, errorResponses } from "../lib/errors";
import { importResourceKey } from "../imports/store";
import { userAccess } from "../results/access";

export const JobSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    resourceKey: z.string().nullable(),
    status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
    progressDone: z.number().int(),
    progressTotal: z.number().int().nullable(),
    message: z.string().nullable(),
    error: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    cancelRequested: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    attempts: z.number().int().openapi({ description: "Runs started so far (retries after transient faults and takeovers count)" }),
    nextAttemptAt: z.string().nullable().openapi({ description: "Queued for a retry: not before this time" }),
    followUpQueued: z.boolean().openapi({ description: "Running, and changes arrived meanwhile: one more sync starts after it" }),
  })
  .openapi("Job");
export type Job = z.infer<typeof JobSchema>;

// Keys of jobs that work on one project's link or run. The prefixes come from the features' own key builders, so
// a renamed key cannot silently skip the check.
const OWNERS = [
  { prefix: boardsResourceKey(""), table: boardsLinks },
  { prefix: reposResourceKey(""), table: reposLinks },
  { prefix: runResourceKey(""), table: testRuns },
];

/** Whether a job worked on one project's link or run (then its messages and counts are that project's data). */
const projectScoped = (resourceKey: string | null) =>
  !!resourceKey && [...OWNERS.map((o) => o.prefix), importResourceKey("")].some((p) => resourceKey.startsWith(p));

/** The project a job works on, from its resource key (a link or a run of that project); null if none or gone. */
export async function projectOfJob(deps: AppDeps, orgId: string, resourceKey: string | null): Promise<string | null> {
  // An import's key names its project.
  if (resourceKey?.startsWith(importResourceKey(""))) return resourceKey.slice(importResourceKey("").length);
  const owner = OWNERS.find((o) => resourceKey?.startsWith(o.prefix));
  if (!owner || !resourceKey) return null;
  const { table } = owner;
  const [row] = await deps.database.db
    .select({ projectId: table.projectId })
    .from(table)
    .where(and(eq(table.orgId, orgId), eq(table.id, resourceKey.slice(owner.prefix.length))))
    .limit(1);
  return row?.projectId ?? null;
}

/**
 * Who may cancel: whoever started the job, an organization administrator, or an administrator of the
 * job's project — all asked of Azure DevOps, never the page.
 */
async function requireMayCancel(deps: AppDeps, c: Context<AppEnv>, job: { createdBy: string | null; resourceKey: string | null }) {
  const user = c.get("user").id;
  if (job.createdBy && job.createdBy.toLowerCase() === user.toLowerCase()) return;
  const org = c.get("org");
  const token = c.get("accessToken");
  if (await deps.identity.isOrgAdmin(org.parsed, token)) return;
  const projectId = await projectOfJob(deps, org.id, job.resourceKey);
  if (projectId && (await deps.identity.isProjectAdmin(org.parsed, token, projectId))) return;
  throw new ApiError(
    403,
    "forbidden",
    "Only whoever started this job, an administrator of its project or an organization administrator can cancel it",
  );
}

const IdParam = z.object({ id: z.uuid("must be a job id (UUID)") });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/**
 * Progress and cancellation of background jobs (sync runs). Org-scoped: another org's job is 404, and so is a
 * job of a project the caller cannot see in Azure DevOps (its messages, errors and counts are that project's).
 */
export function jobsRouter(deps: AppDeps) {
  const strip = ({ orgId: _orgId, ...j }: Job & { orgId: string }) => j;
  const access = userAccess(deps);
  /**
   * The jobs among `list` whose project the caller can see (asked of Azure DevOps once per project, cached).
   * A job of a link or run that is gone no longer says which project it was of: only whoever started it and
   * organization administrators see it. Jobs of no project (the organization's own) are the organization's.
   */
  const visible = async <J extends { resourceKey: string | null; createdBy: string | null }>(
    c: Context<AppEnv>,
    list: J[],
  ): Promise<J[]> => {
    const orgId = c.get("org").id;
    const user = c.get("user").id.toLowerCase();
    const projects = await Promise.all(list.map((j) => projectOfJob(deps, orgId, j.resourceKey)));
    const seen = new Map<string, boolean>();
    for (const p of new Set(projects)) if (p) seen.set(p, (await access.visibleProject(c, p)) !== null);
    let orgAdmin: boolean | undefined;
    const out: J[] = [];
    for (const [i, j] of list.entries()) {
      const p = projects[i];
      if (p !== null) {
        if (seen.get(p)) out.push(j);
      } else if (!projectScoped(j.resourceKey) || j.createdBy?.toLowerCase() === user) out.push(j);
      else if ((orgAdmin ??= await deps.identity.isOrgAdmin(c.get("org").parsed, c.get("accessToken")))) out.push(j);
    }
    return out;
  };
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags: ["jobs"],
        request: { query: z.object({ resourceKey: z.string().max(200).optional() }) },
        responses: { 200: json(z.object({ jobs: z.array(JobSchema) }), "Recent jobs"), ...errorResponses },
      }),
      async (c) => {
        const jobs = await deps.jobs.list(c.get("org").id, { resourceKey: c.req.valid("query").resourceKey });
        return c.json({ jobs: (await visible(c, jobs)).map(strip) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags: ["jobs"],
        request: { params: IdParam },
        responses: { 200: json(JobSchema, "The job"), ...errorResponses },
      }),
      async (c) => {
        const job = await deps.jobs.get(c.get("org").id, c.req.valid("param").id);
        if (!job || !(await visible(c, [job])).length) throw new ApiError(404, "not_found", "No such job in this organization");
        return c.json(strip(job), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/cancel",
        tags: ["jobs"],
        request: { params: IdParam },
        responses: { 200: json(JobSchema, "The job after cancellation"), ...errorResponses },
      }),
      async (c) => {
        const orgId = c.get("org").id;
        const found = await deps.jobs.get(orgId, c.req.valid("param").id);
        if (!found || !(await visible(c, [found])).length) throw new ApiError(404, "not_found", "No such job in this organization");
        await requireMayCancel(deps, c, found);
        const job = await deps.jobs.cancel(orgId, found.id);
        if (!job) throw new ApiError(404, "not_found", "No such job in this organization");
        return c.json(strip(job), 200);
      },
    );
}
