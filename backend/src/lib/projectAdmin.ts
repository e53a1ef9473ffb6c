import type { Context } from "hono";
import { requireProjectAdmin } from "../auth/middleware";
import type { AppDeps, AppEnv } from "../context";
import { userAccess } from "../results/access";
import { ApiError } from "./errors";

/**
 * requireProjectAdmin, except that a project the caller cannot see at all (it does not exist, or is
 * hidden from them) is a 404 naming it, not "only project administrators".
 */
export function projectAdminCheck(deps: AppDeps) {
  const access = userAccess(deps);
  return async (c: Context<AppEnv>, projectId: string): Promise<void> => {
    try {
      await requireProjectAdmin(c, deps, projectId);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && !(await access.visibleProject(c, projectId)))
        throw new ApiError(404, "not_found", `No project "${projectId}" in this organization that you can see`);
      throw e;
    }
  };
}
