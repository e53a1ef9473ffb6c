// Changes that service hooks can publish. Emitted by API handlers and by the Simulator helpers alike.
import type { GitPushRecord, GitRepo } from "./gitstore";
import type { Org, Project } from "./state";
import type { Revision } from "./workitems";

export type WorkItemEventType = "workitem.created" | "workitem.updated" | "workitem.deleted" | "workitem.restored";

export interface WorkItemEvent {
  type: WorkItemEventType;
  org: Org;
  project: Project;
  id: number;
  /** The revision before the change (updated only). */
  previous?: Revision;
  revision: Revision;
  byUserId: string;
}

export interface GitPushEvent {
  type: "git.push";
  org: Org;
  project: Project;
  repo: GitRepo;
  push: GitPushRecord;
}

export type SimEvent = WorkItemEvent | GitPushEvent;
