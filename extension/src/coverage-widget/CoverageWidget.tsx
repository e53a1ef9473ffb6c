import * as React from "react";
import type { BoardsLink } from "@testops/backend/schemas/boards";
import type { Coverage } from "@testops/backend/schemas/widgets";
import { ApiClientError, unwrap } from "../common/api";
import { DonutChart } from "../common/charts/Charts";
import { barWidths, pct } from "../common/charts/geometry";
import { pendingFrame, useWidgetData, WidgetEmpty, WidgetFrame, WidgetProblem } from "../common/widgets/chrome";
import { COVERAGE_LABEL, coverageSlices, coverageSummary, problemOf, type CoverageKey } from "../common/widgets/format";
import type { WidgetPage, WidgetViewProps } from "../common/widgets/runtime";
import { cellsToPixels, parseCoverage, sizeOf, type CoverageSettings } from "../common/widgets/settings";

type Answer = { kind: "coverage"; value: Coverage } | { kind: "not-linked" } | { kind: "link-gone" };

/** The link to count: the chosen one, else the project's first live link (most projects have one). */
async function load(page: WidgetPage, s: CoverageSettings): Promise<Answer> {
  let linkId = s.linkId;
  if (!linkId) {
    const r = (await unwrap(await page.api.api.boards.links.$get({ query: { projectId: page.project.id } }))) as { links: BoardsLink[] };
    linkId = r.links.find((l) => !l.archived)?.id;
    if (!linkId) return { kind: "not-linked" };
  }
  try {
    const res = await page.api.api.widgets.coverage.$get({
      query: {
        linkId,
        scope: s.scope,
        ...(s.iterationId ? { iterationId: s.iterationId } : {}),
        ...(page.team ? { team: page.team.id } : {}),
      },
    });
    if (res.status === 200) return { kind: "coverage", value: await res.json() };
    throw await unwrap(res).catch((e: unknown) => e);
  } catch (e) {
    // A link removed since the widget was configured (or one this user cannot see).
    if (e instanceof ApiClientError && e.status === 404 && s.linkId) return { kind: "link-gone" };
    throw e;
  }
}

const ROWS: CoverageKey[] = ["passing", "failing", "notTested", "failingWithoutDefect"];

/** Requirement coverage of a sprint or release: tested / passing / failing / not tested, and failing with no defect. */
export function CoverageWidget({ settings, page, onSettled }: WidgetViewProps) {
  const s = parseCoverage(settings.customSettings?.data);
  const size = sizeOf(settings.size);
  const [data, retry] = useWidgetData(() => load(page, s), onSettled);
  const title = settings.name || "Requirement coverage";
  if (data.state !== "ready") return pendingFrame(title, data, retry);
  const a = data.value;
  if (a.kind !== "coverage")
    return (
      <WidgetFrame title={title}>
        <WidgetProblem
          problem={problemOf(
            { connection: "connected", linked: a.kind !== "not-linked" },
            { needsLink: true, linkChosen: a.kind === "link-gone", linkFound: false, hasData: false },
          )!}
        />
      </WidgetFrame>
    );
  const c = a.value;
  const problem = problemOf(c.status, { needsLink: true, linkChosen: !!s.linkId, linkFound: true, hasData: c.requirements > 0 });
  if (problem)
    return (
      <WidgetFrame title={title}>
        <WidgetProblem problem={problem} />
      </WidgetFrame>
    );
  if (!c.iteration)
    return (
      <WidgetFrame title={title} subtitle={c.link.name}>
        <WidgetEmpty
          kind="no-iteration"
          title={page.team ? `${page.team.name} has no current sprint` : "No current sprint"}
          detail="Set the team's iteration dates in Azure Boards, or pick a sprint or release in this widget's configuration."
        />
      </WidgetFrame>
    );
  const it = c.iteration;
  const open = () => page.navigate(page.hubUrl("plans", { tab: "traceability", scope: it.id }));
  const subtitle = (
    <button type="button" className="widget-link" onClick={open} title={`Open ${it.name} in TestOps Plans`}>
      {`${s.scope === "current" ? "Current sprint: " : ""}${it.name}`}
    </button>
  );
  const values: Record<CoverageKey, number> = {
    passing: c.passing,
    failing: c.failing,
    notTested: c.notTested,
    failingWithoutDefect: c.failingWithoutDefect,
  };
  if (!c.requirements)
    return (
      <WidgetFrame title={title} subtitle={subtitle}>
        <WidgetEmpty
          kind="no-requirements"
          title={`No requirements in ${it.name}`}
          detail="Requirements synced from Azure Boards are counted here."
        />
      </WidgetFrame>
    );
  const width = cellsToPixels(size.columnSpan) - 28;
  const summary = coverageSummary(c);
  const rows = barWidths(
    ROWS.map((k) => ({ key: k, value: values[k] })),
    c.requirements,
    Math.max(40, width - 150),
  );
  return (
    <WidgetFrame title={title} subtitle={subtitle}>
      <div className="body-s" data-figure="summary">
        {summary}
      </div>
      {s.chart === "donut" ? (
        <div className="flex-row flex-center rhythm-horizontal-16 flex-grow">
          <DonutChart
            slices={coverageSlices(c)}
            size={Math.min(cellsToPixels(size.rowSpan) - 120, 150)}
            centre={pct(c.passing / c.requirements)}
            label={`${summary}: ${c.passing} passing, ${c.failing} failing, ${c.notTested} not tested`}
          />
          <Legend values={values} onOpen={open} />
        </div>
      ) : (
        <table className="widget-bars" aria-label={summary}>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-row={r.key}>
                <th scope="row" className="body-s">
                  {COVERAGE_LABEL[r.key]}
                </th>
                <td className="widget-bar-cell">
                  <svg width={width - 150} height={12} aria-hidden="true">
                    <rect className="tc-track" x={0} y={0} width={width - 150} height={12} rx={2} />
                    <rect className={`tc-${r.key}`} x={0} y={0} width={r.width} height={12} rx={2} />
                  </svg>
                </td>
                <td className="body-s widget-count">{r.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </WidgetFrame>
  );
}

function Legend({ values, onOpen }: { values: Record<CoverageKey, number>; onOpen: () => void }) {
  return (
    <ul className="widget-donut-legend body-s">
      {ROWS.map((k) => (
        <li key={k} data-row={k}>
          <span className={`tc-swatch tc-${k}`} />
          {COVERAGE_LABEL[k]} <b className="widget-count">{values[k]}</b>
        </li>
      ))}
      <li>
        <button type="button" className="widget-link" onClick={onOpen}>
          Open in Plans
        </button>
      </li>
    </ul>
  );
}
