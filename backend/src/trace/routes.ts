import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../context";
import { ErrorSchema, errorResponses } from "../lib/errors";
import { projectAdminCheck } from "../lib/projectAdmin";
import { userAccess } from "../results/access";
import {
  CreateFromKatalonResultSchema,
  CreateFromKatalonSchema,
  GenerateResultSchema,
  GenerateSchema,
  KatalonTraceSchema,
  KatalonTracesSchema,
  LinkKatalonSchema,
  TraceViewSchema,
} from "../schemas/trace";
import { createFromKatalon, katalonTraces, linkToExisting } from "./katalon";
import { generateFromRequirements } from "./requirements";
import { toCsv, traceView } from "./view";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });
const ProjectQuery = z.object({ projectId: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters") });
const ScopeQuery = z
  .object({ releaseId: z.uuid("must be a release id (UUID)").optional(), sprintId: z.uuid("must be a sprint id (UUID)").optional() })
  .refine((v) => !!v.releaseId !== !!v.sprintId, { path: ["sprintId"], message: "give exactly one of releaseId or sprintId" });
const more = {
  409: json(ErrorSchema, "No active organization connection, already linked, or no Boards link"),
  429: json(ErrorSchema, "Azure DevOps is throttling"),
  502: json(ErrorSchema, "Azure DevOps could not answer"),
};

/**
 * /api/trace: requirement ⇄ test case ⇄ automated (Katalon) test ⇄ results. Members read (the projects they can
 * see); changes need a project administrator, verified with Azure DevOps.
 */
export function traceRouter(deps: AppDeps) {
  const projectAdmin = projectAdminCheck(deps);
  const access = userAccess(deps);
  const canEdit = (c: Context<AppEnv>, projectId: string) =>
    deps.identity.isProjectAdmin(c.get("org").parsed, c.get("accessToken"), projectId).catch(() => true);

  const view = async (c: Context<AppEnv>, q: { releaseId?: string; sprintId?: string }) => {
    const v = await traceView(deps, c.get("org").id, q, false);
    await access.requireProject(c, v.projectId, "release or sprint");
    const { projectId, ...rest } = v;
    return { ...rest, canEdit: await canEdit(c, projectId) };
  };

  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/katalon",
        tags: ["trace"],
        request: { query: ProjectQuery },
        responses: {
          200: json(KatalonTracesSchema, "The project's Katalon test cases linked to Test Cases, deleted ones included"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const { projectId } = c.req.valid("query");
        await access.requireProject(c, projectId, "project");
        const [links, edit] = await Promise.all([katalonTraces(deps, c.get("org").id, projectId), canEdit(c, projectId)]);
        return c.json({ links, canEdit: edit }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/katalon/link",
        tags: ["trace"],
        request: body(LinkKatalonSchema),
        responses: { 200: json(KatalonTraceSchema, "Linked; the association is written on the Test Case"), ...errorResponses, ...more },
      }),
      async (c) => {
        const input = c.req.valid("json");
        await projectAdmin(c, input.projectId);
        return c.json(await linkToExisting(deps, c.get("org").id, c.get("user").id, input), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/katalon/create",
        tags: ["trace"],
        request: body(CreateFromKatalonSchema),
        responses: {
          200: json(CreateFromKatalonResultSchema, "Test Cases created (those already linked are left alone)"),
          ...errorResponses,
          ...more,
        },
      }),
      async (c) => {
        const input = c.req.valid("json");
        await projectAdmin(c, input.projectId);
        return c.json(await createFromKatalon(deps, c.get("org").id, c.get("user").id, input), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/generate",
        tags: ["trace"],
        request: body(GenerateSchema),
        responses: {
          200: json(GenerateResultSchema, "Test cases generated from requirements (running it again creates nothing new)"),
          ...errorResponses,
          ...more,
        },
      }),
      async (c) => {
        const input = c.req.valid("json");
        await projectAdmin(c, input.projectId);
        return c.json(await generateFromRequirements(deps, c.get("org").id, c.get("user").id, input), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/view",
        tags: ["trace"],
        request: { query: ScopeQuery },
        responses: {
          200: json(TraceViewSchema, "Requirements × test cases × latest result of a release or sprint, with gaps"),
          ...errorResponses,
        },
      }),
      async (c) => c.json(await view(c, c.req.valid("query")), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/view.csv",
        tags: ["trace"],
        request: { query: ScopeQuery },
        responses: {
          200: { description: "The same as CSV (one line per requirement × test case)", content: { "text/csv": { schema: z.string() } } },
          ...errorResponses,
        },
      }),
      async (c) => {
        const v = await view(c, c.req.valid("query"));
        const file = `traceability-${v.scope.name.replace(/[^A-Za-z0-9._-]+/g, "-")}.csv`;
        return c.body(toCsv(v), 200, {
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="${file}"`,
        });
      },
    );
}
