import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { projectAdminCheck } from "../lib/projectAdmin";
import type { AppDeps, AppEnv } from "../context";
import { ApiError, ErrorSchema, errorResponses } from "../lib/errors";
import {
  CheckReposUrlSchema,
  CreateReposLinkSchema,
  ReposJobSchema,
  ReposLinkSchema,
  RepoTargetSchema,
  TestsViewSchema,
  UpdateReposLinkSchema,
} from "../schemas/repos";
import {
  archiveLink,
  assertReadableTarget,
  createLink,
  enqueueSync,
  linkDtos,
  listLinks,
  loadLink,
  resolveTarget,
  testsView,
  updateLink,
  type Actor,
} from "./service";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });
const IdParam = z.object({ id: z.uuid("must be a Repos link id (UUID)") });
const ProjectQuery = z.object({ projectId: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters") });
const more = {
  409: json(ErrorSchema, "Conflicts with another link, the link's state, or the organization connection"),
  429: json(ErrorSchema, "Azure DevOps is throttling"),
  502: json(ErrorSchema, "Azure DevOps could not answer"),
};

/**
 * /api/repos: Repos links of a project (Katalon test cases and suites synced from Azure Repos) and
 * the Tests views. Members may read; changes need a project administrator, verified with Azure DevOps.
 */
export function reposRouter(deps: AppDeps) {
  const projectAdmin = projectAdminCheck(deps);
  const admin = async (c: Context<AppEnv>, projectId: string): Promise<Actor> => {
    await projectAdmin(c, projectId);
    return {
      orgId: c.get("org").id,
      userId: c.get("user").id,
      canReadRepository: (p, r) => deps.identity.canReadRepository(c.get("org").parsed, c.get("accessToken"), p, r),
    };
  };
  const one = async (orgId: string, id: string) => (await linkDtos(deps, [await loadLink(deps, orgId, id)]))[0];

  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/links",
        tags: ["repos"],
        request: { query: ProjectQuery },
        responses: {
          200: json(
            z.object({
              links: z.array(ReposLinkSchema),
              canEdit: z.boolean().meta({ description: "Whether the caller may change these links (a project administrator)" }),
            }),
            "The project's Repos links, archived last",
          ),
          ...errorResponses,
        },
      }),
      async (c) => {
        const { projectId } = c.req.valid("query");
        const [rows, canEdit] = await Promise.all([
          listLinks(deps, c.get("org").id, projectId),
          // Lets the hub show members a read-only page. When ADO cannot tell right now, offer the actions:
          // each is checked again on its own and answers with the real reason.
          deps.identity.isProjectAdmin(c.get("org").parsed, c.get("accessToken"), projectId).catch(() => true),
        ]);
        return c.json({ links: await linkDtos(deps, rows), canEdit }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/links/check",
        tags: ["repos"],
        request: body(CheckReposUrlSchema),
        responses: { 200: json(RepoTargetSchema, "What the URL points at in Azure DevOps"), ...errorResponses, ...more },
      }),
      async (c) => {
        const input = c.req.valid("json");
        const actor = await admin(c, input.projectId);
        const target = await resolveTarget(deps, actor.orgId, input.url);
        await assertReadableTarget(actor, input.projectId, target);
        return c.json(target, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/links",
        tags: ["repos"],
        request: body(CreateReposLinkSchema),
        responses: { 201: json(ReposLinkSchema, "Saved (Inactive), or saved and syncing when sync is true"), ...errorResponses, ...more },
      }),
      async (c) => {
        const input = c.req.valid("json");
        const row = await createLink(deps, await admin(c, input.projectId), input);
        return c.json(await one(row.orgId, row.id), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/links/{id}",
        tags: ["repos"],
        request: { params: IdParam },
        responses: { 200: json(ReposLinkSchema, "The link, its last sync report and its latest job"), ...errorResponses },
      }),
      async (c) => c.json(await one(c.get("org").id, c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/links/{id}",
        tags: ["repos"],
        request: { params: IdParam, ...body(UpdateReposLinkSchema) },
        responses: { 200: json(ReposLinkSchema, "Updated"), ...errorResponses, ...more },
      }),
      async (c) => {
        const link = await loadLink(deps, c.get("org").id, c.req.valid("param").id);
        const row = await updateLink(deps, await admin(c, link.projectId), link, c.req.valid("json"));
        return c.json(await one(row.orgId, row.id), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/links/{id}/sync",
        tags: ["repos"],
        request: { params: IdParam, query: z.object({ full: z.enum(["true", "false"], "must be true or false").optional() }) },
        responses: {
          202: json(ReposJobSchema, "The sync job (the running one if a sync is already under way)"),
          ...errorResponses,
          ...more,
        },
      }),
      async (c) => {
        const link = await loadLink(deps, c.get("org").id, c.req.valid("param").id);
        const actor = await admin(c, link.projectId);
        if (link.archivedAt) throw new ApiError(409, "archived", "This Repos link is archived; unarchive it to sync");
        const j = await enqueueSync(deps, link, actor.userId, c.req.valid("query").full === "true");
        const { id, status, progressDone, progressTotal, message, error, createdAt, finishedAt } = j;
        return c.json({ id, status, progressDone, progressTotal, message, error, createdAt, finishedAt }, 202);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/links/{id}/archive",
        tags: ["repos"],
        request: { params: IdParam },
        responses: { 200: json(ReposLinkSchema, "Archived: out of the Tests views, scheduled syncs cancelled"), ...errorResponses },
      }),
      async (c) => {
        const link = await loadLink(deps, c.get("org").id, c.req.valid("param").id);
        const row = await archiveLink(deps, await admin(c, link.projectId), link, true);
        return c.json(await one(row.orgId, row.id), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/links/{id}/unarchive",
        tags: ["repos"],
        request: { params: IdParam },
        responses: { 200: json(ReposLinkSchema, "Back in the Tests views; catches up with a sync if it was syncing"), ...errorResponses },
      }),
      async (c) => {
        const link = await loadLink(deps, c.get("org").id, c.req.valid("param").id);
        const row = await archiveLink(deps, await admin(c, link.projectId), link, false);
        return c.json(await one(row.orgId, row.id), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/tests",
        tags: ["repos"],
        request: { query: ProjectQuery.extend({ linkId: z.uuid("must be a Repos link id (UUID)").optional() }) },
        responses: { 200: json(TestsViewSchema, "Test cases and suites of the project's live Repos links"), ...errorResponses },
      }),
      async (c) => {
        const q = c.req.valid("query");
        return c.json(await testsView(deps, c.get("org").id, q.projectId, q.linkId), 200);
      },
    );
}
