// What the calling user may see, asked of Azure DevOps with the user's own access token (never the
// connection's PAT): projects and work items they can read. Answers are cached a few minutes.
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { AdoClient } from "../ado/client";
import { getWorkItemsBatch } from "../ado/endpoints";
import { isAdoError } from "../ado/errors";
import type { AppDeps, AppEnv } from "../context";
import { CoalescingCache } from "../lib/cache";
import { ApiError, fieldError } from "../lib/errors";

const TTL_MS = 5 * 60_000;
const tokenHash = (c: Context<AppEnv>) => createHash("sha256").update(c.get("accessToken")).digest("hex");

function unavailable(e: unknown): never {
  if (isAdoError(e, "throttled")) throw new ApiError(429, "ado_throttled", "Azure DevOps is throttling requests; try again in a minute");
  if (isAdoError(e)) throw new ApiError(502, "ado_unavailable", `Azure DevOps could not answer: ${e.message}`);
  throw e;
}

export function userAccess(deps: AppDeps) {
  const cache = new CoalescingCache(TTL_MS);
  const cached = <T>(c: Context<AppEnv>, key: string, load: () => Promise<T>): Promise<T> => cache.get(`${tokenHash(c)}:${key}`, load);
  const client = (c: Context<AppEnv>) =>
    new AdoClient({
      org: c.get("org").parsed,
      auth: { type: "bearer", token: c.get("accessToken") },
      ...deps.ado,
      maxRetries: 1,
      timeoutMs: 15_000,
    });

  /** The project (name or id) as the user sees it, or null when it does not exist for them. */
  const lookupProject = (c: Context<AppEnv>, project: string) =>
    cached(c, `p:${project.toLowerCase()}`, async (): Promise<{ id: string; name: string } | null> => {
      try {
        const p = await client(c).get<{ id: string; name: string }>(`_apis/projects/${encodeURIComponent(project)}`);
        return { id: p.id, name: p.name };
      } catch (e) {
        if (isAdoError(e, "not_found") || isAdoError(e, "forbidden")) return null;
        unavailable(e);
      }
    });

  return {
    /** An ADO client with the user's own access token. */
    client,
    /** A lookup in `store` cached per user (access token) and coalesced. */
    cachedFor: <T>(c: Context<AppEnv>, store: CoalescingCache, key: string, load: () => Promise<T>): Promise<T> =>
      store.get(`${tokenHash(c)}:${key}`, load),
    /** For input: a 400 on `field` when the user cannot see the project. */
    project: async (c: Context<AppEnv>, project: string, field = "project") => {
      const p = await lookupProject(c, project);
      if (!p) throw fieldError(field, `"${project}" is not a project of this organization that you can see`);
      return p;
    },
    /** The project (name or id) as the user sees it, or null when it does not exist for them. */
    visibleProject: (c: Context<AppEnv>, project: string) => lookupProject(c, project),
    /** Before showing stored data of a project: 404, as if it did not exist, when the user cannot see the project. */
    requireProject: async (c: Context<AppEnv>, projectId: string, what: string) => {
      if (!(await lookupProject(c, projectId))) throw new ApiError(404, "not_found", `No such ${what} in this organization`);
    },
    /**
     * Uploading or pushing results creates test runs: Azure DevOps' "Create test runs" permission (Contributors).
     * Filing, linking and unlinking a test's defects asks the same (Readers may look, not change).
     */
    requirePublisher: async (c: Context<AppEnv>, projectId: string) => {
      if (!(await deps.identity.canPublishTestResults(c.get("org").parsed, c.get("accessToken"), projectId)))
        throw new ApiError(
          403,
          "forbidden",
          'You need Azure DevOps\' "Create test runs" permission in this project (Contributors have it) to upload or push test results, or to file, link and unlink their defects',
        );
    },
    /** The ids among `ids` that exist and the user can read. */
    readableWorkItems: (c: Context<AppEnv>, ids: number[]): Promise<Set<number>> => {
      if (!ids.length) return Promise.resolve(new Set());
      return cached(c, `w:${[...ids].sort((a, b) => a - b).join(",")}`, async () => {
        try {
          const found = await getWorkItemsBatch(client(c), ids, { fields: ["System.Id"] });
          return new Set(found.map((w) => Number(w.id)));
        } catch (e) {
          unavailable(e);
        }
      });
    },
  };
}
export type UserAccess = ReturnType<typeof userAccess>;
