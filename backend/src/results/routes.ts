import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppDeps, AppEnv } from "../context";
import { recordAudit } from "../lib/audit";
import { ApiError, ErrorSchema, errorResponses, fieldError, zodFields } from "../lib/errors";
import { findUnstorable, unstorableReason } from "../lib/text";
import { JobSchema } from "../routes/jobs";
import {
  OUTCOMES,
  PageQuerySchema,
  ResultSchema,
  RESULTS_LIMITS,
  RunSchema,
  UploadMetadataSchema,
  UploadResponseSchema,
  WorkItemResultsSchema,
  type UploadMetadata,
} from "../schemas/results";
import { userAccess } from "./access";
import { ingestJUnit, type IngestResult, type UploadBody } from "./ingest";
import { JUnitParseError } from "./junit";
import { enqueuePush } from "./push";
import { findRun, listRunResults, listRuns, resultsForWorkItem, toRunDto } from "./store";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const RunIdParam = z.object({ id: z.uuid("must be a test run id (UUID)") });
const WorkItemParam = z.object({
  id: z.coerce
    .number("must be a work item id")
    .int("must be a work item id")
    .positive("must be a work item id")
    .max(2_147_483_647, "must be a work item id"),
});
const tooLarge = (c: Context) =>
  c.json(
    {
      error: "too_large",
      message: `The upload is larger than ${RESULTS_LIMITS.maxXmlBytes / 1024 / 1024} MB; split the JUnit report into several uploads`,
    },
    413,
  );
const busy = {
  409: json(ErrorSchema, "No active Azure DevOps connection, or already pushed"),
  429: json(ErrorSchema, "Azure DevOps is throttling"),
  502: json(ErrorSchema, "Azure DevOps could not answer"),
};
const DOC_QUERY = z.object({
  project: z.string().optional().openapi({ description: "Azure DevOps project name or id (required here or in the multipart form)" }),
  runName: z.string().optional(),
  source: z.string().optional().openapi({ description: "Where the results come from, e.g. 'Katalon', 'GitHub Actions'" }),
  workItemIds: z.string().optional().openapi({ description: "Work items to link every result to, e.g. '12,34'" }),
  push: z.string().optional().openapi({ description: "'true': also push the run to Azure Test Plans (a job)" }),
});

/**
 * A raw XML body is streamed; a multipart one is collected by the form parser, so its size is capped while
 * it arrives (a declared Content-Length over the limit is refused before reading either).
 */
const uploadLimit = (): MiddlewareHandler => {
  const capped = bodyLimit({ maxSize: RESULTS_LIMITS.maxXmlBytes + 64 * 1024, onError: tooLarge });
  return async (c, next) => {
    if ((c.req.header("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) return capped(c, next);
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > RESULTS_LIMITS.maxXmlBytes + 64 * 1024) return tooLarge(c);
    return next();
  };
};

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength) yield value;
    }
  } finally {
    // A refused upload stops reading; the rest of the body is not wanted.
    await reader.cancel().catch(() => undefined);
  }
}

