// work area: team settings iterations (with timeFrame past/current/future relative to the clock).
import { badRequest, json, list, orgUrl, notFound, type Ctx } from "./http";
import type { RouteDef } from "./router";
import { walkNodes, type ClassNode, type Project, type Team } from "./state";

const DAY = 86_400_000;

export function timeFrame(node: ClassNode, now: Date): "past" | "current" | "future" {
  if (!node.startDate || !node.finishDate) return "future";
  const today = Math.floor(now.getTime() / DAY) * DAY;
  const start = Date.parse(node.startDate);
  const finish = Date.parse(node.finishDate);
  if (finish < today) return "past";
  if (start <= today) return "current";
  return "future";
}

function teamOf(ctx: Ctx): { project: Project; team: Team } {
  const project = ctx.project!;
  // Without a team segment ADO uses the project's default team.
  return { project, team: ctx.team ?? project.teams[0] };
}

function iterationJson(ctx: Ctx, project: Project, team: Team, node: ClassNode, parents: string[]) {
  const path = [...parents, node.name].join("\\");
  const attributes: Record<string, unknown> = { timeFrame: timeFrame(node, ctx.sim.clock()) };
  if (node.startDate) attributes.startDate = node.startDate;
  if (node.finishDate) attributes.finishDate = node.finishDate;
  const url = `${orgUrl(ctx)}/${project.id}/${team.id}/_apis/work/teamsettings/iterations/${node.identifier}`;
  return {
    id: node.identifier,
    name: node.name,
    path,
    attributes,
    url,
    _links: {
      self: { href: url },
      project: { href: `${orgUrl(ctx)}/_apis/projects/${project.id}` },
      team: { href: `${orgUrl(ctx)}/_apis/projects/${project.id}/teams/${team.id}` },
      teamSettings: { href: `${orgUrl(ctx)}/${project.id}/${team.id}/_apis/work/teamsettings` },
      classificationNode: {
        href: `${orgUrl(ctx)}/${project.id}/_apis/wit/classificationNodes/Iterations/${encodeURIComponent(node.name)}`,
      },
    },
  };
}

function teamIterations(ctx: Ctx) {
  const { project, team } = teamOf(ctx);
  const selected = new Set(team.iterationIds);
  const out: { node: ClassNode; parents: string[] }[] = [];
  for (const [node, parents] of walkNodes(project.iterations)) if (selected.has(node.identifier)) out.push({ node, parents });
  return { project, team, out };
}

export const workRoutes: RouteDef[] = [
  {
    method: "GET",
    levels: ["project", "team"],
    path: "work/teamsettings/iterations",
    scopes: ["vso.work"],
    handler: (ctx) => {
      const { project, team, out } = teamIterations(ctx);
      const tf = ctx.q("$timeframe");
      if (tf && tf.toLowerCase() !== "current")
        throw badRequest(`The timeframe '${tf}' is not supported; only 'current' is.`, "ArgumentException");
      const now = ctx.sim.clock();
      const items = out.filter((x) => !tf || timeFrame(x.node, now) === "current");
      return list(items.map((x) => iterationJson(ctx, project, team, x.node, x.parents)));
    },
  },
  {
    method: "GET",
    levels: ["project", "team"],
    path: "work/teamsettings/iterations/:id",
    scopes: ["vso.work"],
    handler: (ctx) => {
      const { project, team, out } = teamIterations(ctx);
      const hit = out.find((x) => x.node.identifier === ctx.params.id.toLowerCase());
      if (!hit)
        throw notFound(
          `VS402484: The iteration ${ctx.params.id} is not selected by team ${team.name}.`,
          "TeamSettingsIterationNotFoundException",
        );
      return json(iterationJson(ctx, project, team, hit.node, hit.parents));
    },
  },
];
