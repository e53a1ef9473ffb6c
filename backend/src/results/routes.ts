import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "../context";
import { ApiError, ErrorSchema, errorResponses } from "../lib/errors";
import { JobSchema } from "../routes/jobs";
import {
  OUTCOMES,
  PageQuerySchema,
  ResultSchema,
  RESULTS_LIMITS,
  RunSchema,
  RUN_ORIGINS,
  UploadResponseSchema,
  WorkItemTestsQuerySchema,
  WorkItemTestsSchema,
  TestHistorySchema,
  DefectFormSchema,
  CreateDefectSchema,
  CreatedDefectSchema,
  LinkDefectSchema,
  DefectSchema,
  DefectCandidateSchema,
  type Defect,
} from "../schemas/results";
import { userAccess } from "./access";
import { enqueuePush } from "./push";
import { defectService } from "./defects";
import { MULTIPART_MAX_BYTES, storeUpload } from "./upload";
import { userUploader } from "./uploaders";
import { findRun, listRunResults, listRuns, toRunDto } from "./store";
import { buildWorkItemTests, findTest, loadLatestDetails, loadTestSummaries, testHistory, withLatestDetails } from "./tests";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const RunIdParam = z.object({ id: z.uuid("must be a test run id (UUID)") });
const WorkItemParam = z.object({
  id: z.coerce
    .number("must be a work item id")
    .int("must be a work item id")
    .positive("must be a work item id")
    .max(2_147_483_647, "must be a work item id"),
});
const TestParams = WorkItemParam.extend({ key: z.string().regex(/^[0-9a-f]{64}$/, "must be a test key from the work item's tests") });
const tooLarge = (c: Context) =>
  c.json(
    {
      error: "too_large",
      message: `The upload is larger than ${RESULTS_LIMITS.maxXmlBytes / 1024 / 1024} MB; split the JUnit report into several uploads`,
    },
    413,
  );
const busy = {
  409: json(ErrorSchema, "No active Azure DevOps connection, already pushed, or a file is still being added to the run"),
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
 * Both a raw XML body and a multipart one are streamed and capped while they arrive (raw: by the parser;
 * multipart: by readUpload); a declared Content-Length over the limit is refused before reading.
 */
const uploadLimit = (): MiddlewareHandler => async (c, next) => {
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MULTIPART_MAX_BYTES) return tooLarge(c);
  return next();
};

/**
 * /api/results: JUnit XML uploads, stored runs and results, pushing runs to Azure Test Plans, and the
 * results linked to a work item (the work item form group). Org-scoped; what a user sees is limited
 * to projects and work items Azure DevOps lets them read.
 */
