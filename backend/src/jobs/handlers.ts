import { registerBoardsJobs } from "../boards/jobs";
import type { AppDeps } from "../context";
import { registerReposJobs } from "../repos/jobs";
import { registerImportJobs } from "../imports/engine";
import { registerResultsJobs } from "../results/push";

/** Each feature registers its job kinds here (sync engines). */
export function registerJobHandlers(deps: AppDeps): void {
  void deps;
  registerBoardsJobs(deps);
  registerReposJobs(deps);
  registerResultsJobs(deps);
  registerImportJobs(deps);
}
