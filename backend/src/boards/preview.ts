import type { AdoClient } from "../ado/client";
import type { AppDeps } from "../context";
import type { BoardsLinkConfig, PreviewResult } from "../schemas/boards";
import { diffIterations, planBatch, readIterationPlan, readRevisions } from "./engine";
import type { LinkRow } from "./links";
import { UnmappedTally, type MappedBug, type MappedRequirement } from "./mapping";
import type { Decision } from "./diff";

const SAMPLE = 25;

type Section = NonNullable<PreviewResult["requirements"]>;
const section = (): Section => ({ create: 0, update: 0, skip: 0, remove: 0, byStatus: {}, sample: [] });
const action = (d: Decision): "create" | "update" | "skip" | "remove" =>
  d === "create" ? "create" : d === "update" ? "update" : d === "remove" ? "remove" : "skip";

function add(s: Section, item: MappedRequirement | MappedBug, d: Decision) {
  const a = action(d);
  if (d === "ignore") return;
  s[a]++;
  if (!item.removed) {
    const k = item.status ?? "(unmapped)";
    s.byStatus[k] = (s.byStatus[k] ?? 0) + 1;
  }
  // The sample shows what changes first; "skip" rows only fill the remaining room.
  if (a !== "remove" && s.sample.length < SAMPLE && (a !== "skip" || s.sample.length < SAMPLE / 2))
    s.sample.push({
      adoId: item.adoId,
      title: item.title,
      workItemType: item.workItemType,
      adoState: item.adoState,
      status: item.status,
      priority: item.priority,
      severity: item.kind === "bug" ? item.severity : null,
      iterationPath: item.iterationPath,
      action: a,
    });
}

/**
 * Dry run: reads what a full sync would read (iteration tree, latest revisions) and compares it with what
 * the link stored (when editing), without writing anything.
 */
export async function previewSync(
  deps: AppDeps,
  client: AdoClient,
  orgId: string,
  cfg: BoardsLinkConfig,
  link: LinkRow | undefined,
  signal?: AbortSignal,
): Promise<PreviewResult> {
  const db = deps.database.db;
  const linkId = link && link.orgId === orgId ? link.id : null;
  // A config that differs from the stored one re-maps every item: compare as a newer config version would.
  const version = link ? link.configVersion + 1 : 1;
  const plan = await readIterationPlan(client, cfg);
  const it = await diffIterations(db, linkId, plan);
  const warnings: string[] = [];
  for (const p of plan.missingReleasePaths) warnings.push(`Iteration "${p}" picked as a release no longer exists in the project`);
  const withoutDates = plan.sprints.filter((s) => s.missingDates).length;
  if (withoutDates) warnings.push(`${withoutDates} sprint(s) have no start or finish date in Azure DevOps`);

  const requirements = cfg.pullRequirements ? section() : null;
  const bugs = cfg.bugMapping ? section() : null;
  const tally = new UnmappedTally();
  for await (const page of readRevisions(client, cfg, null, signal)) {
    const p = await planBatch(db, linkId, cfg, version, page.values, tally);
    for (const x of p.requirements) if (requirements) add(requirements, x.item, x.decision);
    for (const x of p.bugs) if (bugs) add(bugs, x.item, x.decision);
  }
  const relCount = (a: string) => it.releases.filter((r) => r.action === a).length;
  const sprCount = (a: string) => it.sprints.filter((r) => r.action === a).length;
  return {
    releases: {
      create: relCount("create"),
      update: relCount("update"),
      skip: relCount("skip"),
      items: it.releases.map(({ item, action }) => ({
        adoNodeId: item.adoNodeId,
        path: item.path,
        name: item.name,
        action,
        startDate: item.startDate,
        finishDate: item.finishDate,
      })),
    },
    sprints: {
      create: sprCount("create"),
      update: sprCount("update"),
      skip: sprCount("skip"),
      withoutDates,
      items: it.sprints.map(({ item, action }) => ({
        adoNodeId: item.adoNodeId,
        path: item.path,
        name: item.name,
        releasePath: item.releasePath,
        action,
        startDate: item.startDate,
        finishDate: item.finishDate,
        missingDates: item.missingDates,
      })),
    },
    requirements,
    bugs,
    unmapped: tally.list().slice(0, 200),
    warnings,
  };
}