/** The XML and the metadata of an upload: multipart (field `file`, metadata fields or a `metadata` JSON part) or a raw XML body. */
async function readUpload(
  c: Context<AppEnv>,
): Promise<{ body: UploadBody | undefined; fileName: string | null; meta: Record<string, unknown> }> {
  const meta: Record<string, unknown> = { ...c.req.query() };
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      throw fieldError("body", "is not a readable multipart/form-data body");
    }
    let file: File | undefined;
    let text: string | undefined;
    for (const [k, v] of Object.entries(form)) {
      const value = Array.isArray(v) ? v[0] : v;
      if (value instanceof File) {
        if (k === "file" || !file) file = value;
      } else if (k === "file") {
        // `curl -F "file=<report.xml"` sends the content as a plain field.
        text = value;
      } else if (k === "metadata") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw fieldError("metadata", "must be a JSON object");
        }
        const bad = findUnstorable(parsed);
        if (bad) throw fieldError(bad.field === "body" ? "metadata" : bad.field, bad.message);
        Object.assign(meta, parsed);
      } else {
        const why = unstorableReason(k) ?? unstorableReason(value);
        if (why) throw fieldError(unstorableReason(k) ? "body" : k, why);
        meta[k] = value;
      }
    }
    const nameWhy = file ? unstorableReason(file.name) : null;
    if (nameWhy) throw fieldError("file", `the file name ${nameWhy}`);
    // An empty file part is "empty"; no file at all is "missing".
    const body = file ? (file.size ? chunksOf(file.stream()) : new Uint8Array(0)) : text ? text : undefined;
    return { body, fileName: file?.name?.slice(0, 256) || null, meta };
  }
  if (type.startsWith("application/json") || type.startsWith("application/x-www-form-urlencoded"))
    throw fieldError("body", 'must be the JUnit XML (Content-Type application/xml) or multipart/form-data with the file in field "file"');
  return {
    body: c.req.raw.body ? chunksOf(c.req.raw.body) : undefined,
    fileName: c.req.query("fileName")?.slice(0, 256) || null,
    meta,
  };
}

/**
 * /api/results: JUnit XML uploads, stored runs and results, pushing runs to Azure Test Plans, and the
 * results linked to a work item (the work item form group). Org-scoped; what a user sees is limited
 * to projects and work items Azure DevOps lets them read.
 */
