import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { requireProjectAdmin } from "../auth/middleware";
import type { AppDeps, AppEnv } from "../context";
import { recordAudit } from "../lib/audit";
import { ApiError, errorResponses } from "../lib/errors";
import { projectAdminCheck } from "../lib/projectAdmin";
import { userAccess } from "../results/access";
import { JobSchema } from "../routes/jobs";
import { IMPORT_DEFAULT_DAYS, ImportSettingsSchema, SetImportSchema, type ImportSettings } from "../schemas/imports";
import { getActiveConnection } from "../connections/service";
import { enqueueImport } from "./engine";
import { findImport, importResourceKey, setImport, type ImportRow } from "./store";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function toDto(project: { id: string; name: string }, row: ImportRow | undefined, jobId: string | null, canEdit: boolean): ImportSettings {
  return {
    projectId: project.id,
    projectName: project.name,
    enabled: row?.enabled ?? false,
    cursorAt: iso(row?.cursorAt),
    lastImportAt: iso(row?.lastImportAt),
    lastError: row?.lastError ?? null,
    importedRuns: row?.importedRuns ?? 0,
    skippedRuns: row?.skippedRuns ?? 0,
    updatedBy: row?.updatedBy ?? null,
    updatedAt: iso(row?.updatedAt),
    jobId,
    canEdit,
  };
}

/** /api/imports: the per-project "import pipeline test runs" switch, its state, and "Import now". */
export function importsRouter(deps: AppDeps) {
  const access = userAccess(deps);
  const requireAdmin = projectAdminCheck(deps);
  const activeJob = async (orgId: string, projectId: string) => {
    const jobs = await deps.jobs.list(orgId, { resourceKey: importResourceKey(projectId), limit: 1 });
    const j = jobs[0];
    return j && (j.status === "queued" || j.status === "running") ? j.id : null;
  };
  const canEdit = (c: Parameters<typeof requireProjectAdmin>[0], projectId: string) =>
    requireProjectAdmin(c, deps, projectId).then(
      () => true,
      (e) => {
        if (e instanceof ApiError && e.status === 403) return false;
        throw e;
      },
    );
  return new OpenAPIHono<AppEnv>()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags: ["imports"],
        request: { query: z.object({ project: z.string().trim().min(1, "is required").max(256, "is too long") }) },
        responses: { 200: json(ImportSettingsSchema, "The project's import of pipeline test runs"), ...errorResponses },
      }),
      async (c) => {
        const project = await access.project(c, c.req.valid("query").project);
        const orgId = c.get("org").id;
        return c.json(
          toDto(project, await findImport(deps, orgId, project.id), await activeJob(orgId, project.id), await canEdit(c, project.id)),
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/",
        tags: ["imports"],
        summary: "Turn the import of pipeline test runs on or off (on: an import starts now)",
        request: { body: { required: true, content: { "application/json": { schema: SetImportSchema } } } },
        responses: { 200: json(ImportSettingsSchema, "The new settings"), ...errorResponses },
      }),
      async (c) => {
        const input = c.req.valid("json");
        const project = await access.project(c, input.project);
        await requireAdmin(c, project.id);
        const orgId = c.get("org").id;
        const userId = c.get("user").id;
        const before = await findImport(deps, orgId, project.id);
        const row = await setImport(deps, {
          orgId,
          project,
          enabled: input.enabled,
          sinceDays: input.sinceDays ?? IMPORT_DEFAULT_DAYS,
          by: userId,
        });
        if ((before?.enabled ?? false) !== input.enabled)
          await recordAudit(deps.database.db, {
            orgId,
            actorId: userId,
            action: input.enabled ? "results_import.enabled" : "results_import.disabled",
            targetType: "results_import",
            targetId: project.id,
            details: { project: project.name, from: row.cursorAt.toISOString() },
          });
        let jobId: string | null = null;
        if (input.enabled && (await getActiveConnection(deps, orgId))) jobId = (await enqueueImport(deps, orgId, project.id, userId)).id;
        else if (!input.enabled) await deps.jobs.cancelResource(orgId, importResourceKey(project.id));
        return c.json(toDto(project, (await findImport(deps, orgId, project.id)) ?? row, jobId, true), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/run",
        tags: ["imports"],
        summary: "Import now (the project's import must be on)",
        request: {
          body: { required: true, content: { "application/json": { schema: z.object({ project: SetImportSchema.shape.project }) } } },
        },
        responses: {
          202: json(z.object({ job: JobSchema }), "The import job"),
          409: json(z.object({ error: z.string(), message: z.string() }), "Off, or no connection"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const project = await access.project(c, c.req.valid("json").project);
        await requireAdmin(c, project.id);
        const orgId = c.get("org").id;
        const row = await findImport(deps, orgId, project.id);
        if (!row?.enabled) throw new ApiError(409, "import_off", 'Turn on "Import pipeline test runs" for this project first');
        if (!(await getActiveConnection(deps, orgId)))
          throw new ApiError(
            409,
            "no_connection",
            "This organization has no active Azure DevOps connection: connect the organization first",
          );
        const { orgId: _o, ...job } = await enqueueImport(deps, orgId, project.id, c.get("user").id);
        return c.json({ job }, 202);
      },
    );
}
