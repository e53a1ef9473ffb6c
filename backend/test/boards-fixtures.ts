import type { Simulator } from "@testops/ado-sim";
import { DEMO_PATS } from "@testops/ado-sim";
import { eq } from "drizzle-orm";
import { AdoClient } from "../src/ado/client";
import { setConnectionProvider } from "../src/boards/ado";
import { workItemTypes } from "../src/boards/pickers";
import type { Db } from "../src/db/client";
import { boardsBugs, boardsReleases, boardsRequirements, boardsSprints, organizations } from "../src/db/schema";
import { BoardsLinkConfigSchema, TESTOPS_SEVERITIES, type BoardsLinkConfig, type BoardsLinkConfigInput } from "../src/schemas/boards";
import { testBackend, type DbKind } from "./helpers";

/** Shared setup of the Boards tests: a simulator, a backend on it, and an ADO client with the admin PAT. */

export const SIM_URL = "http://ado-sim.test";

export function simClient(sim: Simulator, org = "fabrikam", pat: string = DEMO_PATS.admin) {
  return new AdoClient({
    org: { url: `https://dev.azure.com/${org}`, name: org, kind: "cloud", host: "dev.azure.com" },
    auth: { type: "pat", pat },
    fetch: sim.fetch,
    simulatorUrl: SIM_URL,
    // Backoff and Retry-After are honoured, without really waiting in tests.
    sleep: async () => {},
  });
}

export const orgIdOf = (sim: Simulator, org: string) => sim.state.orgs.get(org)!.id;

export function projectOf(sim: Simulator, name: string, org = "fabrikam") {
  const p = sim.state.orgs.get(org)!.projects.find((x) => x.name === name)!;
  return { id: p.id, name: p.name, process: p.processName, teams: p.teams };
}

/** A backend whose Boards connection is the simulator with the admin PAT (until connections land in tests). */
export async function boardsBackend(kind: DbKind, sim: Simulator, clientFor: (org: string) => AdoClient = (org) => simClient(sim, org)) {
  const backend = await testBackend({ kind, fetch: sim.fetch, env: { ADO_SIMULATOR_URL: SIM_URL } });
  const names = new Map<string, string>();
  for (const org of sim.state.orgs.values()) {
    names.set(org.id, org.name);
    await backend.deps.database.db
      .insert(organizations)
      .values({ id: org.id, name: org.name, url: `https://dev.azure.com/${org.name}` })
      .onConflictDoNothing();
  }
  setConnectionProvider(async (_deps, orgId) => ({ connectionId: null, client: clientFor(names.get(orgId)!) }));
  // The same stand-in connection reads members' roles (the extension's token cannot; docs/ado-fidelity.md).
  backend.deps.identity.patClient = async (org) => clientFor(org.name);
  return backend;
}

/** The config the wizard would pre-fill from the project's process: every type, states by category, severities in order. */
export async function suggestedConfig(
  client: AdoClient,
  project: { id: string; name: string },
  over: Partial<BoardsLinkConfigInput> = {},
): Promise<BoardsLinkConfig> {
  const t = await workItemTypes(client, project.id);
  const states = (list: typeof t.requirement) =>
    Object.fromEntries(
      list.map((w) => [w.name, Object.fromEntries(w.states.filter((s) => s.suggestedStatus).map((s) => [s.name, s.suggestedStatus]))]),
    );
  const severities = ["1 - Critical", "2 - High", "3 - Medium", "4 - Low"];
  return BoardsLinkConfigSchema.parse({
    project,
    pullRequirements: true,
    bugMapping: t.bug.length > 0,
    requirements: { workItemTypes: t.requirement.map((x) => x.name), stateMapping: states(t.requirement), releaseDateFields: [] },
    bugs: {
      workItemTypes: t.bug.map((x) => x.name),
      stateMapping: states(t.bug),
      severityMapping: Object.fromEntries(severities.map((s, i) => [s, TESTOPS_SEVERITIES[i + 1]])),
    },
    ...over,
  });
}

/** Everything a link stored, without ids and timestamps: two runs that end alike give equal snapshots. */
export async function snapshot(db: Db, linkId: string) {
  const strip = <T extends Record<string, unknown>>(rows: T[], key: (r: T) => number) =>
    rows.map(({ id: _id, createdAt: _c, updatedAt: _u, linkId: _l, orgId: _o, ...rest }) => rest).sort((a, b) => key(a as T) - key(b as T));
  const [releases, sprints, requirements, bugs] = await Promise.all([
    db.select().from(boardsReleases).where(eq(boardsReleases.linkId, linkId)),
    db.select().from(boardsSprints).where(eq(boardsSprints.linkId, linkId)),
    db.select().from(boardsRequirements).where(eq(boardsRequirements.linkId, linkId)),
    db.select().from(boardsBugs).where(eq(boardsBugs.linkId, linkId)),
  ]);
  return {
    releases: strip(releases, (r) => r.adoNodeId),
    sprints: strip(sprints, (r) => r.adoNodeId),
    requirements: strip(requirements, (r) => r.adoId),
    bugs: strip(bugs, (r) => r.adoId),
  };
}

/** Ids of live work items of the given types, asked through WIQL (an independent path from the reporting API). */
export async function wiqlIds(client: AdoClient, project: { id: string; name: string }, types: string[]): Promise<number[]> {
  if (!types.length) return [];
  const list = types.map((t) => `'${t.replace(/'/g, "''")}'`).join(", ");
  const res = await client.post<{ workItems: { id: number }[] }>(`${encodeURIComponent(project.id)}/_apis/wit/wiql`, {
    query: `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = '${project.name.replace(/'/g, "''")}' AND [System.WorkItemType] IN (${list})`,
  });
  return res.workItems.map((w) => w.id).sort((a, b) => a - b);
}