export function resultsRouter(deps: AppDeps) {
  const access = userAccess(deps);
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "post",
        path: "/junit",
        tags: ["results"],
        summary: "Upload a JUnit XML report as a test run",
        description:
          'Multipart (field "file"; metadata as fields or a "metadata" JSON part) or the raw XML body (Content-Type application/xml) with metadata in the query. ' +
          'Per-test links: <property name="workitem" value="123"/> in a testcase\'s (or suite\'s) <properties>.',
        middleware: [uploadLimit()] as const,
        request: {
          query: DOC_QUERY,
          body: {
            required: true,
            // multipart/form-data is accepted too (see the description); it is parsed by the handler, not declared
            // here, because a declared form schema would be validated before the handler could name the field.
            content: { "application/xml": { schema: z.string() } },
          },
        },
        responses: {
          201: json(UploadResponseSchema, "The stored run"),
          ...errorResponses,
          ...busy,
          413: json(ErrorSchema, "The report is too large"),
        },
      }),
      async (c) => {
        const { body, fileName, meta: raw } = await readUpload(c);
        const parsedMeta = UploadMetadataSchema.safeParse(raw);
        if (!parsedMeta.success) {
          const fields = zodFields(parsedMeta.error.issues);
          throw new ApiError(400, "validation_failed", fields.map((f) => `${f.field}: ${f.message}`).join("; "), fields);
        }
        const meta: UploadMetadata = parsedMeta.data;
        const project = await access.project(c, meta.project);
        await access.requirePublisher(c, project.id);
        const explicit = meta.workItemIds ?? [];
        if (explicit.length) {
          const readable = await access.readableWorkItems(c, explicit);
          const missing = explicit.filter((id) => !readable.has(id));
          if (missing.length) throw fieldError("workItemIds", `${missing.join(", ")}: no such work item, or you cannot read it`);
        }
        const orgId = c.get("org").id;
        const userId = c.get("user").id;
        let saved: IngestResult;
        try {
          saved = await ingestJUnit(deps, body, {
            orgId,
            project,
            createdBy: userId,
            runName: meta.runName,
            source: meta.source,
            fileName,
            workItemIds: explicit,
            readableWorkItems: (ids) => access.readableWorkItems(c, ids),
          });
        } catch (e) {
          if (!(e instanceof JUnitParseError)) throw e;
          if (e.kind === "too_large") return tooLarge(c);
          // Names the file whatever the reason (not XML, not well-formed with line and column, too deep, too many cases).
          throw fieldError(
            "file",
            e.kind === "missing" ? 'is required (the JUnit XML report, as the body or multipart field "file")' : e.message,
          );
        }
        const { report, warnings } = saved;
        await recordAudit(deps.database.db, {
          orgId,
          actorId: userId,
          action: "results.uploaded",
          targetType: "test_run",
          targetId: saved.run.id,
          details: {
            project: project.name,
            name: saved.run.name,
            total: saved.run.total,
            fileName,
            linkedWorkItems: saved.linkedWorkItems,
          },
        });
        let run = toRunDto(saved.run);
        let pushJobId: string | null = null;
        if (meta.push) {
          try {
            const pushed = await enqueuePush(deps, orgId, saved.run.id, userId);
            pushJobId = pushed.job.id;
            run = pushed.run;
          } catch (e) {
            // The results are stored either way; say why they were not pushed.
            if (!(e instanceof ApiError)) throw e;
            warnings.push(`Not pushed to Azure Test Plans: ${e.message}`);
          }
        }
        return c.json(
          {
            run,
            stats: { suites: report.stats.suites, tests: report.stats.tests, runs: report.stats.runs },
            linked: { results: saved.linkedResults, workItems: saved.linkedWorkItems },
            replacedCharacters: report.replaced,
            warnings,
            pushJobId,
          },
          201,
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/runs",
        tags: ["results"],
        request: { query: PageQuerySchema.extend({ project: z.string().trim().min(1, "is required").max(256, "is too long") }) },
        responses: {
          200: json(z.object({ runs: z.array(RunSchema), total: z.number().int() }), "A project's runs, newest first"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const project = await access.project(c, q.project);
        return c.json(await listRuns(deps, c.get("org").id, { projectId: project.id, top: q.top ?? 50, skip: q.skip ?? 0 }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/runs/{id}",
        tags: ["results"],
        request: { params: RunIdParam },
        responses: { 200: json(RunSchema, "The run"), ...errorResponses },
      }),
      async (c) => {
        const run = await findRun(deps, c.get("org").id, c.req.valid("param").id);
        await access.requireProject(c, run.projectId, "test run");
        return c.json(toRunDto(run), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/runs/{id}/results",
        tags: ["results"],
        request: {
          params: RunIdParam,
          query: PageQuerySchema.extend({ outcome: z.enum(OUTCOMES, "must be passed, failed, error or skipped").optional() }),
        },
        responses: {
          200: json(z.object({ results: z.array(ResultSchema), total: z.number().int() }), "The run's results, in file order"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const orgId = c.get("org").id;
        const { id } = c.req.valid("param");
        const q = c.req.valid("query");
        await access.requireProject(c, (await findRun(deps, orgId, id)).projectId, "test run");
        return c.json(await listRunResults(deps, orgId, id, { outcome: q.outcome, top: q.top ?? 100, skip: q.skip ?? 0 }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/runs/{id}/push",
        tags: ["results"],
        summary: "Push a run to Azure Test Plans (a job: create the test run, add results with their work items, complete it)",
        request: { params: RunIdParam },
        responses: { 202: json(z.object({ job: JobSchema, run: RunSchema }), "The push job"), ...errorResponses, ...busy },
      }),
      async (c) => {
        const orgId = c.get("org").id;
        const { id } = c.req.valid("param");
        const { projectId } = await findRun(deps, orgId, id);
        await access.requireProject(c, projectId, "test run");
        await access.requirePublisher(c, projectId);
        const { job, run } = await enqueuePush(deps, orgId, id, c.get("user").id);
        const { orgId: _o, ...dto } = job;
        return c.json({ job: dto, run }, 202);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/work-items/{id}",
        tags: ["results"],
        summary: "The test results linked to a work item, latest first",
        request: { params: WorkItemParam, query: PageQuerySchema },
        responses: {
          200: json(WorkItemResultsSchema, "Linked results with a summary of each test's latest outcome"),
          ...errorResponses,
          ...busy,
        },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const q = c.req.valid("query");
        if (!(await access.readableWorkItems(c, [id])).has(id))
          throw new ApiError(404, "not_found", `Work item ${id} does not exist or you cannot read it`);
        return c.json(await resultsForWorkItem(deps, c.get("org").id, id, { top: q.top ?? 50, skip: q.skip ?? 0 }), 200);
      },
    );
}
