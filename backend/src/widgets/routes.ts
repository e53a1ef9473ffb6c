import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isAdoError } from "../ado/errors";
import type { AppDeps, AppEnv } from "../context";
import { CoalescingCache } from "../lib/cache";
import { ApiError, ErrorSchema, errorResponses, fieldError } from "../lib/errors";
import { userAccess } from "../results/access";
import {
  CoverageQuerySchema,
  CoverageSchema,
  FlakyQuerySchema,
  FlakySchema,
  PassRateQuerySchema,
  PassRateSchema,
} from "../schemas/widgets";
import {
  coverageCounts,
  findLink,
  flakyTests,
  iterationById,
  linkRef,
  passRatePoints,
  sprintAt,
  sprintByPath,
  widgetStatus,
  type Iteration,
  type LinkRow,
} from "./store";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const ado = {
  429: json(ErrorSchema, "Azure DevOps is throttling"),
  502: json(ErrorSchema, "Azure DevOps could not answer"),
};
/** A team's current iteration changes once a sprint: asked of Azure DevOps at most every few minutes per user. */
const CURRENT_TTL_MS = 5 * 60_000;

/**
 * /api/widgets: the data calls of the dashboard widgets (issue #20). Same auth as the hub's pages; a
 * widget shows stored data only of a project the user can read (404 otherwise, as if it did not exist).
 */
export function widgetsRouter(deps: AppDeps) {
  const access = userAccess(deps);
  const currentCache = new CoalescingCache(CURRENT_TTL_MS);
  const orgId = (c: Context<AppEnv>) => c.get("org").id;

  const readableProject = async (c: Context<AppEnv>, project: string) => {
    const p = await access.visibleProject(c, project);
    if (!p) throw new ApiError(404, "not_found", `project: "${project}" is not a project of this organization that you can see`);
    return p;
  };
  /** The link, of this organization (and project), whose project the user can read. */
  const readableLink = async (c: Context<AppEnv>, linkId: string, projectId?: string): Promise<LinkRow> => {
    const link = await findLink(deps, orgId(c), linkId);
    const notFound = () =>
      new ApiError(404, "not_found", "linkId: no such Boards link in this organization", [
        { field: "linkId", message: "no such Boards link" },
      ]);
    if (!link) throw notFound();
    if (projectId && link.projectId.toLowerCase() !== projectId.toLowerCase())
      throw fieldError("linkId", "is a Boards link of another project");
    if (!projectId && !(await access.visibleProject(c, link.projectId))) throw notFound();
    return link;
  };

  /** The team's current iteration path, asked with the user's own token; null when the team has none. */
  const teamCurrentPath = (c: Context<AppEnv>, projectId: string, team: string) =>
    access.cachedFor(c, currentCache, `${projectId}:${team.toLowerCase()}`, async (): Promise<{ found: boolean; path: string | null }> => {
      try {
        const res = await access.client(c).get<{
          value?: { path?: unknown }[];
        }>(`${encodeURIComponent(projectId)}/${encodeURIComponent(team)}/_apis/work/teamsettings/iterations`, { query: { $timeframe: "current" } });
        const path = (res.value ?? [])
          .map((i) => i.path)
          .find((p): p is string => typeof p === "string" && p.length > 0 && p.length <= 4000);
        return { found: true, path: path ?? null };
      } catch (e) {
        if (isAdoError(e, "not_found") || isAdoError(e, "forbidden")) return { found: false, path: null };
        if (isAdoError(e, "throttled"))
          throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
        if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Azure DevOps could not answer: ${e.message}`);
        throw e;
      }
    });

  /** "current": the team's current iteration as one of the link's sprints, else the sprint whose dates hold today. */
  const currentIteration = async (c: Context<AppEnv>, link: LinkRow, team: string | undefined): Promise<Iteration | null> => {
    const teamOf = team ?? link.teamId ?? undefined;
    if (teamOf) {
      const cur = await teamCurrentPath(c, link.projectId, teamOf);
      if (cur.found) return cur.path ? sprintByPath(deps, link.id, link.projectName, cur.path) : null;
      // The dashboard named a team the user cannot see; the link's own team may have been deleted since.
      if (team !== undefined) throw fieldError("team", `"${team}" is not a team of ${link.projectName} that you can see`);
    }
    return sprintAt(deps, link.id, new Date());
  };

  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/pass-rate",
        tags: ["widgets"],
        summary: "Test pass rate trend: counts per run over the project's last runs",
        request: { query: PassRateQuerySchema },
        responses: { 200: json(PassRateSchema, "Oldest run first"), ...errorResponses, ...ado },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const project = await readableProject(c, q.project);
        const link = q.linkId ? await readableLink(c, q.linkId, project.id) : null;
        const [status, points] = await Promise.all([
          widgetStatus(deps, orgId(c), project.id),
          passRatePoints(deps, orgId(c), {
            projectId: project.id,
            runs: q.runs,
            origin: q.origin,
            linkId: link?.id,
            pathPrefix: q.pathPrefix,
          }),
        ]);
        return c.json({ status, project, link: link && linkRef(link), points }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/coverage",
        tags: ["widgets"],
        summary: "Requirement coverage of a Boards link's sprint or release",
        request: { query: CoverageQuerySchema },
        responses: { 200: json(CoverageSchema, "Requirements by their tests' latest outcomes"), ...errorResponses, ...ado },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const link = await readableLink(c, q.linkId);
        let iteration: Iteration | null;
        if (q.scope === "current") iteration = await currentIteration(c, link, q.team);
        else {
          if (!q.iterationId) throw fieldError("iterationId", `is required with scope "${q.scope}"`);
          iteration = await iterationById(deps, link.id, q.scope, q.iterationId);
          if (!iteration) throw fieldError("iterationId", `is not a ${q.scope} of this Boards link`);
        }
        const [status, counts] = await Promise.all([
          widgetStatus(deps, orgId(c), link.projectId),
          iteration
            ? coverageCounts(deps, orgId(c), link.id, iteration)
            : { requirements: 0, tested: 0, passing: 0, failing: 0, notTested: 0, failingWithoutDefect: 0 },
        ]);
        return c.json({ status, link: linkRef(link), iteration, ...counts }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/flaky",
        tags: ["widgets"],
        summary: "Flaky and failing tests: the top tests by failures or flips in their last results, with their defects",
        request: { query: FlakyQuerySchema },
        responses: { 200: json(FlakySchema, "Most failing (or flaky) first"), ...errorResponses, ...ado },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const project = await readableProject(c, q.project);
        const link = q.linkId ? await readableLink(c, q.linkId, project.id) : null;
        const [status, tests] = await Promise.all([
          widgetStatus(deps, orgId(c), project.id),
          flakyTests(deps, orgId(c), { projectId: project.id, linkId: link?.id, top: q.top, by: q.by, window: q.runs }),
        ]);
        return c.json({ status, project, link: link && linkRef(link), tests }, 200);
      },
    );
}