export function resultsRouter(deps: AppDeps) {
  const access = userAccess(deps);
  const defects = defectService(deps, access);
  const readable = async (c: Context<AppEnv>, id: number) => {
    if (!(await access.readableWorkItems(c, [id])).has(id))
      throw new ApiError(404, "not_found", `Work item ${id} does not exist or you cannot read it`);
  };
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "post",
        path: "/junit",
        tags: ["results"],
        summary: "Upload a JUnit XML report as a test run",
        description:
          'Multipart (field "file"; metadata as fields or a "metadata" JSON part) or the raw XML body (Content-Type application/xml) with metadata in the query. ' +
          'Per-test links: <property name="workitem" value="123"/> in a testcase\'s (or suite\'s) <properties>. ' +
          "CI callers authenticate without an app token: an upload key (Authorization: Bearer tok_…, its project is implied), or a pipeline job's " +
          "access token (Authorization: Bearer $(System.AccessToken)) with X-Ado-Build-Id and X-Ado-Collection-Url.",
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
        const uploader = c.get("uploader") ?? userUploader(access, c);
        return c.json(await storeUpload(deps, c, uploader), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/runs",
        tags: ["results"],
        request: {
          query: PageQuerySchema.extend({
            project: z.string().trim().min(1, "is required").max(256, "is too long"),
            origin: z.enum(RUN_ORIGINS, "must be upload, task, key or import").optional(),
          }),
        },
        responses: {
          200: json(z.object({ runs: z.array(RunSchema), total: z.number().int() }), "A project's runs, newest first"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const project = await access.project(c, q.project);
        return c.json(
          await listRuns(deps, c.get("org").id, { projectId: project.id, origin: q.origin, top: q.top ?? 50, skip: q.skip ?? 0 }),
          200,
        );
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
        const found = await findRun(deps, orgId, id);
        const uploader = c.get("uploader");
        if (uploader) {
          // A pipeline or a key pushes only the runs it sent (for a key: no Azure DevOps identity to ask).
          if (!uploader.owns(found)) throw new ApiError(404, "not_found", "No such test run in this organization");
          if (uploader.origin === "task") await access.requirePublisher(c, found.projectId);
        } else {
          await access.requireProject(c, found.projectId, "test run");
          await access.requirePublisher(c, found.projectId);
        }
        const { job, run } = await enqueuePush(deps, orgId, id, c.get("user").id);
        // A key's every use is in its audit trail, pushes included.
        await uploader?.used?.(id, { id: found.projectId, name: found.projectName });
        const { orgId: _o, ...dto } = job;
        return c.json({ job: dto, run }, 202);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/work-items/{id}",
        tags: ["results"],
        summary: "The tests linked to a work item: one row per test with its latest outcome, recent outcomes and defects",
        request: { params: WorkItemParam, query: WorkItemTestsQuerySchema },
        responses: {
          200: json(WorkItemTestsSchema, "One row per distinct test (failures first), with a summary and the pass-rate trend"),
          ...errorResponses,
          ...busy,
        },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const q = c.req.valid("query");
        await readable(c, id);
        const orgId = c.get("org").id;
        const { rows, defects: stored, trend } = await loadTestSummaries(deps, orgId, id);
        const live = await defects.withLiveState(c, stored);
        const byTest = new Map<string, Defect[]>();
        stored.forEach((d, i) => byTest.set(d.test_key, [...(byTest.get(d.test_key) ?? []), live[i]]));
        const out = buildWorkItemTests(id, rows, byTest, trend, { top: q.top ?? 50, skip: q.skip ?? 0, filter: q.filter ?? "all" });
        const details = await loadLatestDetails(
          deps,
          orgId,
          out.tests.map((t) => t.latest.resultId),
        );
        return c.json(withLatestDetails(out, details), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/work-items/{id}/tests/{key}/results",
        tags: ["results"],
        summary: "One test's history on a work item, newest first",
        request: { params: TestParams, query: PageQuerySchema },
        responses: { 200: json(TestHistorySchema, "The test's results with their runs"), ...errorResponses, ...busy },
      }),
      async (c) => {
        const { id, key } = c.req.valid("param");
        const q = c.req.valid("query");
        await readable(c, id);
        const orgId = c.get("org").id;
        const t = await findTest(deps, orgId, id, key);
        if (!t) throw new ApiError(404, "not_found", "This work item has no such test");
        return c.json(await testHistory(deps, orgId, id, key, Number(t.results), { top: q.top ?? 20, skip: q.skip ?? 0 }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/work-items/{id}/tests/{key}/defect-form",
        tags: ["results"],
        summary: "The Create defect panel for a result: the project's bug type, its required fields, prefilled values",
        request: {
          params: TestParams,
          query: z.object({ resultId: z.coerce.number("must be a result id").int().positive("must be a result id") }),
        },
        responses: { 200: json(DefectFormSchema, "Fields to fill"), ...errorResponses, ...busy },
      }),
      async (c) => {
        const { id, key } = c.req.valid("param");
        return c.json(await defects.form(c, id, key, c.req.valid("query").resultId), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/work-items/{id}/tests/{key}/defects/new",
        tags: ["results"],
        summary: "Create a defect in Azure DevOps from a result (with the user's token) and link it to the test and the work item",
        request: { params: TestParams, body: { required: true, content: { "application/json": { schema: CreateDefectSchema } } } },
        responses: {
          201: json(CreatedDefectSchema, "The new defect"),
          ...errorResponses,
          ...busy,
        },
      }),
      async (c) => {
        const { id, key } = c.req.valid("param");
        return c.json(await defects.create(c, id, key, c.req.valid("json")), 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/work-items/{id}/tests/{key}/defects",
        tags: ["results"],
        summary: "Link an existing work item of the project to the test as its defect",
        request: { params: TestParams, body: { required: true, content: { "application/json": { schema: LinkDefectSchema } } } },
        responses: { 201: json(DefectSchema, "The linked defect"), ...errorResponses, ...busy },
      }),
      async (c) => {
        const { id, key } = c.req.valid("param");
        return c.json(await defects.link(c, id, key, c.req.valid("json")), 201);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/work-items/{id}/tests/{key}/defects/{defectId}",
        tags: ["results"],
        summary: "Unlink a defect from the test",
        request: { params: TestParams.extend({ defectId: WorkItemParam.shape.id }) },
        responses: { 204: { description: "Unlinked" }, ...errorResponses, ...busy },
      }),
      async (c) => {
        const { id, key, defectId } = c.req.valid("param");
        await defects.unlink(c, id, key, defectId);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/work-items/{id}/defect-candidates",
        tags: ["results"],
        summary: "Work items of the work item's project to link as a defect: by id, or title words (WIQL), as the user sees them",
        request: {
          params: WorkItemParam,
          query: z.object({ q: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters") }),
        },
        responses: {
          200: json(z.object({ candidates: z.array(DefectCandidateSchema) }), "Matching work items"),
          ...errorResponses,
          ...busy,
        },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        return c.json({ candidates: await defects.search(c, id, c.req.valid("query").q) }, 200);
      },
    );
}
