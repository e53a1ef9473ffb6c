import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../context";
import { ApiError, errorResponses } from "../lib/errors";

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

const IdParam = z.object({ id: z.uuid("must be a job id (UUID)") });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/** Progress and cancellation of background jobs (sync runs). Org-scoped: another org's job is 404. */
export function jobsRouter(deps: AppDeps) {
  const strip = ({ orgId: _orgId, ...j }: Job & { orgId: string }) => j;
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
        return c.json({ jobs: jobs.map(strip) }, 200);
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
        if (!job) throw new ApiError(404, "not_found", "No such job in this organization");
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
        const job = await deps.jobs.cancel(c.get("org").id, c.req.valid("param").id);
        if (!job) throw new ApiError(404, "not_found", "No such job in this organization");
        return c.json(strip(job), 200);
      },
    );
}
