// The demo seed: organization fabrikam (one project per process + a customized one) and contoso
// (for isolation tests), users with roles, well-known PATs, iteration trees, areas, teams, work items
// and repos. Deterministic for a given seed and clock.
import { addPat } from "../auth";
import type { SimCore } from "../core-types";
import { GitRepo } from "../gitstore";
import { newHookState } from "../hooks";
import { guidFor, hash32 } from "../prng";
import type { ClassNode, Org, Project, SimState, Team, User } from "../state";
import { newBuildState } from "../builds";
import { newTestState } from "../testruns";
import { WorkItemStore } from "../workitems";
import { generateKatalonProject, readKatalonFixture } from "./katalon";
import { generateWorkItems } from "./workitems";

export interface OrgSeed {
  name: string;
  /** An on-premises Azure DevOps Server collection instead of a Services organization. */
  server?: boolean;
  projects?: { name: string; process: string; description?: string }[];
  workItems?: number;
}

export interface SeedOptions {
  /** Organizations to create (default: fabrikam + contoso demo orgs). */
  orgs?: OrgSeed[];
  /** Number of generated work items in the first organization (default 300). */
  workItems?: number;
  /** Seed the "katalon-ci-samples" repo from the shared fixture (default true). */
  katalonRepos?: boolean;
  /** Also seed a generated Katalon project repo "katalon-generated". */
  generatedKatalon?: { testCases: number; traps?: boolean };
  /** PRNG seed (default 42). */
  seed?: number;
}

/** Well-known PATs of the demo seed (Basic auth: any user name, PAT as password). */
export const DEMO_PATS = {
  /** Ada Admin (collection admin in fabrikam), every scope. */
  admin: "simadminpat000000000000000000000000000000000000000a",
  /** Ada Admin, full access ("app_token"). */
  fullAccess: "simfullaccesspat00000000000000000000000000000000000a",
  /** Ada Admin, read only: vso.work, vso.code, vso.project (no write, no test, no hooks). */
  readOnly: "simreadonlypat0000000000000000000000000000000000000a",
  /** Mo Member (plain member, no admin role), every scope. */
  member: "simmemberpat00000000000000000000000000000000000000a",
  /** Priya Lead (project admin of "Fabrikam Fiber" only), every scope. */
  projectAdmin: "simprojectadminpat0000000000000000000000000000000000",
  /** Ada Admin, expired yesterday. */
  expired: "simexpiredpat0000000000000000000000000000000000000a",
  /** Ada Admin, revoked. */
  revoked: "simrevokedpat0000000000000000000000000000000000000a",
  /** Connie Contoso (collection admin in contoso only), every scope. */
  contoso: "simcontosopat0000000000000000000000000000000000000a",
} as const;

const FULL_SCOPES = [
  "vso.profile",
  "vso.project_write",
  "vso.work_write",
  "vso.code_write",
  "vso.test_write",
  "vso.analytics",
  "vso.hooks_write",
  "vso.build",
  "vso.identity",
  "vso.graph",
  "vso.security_manage",
];

function makeUser(name: string, email: string): User {
  const id = guidFor(`user:${email}`);
  return { id, displayName: name, uniqueName: email, descriptor: `aad.${Buffer.from(id).toString("base64").replace(/=+$/, "")}` };
}

export const DEMO_USERS = {
  admin: makeUser("Ada Admin", "ada.admin@fabrikam.com"),
  member: makeUser("Mo Member", "mo.member@fabrikam.com"),
  projectAdmin: makeUser("Priya Lead", "priya.lead@fabrikam.com"),
  contosoAdmin: makeUser("Connie Contoso", "connie@contoso.com"),
};

const EXTRA_USERS = [
  makeUser("Jamal Hartnett", "jamal.hartnett@fabrikam.com"),
  makeUser("Christie Church", "christie.church@fabrikam.com"),
  makeUser("Raisa Pokrovskaya", "raisa.pokrovskaya@fabrikam.com"),
  makeUser("Johnnie McLeod", "johnnie.mcleod@fabrikam.com"),
  makeUser("Chuck Reinhart", "chuck.reinhart@fabrikam.com"),
];
const CONTOSO_USERS = [makeUser("Dana Developer", "dana@contoso.com")];

export const DEMO_ORGS: OrgSeed[] = [
  {
    name: "fabrikam",
    projects: [
      { name: "Fabrikam Fiber", process: "Agile", description: "Field service app for Fabrikam Fiber (Agile)." },
      { name: "Scrum Project", process: "Scrum", description: "A Scrum process project." },
      { name: "CMMI Project", process: "CMMI", description: "A CMMI process project." },
      { name: "Basic Project", process: "Basic", description: "A Basic process project." },
      { name: "Custom Project", process: "Custom Agile", description: "Inherited from Agile, with renamed states and a custom field." },
    ],
  },
  { name: "contoso", projects: [{ name: "Contoso Web", process: "Agile", description: "Contoso's web shop." }], workItems: 40 },
];

