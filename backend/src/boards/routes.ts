import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isAdoError } from "../ado/errors";
import { projectAdminCheck } from "../lib/projectAdmin";
import type { AppDeps, AppEnv } from "../context";
import { ApiError, errorResponses, fieldError } from "../lib/errors";
import { JobSchema } from "../routes/jobs";
import {
  AdoFieldsQuerySchema,
  AdoFieldsSchema,
  AdoIterationNodeSchema,
  AdoProjectSchema,
  AdoStateSchema,
  AdoTeamIterationSchema,
  AdoTeamSchema,
  AdoWorkItemTypesSchema,
  BoardsLinkSchema,
  LinkIdParamSchema,
  ListLinksQuerySchema,
  PlansQuerySchema,
  PlansSchema,
  PreviewBodySchema,
  PreviewResultSchema,
  SaveLinkBodySchema,
  SyncBodySchema,
} from "../schemas/boards";
import { boardsConnection, reportConnectionFailure } from "./ado";
import { createLink, enqueueSync, listLinks, loadLink, setArchived, toLink, updateLink } from "./links";
import { iterationTree, listProjects, listTeams, teamIterations, typeFields, typeStates, workItemTypes } from "./pickers";
import { getPlans } from "./plans";
import { previewSync } from "./preview";
import { validateWithAdo } from "./validate";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/json": { schema } } });
const strip = <T extends { orgId: string }>({ orgId: _orgId, ...rest }: T) => rest;

const ProjectParam = z.object({ project: z.string().min(1).max(256) });
const TeamParam = ProjectParam.extend({ team: z.string().min(1).max(256) });
const TypeParam = ProjectParam.extend({ type: z.string().min(1).max(128) });
const LinkWithJob = z.object({ link: BoardsLinkSchema, job: JobSchema.nullable() });

/**
 * Runs an ADO read for the org's connection; ADO failures become clear 4xx/502 answers (never a 500),
 * and rejected credentials are reported to the connection so the hub shows "PAT expired/revoked".
 */
async function withAdo<T>(
  deps: AppDeps,
  c: Context<AppEnv>,
  run: (client: Awaited<ReturnType<typeof boardsConnection>>["client"]) => Promise<T>,
) {
  const conn = await boardsConnection(deps, c.get("org").id);
  try {
    return await run(conn.client);
  } catch (e) {
    if (!isAdoError(e)) throw e;
    if (e.kind === "bad_credentials") await reportConnectionFailure(deps, conn, e);
    if (e.kind === "not_found") throw new ApiError(404, "ado_not_found", e.message);
    if (e.kind === "forbidden" || e.kind === "missing_scope" || e.kind === "bad_credentials")
      throw new ApiError(409, `ado_${e.kind}`, `The organization's connection cannot do this: ${e.message}`);
    if (e.kind === "bad_request") throw new ApiError(400, "ado_bad_request", e.message);
    throw new ApiError(502, "ado_unavailable", `Azure DevOps did not answer: ${e.message}`);
  }
}

