// The typed in-memory model: orgs → projects, users, PATs, work items, repos, hooks, test runs.
// Modules read and change it directly; HTTP handlers only translate to/from ADO JSON.
import type { GitRepo } from "./gitstore";
import type { HookState } from "./hooks";
import type { BuildState } from "./builds";
import type { TestState } from "./testruns";
import type { WorkItemStore } from "./workitems";

export interface User {
  id: string;
  displayName: string;
  uniqueName: string; // e-mail
  descriptor: string;
}

export interface Membership {
  userId: string;
  /** Project Collection Administrators. */
  collectionAdmin: boolean;
  /** Project ids where the user is a Project Administrator. */
  projectAdmins: Set<string>;
  /**
   * Project ids the user is a member of. Absent: every project (what the demo seed gives its users).
   * Like Azure DevOps, a project the user is not a member of does not exist for them (404 TF200016),
   * unless they are a Project Collection Administrator.
   */
  projects?: Set<string>;
  /** Project ids where the user is only in Readers: no "Create test runs" and no other write. */
  readerOf?: Set<string>;
}

export interface Pat {
  token: string;
  name: string;
  userId: string;
  /** Organization name (lower case) the PAT is valid for; null = all the user's orgs. */
  org: string | null;
  /** e.g. ["vso.work_write", "vso.code"]; "app_token" = full access. */
  scopes: string[];
  validTo: Date;
  revoked: boolean;
}

export interface AccessToken {
  token: string;
  userId: string;
  org: string;
  validTo: Date;
  /**
   * The scopes of the extension that asked for it (its manifest's `scopes`): Azure DevOps limits an
   * extension's access token to them. Absent: every scope (tests that stand in for a full session).
   */
  scopes?: string[];
  /** A pipeline job's access token (System.AccessToken): the build it was issued for. */
  buildId?: number;
}

export interface ClassNode {
  id: number;
  identifier: string;
  name: string;
  structureType: "iteration" | "area";
  startDate?: string;
  finishDate?: string;
  children: ClassNode[];
}

export interface Team {
  id: string;
  name: string;
  description: string;
  /** Identifiers (GUIDs) of the iteration nodes the team has selected. */
  iterationIds: string[];
}

export interface Project {
  id: string;
  name: string;
  description: string;
  processName: string;
  state: "wellFormed";
  visibility: "private" | "public";
  revision: number;
  lastUpdateTime: string;
  teams: Team[];
  iterations: ClassNode;
  areas: ClassNode;
  repos: GitRepo[];
}

export interface Org {
  id: string; // instanceId / collection id
  accountId: string;
  name: string;
  /** Azure DevOps Services (default) or an on-premises Azure DevOps Server collection. */
  deployment?: "services" | "server";
  members: Map<string, Membership>;
  projects: Project[];
  workItems: WorkItemStore;
  hooks: HookState;
  test: TestState;
  builds: BuildState;
  nextNodeId: number;
}

export interface SimState {
  orgs: Map<string, Org>;
  users: Map<string, User>;
  pats: Map<string, Pat>;
  accessTokens: Map<string, AccessToken>;
}

export function newState(): SimState {
  return { orgs: new Map(), users: new Map(), pats: new Map(), accessTokens: new Map() };
}

export function findOrg(state: SimState, name: string): Org | undefined {
  return state.orgs.get(name.toLowerCase());
}

/** Projects are addressable by id or (case-insensitive) name. */
export function findProject(org: Org, idOrName: string): Project | undefined {
  const k = idOrName.toLowerCase();
  return org.projects.find((p) => p.id === k || p.name.toLowerCase() === k);
}

export function findTeam(project: Project, idOrName: string): Team | undefined {
  const k = idOrName.toLowerCase();
  return project.teams.find((t) => t.id === k || t.name.toLowerCase() === k);
}

export function projectById(org: Org, id: string): Project | undefined {
  return org.projects.find((p) => p.id === id);
}

/** Walks a classification tree, yielding nodes with their path segments below the root. */
export function* walkNodes(root: ClassNode, parents: string[] = []): Generator<[ClassNode, string[]]> {
  yield [root, parents];
  for (const c of root.children) yield* walkNodes(c, [...parents, root.name]);
}

/** "Proj\\Release 1\\Sprint 1" (the System.IterationPath form) for every node. */
export function nodePaths(root: ClassNode): { node: ClassNode; path: string }[] {
  const out: { node: ClassNode; path: string }[] = [];
  for (const [n, parents] of walkNodes(root)) out.push({ node: n, path: [...parents, n.name].join("\\") });
  return out;
}

export function findNodeByPath(root: ClassNode, path: string): ClassNode | undefined {
  const want = path.replace(/^\\+/, "").toLowerCase();
  return nodePaths(root).find((x) => x.path.toLowerCase() === want)?.node;
}