const DAY = 86_400_000;
const day = (t: number) => new Date(Math.floor(t / DAY) * DAY).toISOString().replace(".000Z", "Z");

function node(
  org: Org,
  projectId: string,
  type: "iteration" | "area",
  name: string,
  path: string,
  children: ClassNode[] = [],
  dates?: [number, number],
): ClassNode {
  const n: ClassNode = { id: org.nextNodeId++, identifier: guidFor(`${projectId}/${type}/${path}`), name, structureType: type, children };
  if (dates) {
    n.startDate = day(dates[0]);
    n.finishDate = day(dates[1]);
  }
  return n;
}

function buildIterations(org: Org, p: Project, now: number): ClassNode {
  // Two-week sprints; Sprint 4 is current. Release 3 and Backlog have no dates (as real trees often do).
  const monday = Math.floor(now / DAY) * DAY - ((new Date(now).getUTCDay() + 6) % 7) * DAY;
  const sprint = (n: number) => [monday + (n - 4) * 14 * DAY, monday + (n - 4) * 14 * DAY + 11 * DAY] as [number, number];
  const sprints = (from: number, to: number, release: string, dated: boolean) => {
    const out: ClassNode[] = [];
    for (let i = from; i <= to; i++)
      out.push(node(org, p.id, "iteration", `Sprint ${i}`, `${release}\\Sprint ${i}`, [], dated ? sprint(i) : undefined));
    return out;
  };
  const r1 = node(org, p.id, "iteration", "Release 1", "Release 1", sprints(1, 3, "Release 1", true), [sprint(1)[0], sprint(3)[1]]);
  const r2 = node(org, p.id, "iteration", "Release 2", "Release 2", sprints(4, 6, "Release 2", true), [sprint(4)[0], sprint(6)[1]]);
  const r3 = node(org, p.id, "iteration", "Release 3", "Release 3", sprints(7, 8, "Release 3", false));
  const backlog = node(org, p.id, "iteration", "Backlog", "Backlog");
  return node(org, p.id, "iteration", p.name, "", [r1, r2, r3, backlog]);
}

function buildAreas(org: Org, p: Project): ClassNode {
  const web = node(org, p.id, "area", "Web", "Web", [node(org, p.id, "area", "Checkout", "Web\\Checkout")]);
  return node(org, p.id, "area", p.name, "", [web, node(org, p.id, "area", "Mobile", "Mobile"), node(org, p.id, "area", "API", "API")]);
}

function leafIterations(root: ClassNode): ClassNode[] {
  const out: ClassNode[] = [];
  const walk = (n: ClassNode) => (n.children.length ? n.children.forEach(walk) : out.push(n));
  root.children.forEach(walk);
  return out;
}

export function newOrg(name: string): Org {
  const org = {
    id: guidFor(`org:${name.toLowerCase()}`),
    accountId: guidFor(`account:${name.toLowerCase()}`),
    name,
    members: new Map(),
    projects: [],
    hooks: newHookState(),
    test: newTestState(),
    builds: newBuildState(),
    nextNodeId: 1000,
  } as unknown as Org;
  org.workItems = new WorkItemStore(org);
  return org;
}

export function addProject(org: Org, name: string, processName: string, description: string, now: number): Project {
  const id = guidFor(`${org.name.toLowerCase()}/project/${name}`);
  const p: Project = {
    id,
    name,
    description,
    processName,
    state: "wellFormed",
    visibility: "private",
    revision: 100 + org.projects.length,
    lastUpdateTime: day(now - 30 * DAY),
    teams: [],
    iterations: undefined as unknown as ClassNode,
    areas: undefined as unknown as ClassNode,
    repos: [],
  };
  p.iterations = buildIterations(org, p, now);
  p.areas = buildAreas(org, p);
  const leaves = leafIterations(p.iterations);
  const team = (tname: string, iterations: ClassNode[]): Team => ({
    id: guidFor(`${id}/team/${tname}`),
    name: tname,
    description: `The ${tname}`,
    iterationIds: iterations.map((n) => n.identifier),
  });
  p.teams.push(team(`${name} Team`, leaves));
  if (name === "Fabrikam Fiber") {
    p.teams.push(
      team(
        "Web Team",
        leaves.filter((n) => /Sprint [456]$/.test(n.name)),
      ),
    );
    p.teams.push(
      team(
        "Mobile Team",
        leaves.filter((n) => /Sprint [123]$/.test(n.name)),
      ),
    );
  }
  org.projects.push(p);
  return p;
}

function addMember(state: SimState, org: Org, u: User, role: { collectionAdmin?: boolean; projectAdminOf?: string[] } = {}) {
  state.users.set(u.id, u);
  org.members.set(u.id, { userId: u.id, collectionAdmin: !!role.collectionAdmin, projectAdmins: new Set(role.projectAdminOf ?? []) });
}