/** /api/boards: ADO pickers for the wizard, Boards links (CRUD, archive, sync), preview and Plans. */
export function boardsRouter(deps: AppDeps) {
  const admin = projectAdminCheck(deps);
  return (
    new OpenAPIHono<AppEnv>()
      // ---------- pickers (filled from Azure DevOps through the org's connection) ----------
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects",
          tags: ["boards"],
          responses: { 200: json(z.object({ projects: z.array(AdoProjectSchema) }), "Projects of the organization"), ...errorResponses },
        }),
        async (c) => {
          // The connection's PAT may see projects the caller cannot: show only the caller's own.
          const [all, mine] = await Promise.all([
            withAdo(deps, c, (a) => listProjects(a)),
            deps.identity.visibleProjectIds(c.get("org").parsed, c.get("accessToken")),
          ]);
          return c.json({ projects: all.filter((p) => mine.has(p.id.toLowerCase())) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects/{project}/teams",
          tags: ["boards"],
          request: { params: ProjectParam },
          responses: { 200: json(z.object({ teams: z.array(AdoTeamSchema) }), "Teams of the project"), ...errorResponses },
        }),
        async (c) => {
          const { project } = c.req.valid("param");
          await admin(c, project);
          return c.json({ teams: await withAdo(deps, c, (a) => listTeams(a, project)) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects/{project}/iterations",
          tags: ["boards"],
          request: { params: ProjectParam },
          responses: { 200: json(z.object({ root: AdoIterationNodeSchema }), "The project's iteration tree"), ...errorResponses },
        }),
        async (c) => {
          const { project } = c.req.valid("param");
          await admin(c, project);
          return c.json({ root: await withAdo(deps, c, (a) => iterationTree(a, project)) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects/{project}/teams/{team}/iterations",
          tags: ["boards"],
          request: { params: TeamParam },
          responses: {
            200: json(z.object({ iterations: z.array(AdoTeamIterationSchema) }), "The team's iterations (team board)"),
            ...errorResponses,
          },
        }),
        async (c) => {
          const { project, team } = c.req.valid("param");
          await admin(c, project);
          return c.json({ iterations: await withAdo(deps, c, (a) => teamIterations(a, project, team)) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects/{project}/work-item-types",
          tags: ["boards"],
          request: { params: ProjectParam },
          responses: { 200: json(AdoWorkItemTypesSchema, "Requirement and bug types (by category) with their states"), ...errorResponses },
        }),
        async (c) => {
          const { project } = c.req.valid("param");
          await admin(c, project);
          return c.json(await withAdo(deps, c, (a) => workItemTypes(a, project)), 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects/{project}/work-item-types/{type}/states",
          tags: ["boards"],
          request: { params: TypeParam },
          responses: {
            200: json(z.object({ states: z.array(AdoStateSchema) }), "States of a type with their categories"),
            ...errorResponses,
          },
        }),
        async (c) => {
          const { project, type } = c.req.valid("param");
          await admin(c, project);
          return c.json({ states: await withAdo(deps, c, (a) => typeStates(a, project, type)) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/ado/projects/{project}/fields",
          tags: ["boards"],
          request: { params: ProjectParam, query: AdoFieldsQuerySchema },
          responses: { 200: json(AdoFieldsSchema, "Date fields and priority/severity values of the given types"), ...errorResponses },
        }),
        async (c) => {
          const { project } = c.req.valid("param");
          const types = c.req
            .valid("query")
            .types.split(",")
            .map((t) => t.trim())
            .filter(Boolean)
            .slice(0, 20);
          await admin(c, project);
          return c.json(await withAdo(deps, c, (a) => typeFields(a, project, types)), 200);
        },
      )
      // ---------- links ----------
      .openapi(
        createRoute({
          method: "get",
          path: "/links",
          tags: ["boards"],
          request: { query: ListLinksQuerySchema },
          responses: { 200: json(z.object({ links: z.array(BoardsLinkSchema) }), "Boards links of the organization"), ...errorResponses },
        }),
        async (c) => {
          const q = c.req.valid("query");
          return c.json({ links: await listLinks(deps, c.get("org").id, q) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/links/{id}",
          tags: ["boards"],
          request: { params: LinkIdParamSchema },
          responses: { 200: json(BoardsLinkSchema, "The link"), ...errorResponses },
        }),
        async (c) => c.json(await toLink(deps, await loadLink(deps, c.get("org").id, c.req.valid("param").id)), 200),
      )
      .openapi(
        createRoute({
          method: "post",
          path: "/links",
          tags: ["boards"],
          request: { body: body(SaveLinkBodySchema) },
          responses: {
            201: json(LinkWithJob, "Saved (Inactive); with proceed, a sync job was enqueued"),
            409: json(z.object({ error: z.string(), message: z.string() }), "A link for this project/team exists, or no Active connection"),
            ...errorResponses,
          },
        }),
        async (c) => {
          const { config, proceed } = c.req.valid("json");
          const orgId = c.get("org").id;
          await admin(c, config.project.id);
          await withAdo(deps, c, (a) => validateWithAdo(a, config));
          const row = await createLink(deps, orgId, c.get("user").id, config);
          const job = proceed ? await enqueueSync(deps, orgId, row, { actorId: c.get("user").id, full: true, reason: "proceed" }) : null;
          return c.json({ link: await toLink(deps, row), job: job && strip(job) }, 201);
        },
      )
      .openapi(
        createRoute({
          method: "put",
          path: "/links/{id}",
          tags: ["boards"],
          request: { params: LinkIdParamSchema, body: body(SaveLinkBodySchema) },
          responses: { 200: json(LinkWithJob, "Updated; with proceed, a sync job was enqueued"), ...errorResponses },
        }),
        async (c) => {
          const { config, proceed } = c.req.valid("json");
          const orgId = c.get("org").id;
          const current = await loadLink(deps, orgId, c.req.valid("param").id);
          await admin(c, current.projectId);
          if (current.projectId !== config.project.id)
            throw new ApiError(400, "validation_failed", "config.project: a link's project cannot change; create a new link", [
              { field: "config.project", message: "cannot change on an existing link; create a new link" },
            ]);
          await withAdo(deps, c, (a) => validateWithAdo(a, config));
          const row = await updateLink(deps, orgId, c.get("user").id, current.id, config);
          const job = proceed && !row.archived ? await enqueueSync(deps, orgId, row, { actorId: c.get("user").id, reason: "edit" }) : null;
          return c.json({ link: await toLink(deps, row), job: job && strip(job) }, 200);
        },
      )
      .openapi(
        createRoute({
          method: "post",
          path: "/links/{id}/archive",
          tags: ["boards"],
          request: { params: LinkIdParamSchema },
          responses: { 200: json(BoardsLinkSchema, "Archived: gone from Plans, scheduled work cancelled"), ...errorResponses },
        }),
        async (c) => {
          const orgId = c.get("org").id;
          const current = await loadLink(deps, orgId, c.req.valid("param").id);
          await admin(c, current.projectId);
          return c.json(await toLink(deps, await setArchived(deps, orgId, c.get("user").id, current.id, true)), 200);
        },
      )
      .openapi(
        createRoute({
          method: "post",
          path: "/links/{id}/unarchive",
          tags: ["boards"],
          request: { params: LinkIdParamSchema },
          responses: { 200: json(BoardsLinkSchema, "Unarchived"), ...errorResponses },
        }),
        async (c) => {
          const orgId = c.get("org").id;
          const current = await loadLink(deps, orgId, c.req.valid("param").id);
          await admin(c, current.projectId);
          return c.json(await toLink(deps, await setArchived(deps, orgId, c.get("user").id, current.id, false)), 200);
        },
      )
      .openapi(
        createRoute({
          method: "post",
          path: "/links/{id}/sync",
          tags: ["boards"],
          request: { params: LinkIdParamSchema, body: { required: false, content: { "application/json": { schema: SyncBodySchema } } } },
          responses: { 202: json(LinkWithJob.extend({ job: JobSchema }), "Sync enqueued (or the one already queued)"), ...errorResponses },
        }),
        async (c) => {
          const orgId = c.get("org").id;
          const current = await loadLink(deps, orgId, c.req.valid("param").id);
          await admin(c, current.projectId);
          // The body is optional, but a body that is not JSON is a mistake, not "no options".
          if (!/json/i.test(c.req.header("content-type") ?? "") && (await c.req.text()).trim())
            throw fieldError("body", 'must be JSON (Content-Type application/json), e.g. {"full": true}, or empty');
          const { full } = (c.req.valid("json") as { full?: boolean } | undefined) ?? {};
          const job = await enqueueSync(deps, orgId, current, { actorId: c.get("user").id, full: full ?? false });
          return c.json({ link: await toLink(deps, current), job: strip(job) }, 202);
        },
      )
      // ---------- preview and Plans ----------
      .openapi(
        createRoute({
          method: "post",
          path: "/preview",
          tags: ["boards"],
          request: { body: body(PreviewBodySchema) },
          responses: { 200: json(PreviewResultSchema, "What a sync would do (nothing is written)"), ...errorResponses },
        }),
        async (c) => {
          const { config, linkId } = c.req.valid("json");
          const orgId = c.get("org").id;
          await admin(c, config.project.id);
          // Same checks as saving: an unknown type, state or date field is a field error, not Azure DevOps' raw text.
          await withAdo(deps, c, (a) => validateWithAdo(a, config));
          const link = linkId ? await loadLink(deps, orgId, linkId) : undefined;
          if (link && link.projectId !== config.project.id)
            throw new ApiError(400, "validation_failed", "linkId: belongs to another project", [
              { field: "linkId", message: "belongs to another project" },
            ]);
          return c.json(await withAdo(deps, c, (a) => previewSync(deps, a, orgId, config, link, c.req.raw.signal)), 200);
        },
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/plans",
          tags: ["boards"],
          request: { query: PlansQuerySchema },
          responses: { 200: json(PlansSchema, "Releases and sprints with their requirements"), ...errorResponses },
        }),
        async (c) => c.json(await getPlans(deps, c.get("org").id, c.req.valid("query")), 200),
      )
  );
}