function readme(p: Project): string {
  return `# ${p.name}\n\nDefault repository of the ${p.name} project (${p.processName} process).\n`;
}

function addRepo(
  core: SimCore,
  p: Project,
  name: string,
  files: Map<string, string | Uint8Array>,
  comment: string,
  by: User,
  when: number,
): GitRepo {
  const repo = new GitRepo(guidFor(`${p.id}/repo/${name}`), name, p.id);
  if (files.size) {
    const commit = repo.commitChanges(
      undefined,
      [...files].map(([path, content]) => ({ path, content, changeType: "add" as const })),
      { comment, author: { name: by.displayName, email: by.uniqueName, date: new Date(when).toISOString().replace(".000Z", "Z") } },
    );
    repo.refs.set(repo.defaultBranch, commit);
  }
  p.repos.push(repo);
  return repo;
}

/** Builds the whole demo (or custom) world into an empty state. */
export function seedState(core: SimCore, opts: SeedOptions = {}): void {
  const state = core.state;
  const now = core.clock().getTime();
  const seed = opts.seed ?? 42;
  const orgs = opts.orgs ?? DEMO_ORGS;
  orgs.forEach((os, orgIndex) => {
    const org = newOrg(os.name);
    if (os.server) org.deployment = "server";
    state.orgs.set(os.name.toLowerCase(), org);
    for (const pr of os.projects ?? [{ name: `${os.name} Project`, process: "Agile" }])
      addProject(org, pr.name, pr.process, pr.description ?? "", now);
    const isContoso = os.name.toLowerCase() === "contoso";
    if (isContoso) {
      addMember(state, org, DEMO_USERS.contosoAdmin, { collectionAdmin: true });
      for (const u of CONTOSO_USERS) addMember(state, org, u);
    } else {
      const fiber = org.projects.find((p) => p.name === "Fabrikam Fiber") ?? org.projects[0];
      addMember(state, org, DEMO_USERS.admin, { collectionAdmin: true });
      addMember(state, org, DEMO_USERS.member);
      addMember(state, org, DEMO_USERS.projectAdmin, { projectAdminOf: [fiber.id] });
      for (const u of EXTRA_USERS) addMember(state, org, u);
    }
    // Work items.
    const count = orgIndex === 0 ? (opts.workItems ?? os.workItems ?? 300) : (os.workItems ?? 40);
    const members = [...org.members.keys()];
    if (count > 0) {
      org.workItems.setCompact(
        generateWorkItems({
          org,
          projects: org.projects.map((p, i) => ({ project: p, weight: i === 0 ? 4 : 1 })),
          users: members,
          count,
          seed: seed ^ hash32(os.name),
          start: now - 180 * DAY,
          end: now - DAY,
        }),
      );
    }
    // Repos: every project has a default repo named like the project.
    const author = state.users.get(members[0])!;
    for (const p of org.projects) addRepo(core, p, p.name, new Map([["/README.md", readme(p)]]), "Initial commit", author, now - 170 * DAY);
    if (orgIndex === 0) {
      const p = org.projects[0];
      if (opts.katalonRepos ?? true)
        addRepo(core, p, "katalon-ci-samples", readKatalonFixture(), "Import Katalon ci-samples", author, now - 160 * DAY);
      if (opts.generatedKatalon) {
        const { files } = generateKatalonProject({ ...opts.generatedKatalon, seed });
        addRepo(core, p, "katalon-generated", files, "Generated Katalon project", author, now - 150 * DAY);
      }
    }
  });
  // PATs (only when the demo users exist).
  const has = (u: User) => state.users.has(u.id);
  const pat = (token: string, user: User, org: string | null, scopes: string[], extra: { validTo?: Date; revoked?: boolean } = {}) => {
    if (has(user)) addPat(state, { token, name: token.slice(3, 12), userId: user.id, org, scopes, ...extra });
  };
  pat(DEMO_PATS.admin, DEMO_USERS.admin, "fabrikam", FULL_SCOPES);
  pat(DEMO_PATS.fullAccess, DEMO_USERS.admin, "fabrikam", ["app_token"]);
  pat(DEMO_PATS.readOnly, DEMO_USERS.admin, "fabrikam", ["vso.work", "vso.code", "vso.project"]);
  pat(DEMO_PATS.member, DEMO_USERS.member, "fabrikam", FULL_SCOPES);
  pat(DEMO_PATS.projectAdmin, DEMO_USERS.projectAdmin, "fabrikam", FULL_SCOPES);
  pat(DEMO_PATS.expired, DEMO_USERS.admin, "fabrikam", FULL_SCOPES, { validTo: new Date(now - DAY) });
  pat(DEMO_PATS.revoked, DEMO_USERS.admin, "fabrikam", FULL_SCOPES, { revoked: true });
  pat(DEMO_PATS.contoso, DEMO_USERS.contosoAdmin, "contoso", FULL_SCOPES);
}
