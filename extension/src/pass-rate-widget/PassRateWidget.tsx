import * as React from "react";
import type { PassRate } from "@testops/backend/schemas/widgets";
import { unwrap } from "../common/api";
import { StackedRunsChart, type RunBar } from "../common/charts/Charts";
import { STACK_ORDER } from "../common/charts/geometry";
import { pendingFrame, useWidgetData, WidgetEmpty, WidgetFrame, WidgetProblem } from "../common/widgets/chrome";
import { passRateHeadline, problemOf, runTitle } from "../common/widgets/format";
import type { WidgetViewProps } from "../common/widgets/runtime";
import { cellsToPixels, ORIGIN_LABEL, parsePassRate, sizeOf, type PassRateSettings } from "../common/widgets/settings";

const LEGEND: Record<(typeof STACK_ORDER)[number], string> = { passed: "Passed", failed: "Failed", error: "Error", skipped: "Skipped" };

/** What the settings narrow the runs to, in words ("Pipeline task runs, tests under Login/"). */
export function filterText(s: PassRateSettings, linkName?: string): string {
  const parts = [
    s.origin ? `${ORIGIN_LABEL[s.origin]} runs` : "",
    linkName ? `linked to ${linkName}` : "",
    s.pathPrefix ? `tests under ${s.pathPrefix}` : "",
  ];
  return parts.filter(Boolean).join(", ");
}

/** Test pass rate trend: pass rate and counts per run over the last N runs, stacked by outcome. */
export function PassRateWidget({ settings, page, onSettled }: WidgetViewProps) {
  const s = parsePassRate(settings.customSettings?.data);
  const size = sizeOf(settings.size);
  const [data, retry] = useWidgetData(async (): Promise<PassRate> => {
    const res = await page.api.api.widgets["pass-rate"].$get({
      query: {
        project: page.project.id,
        runs: String(s.runs),
        ...(s.linkId ? { linkId: s.linkId } : {}),
        ...(s.origin ? { origin: s.origin } : {}),
        ...(s.pathPrefix ? { pathPrefix: s.pathPrefix } : {}),
      },
    });
    // Typed by the route: 200 is the answer; anything else carries the API's error body (ApiClientError).
    if (res.status === 200) return await res.json();
    throw await unwrap(res).catch((e: unknown) => e);
  }, onSettled);
  const title = settings.name || "Test pass rate";
  if (data.state !== "ready") return pendingFrame(title, data, retry);
  const v = data.value;
  const filter = filterText(s, v.link?.name);
  const problem = problemOf(v.status, { needsLink: false, linkChosen: !!s.linkId, linkFound: !!v.link, hasData: v.points.length > 0 });
  if (problem)
    return (
      <WidgetFrame title={title}>
        <WidgetProblem problem={problem} />
      </WidgetFrame>
    );
  if (!v.points.length)
    return (
      <WidgetFrame title={title} subtitle={filter || v.project.name}>
        <WidgetEmpty
          kind="no-runs"
          title="No test runs yet"
          detail={filter ? `No runs match: ${filter}.` : "Results appear here once a pipeline, an upload key or an import sends a run."}
        />
      </WidgetFrame>
    );
  const head = passRateHeadline(v.points);
  const bars: RunBar[] = v.points.map((p) => ({
    id: p.runId,
    passed: p.passed,
    failed: p.failed,
    error: p.error,
    skipped: p.skipped,
    passRate: p.passRate,
    title: runTitle(p),
  }));
  // The chart takes what the cell leaves after the title, the figures and the legend.
  const width = cellsToPixels(size.columnSpan) - 28;
  const height = Math.max(40, cellsToPixels(size.rowSpan) - 150);
  const latest = head.latestRun;
  return (
    <WidgetFrame title={title} subtitle={`Last ${head.runs} ${head.runs === 1 ? "run" : "runs"}${filter ? ` · ${filter}` : ""}`}>
      <div className="flex-row flex-baseline rhythm-horizontal-8">
        <span className="widget-figure" data-figure="latest" aria-label={`Latest run: ${head.latest} passed`}>
          {head.latest}
        </span>
        {latest ? (
          <button
            type="button"
            className="widget-link body-s"
            onClick={() => page.navigate(page.hubUrl("project-settings", { tab: "runs", runId: latest.runId }))}
            title={runTitle(latest)}
          >
            {latest.name}
          </button>
        ) : (
          <span className="secondary-text body-s">no tests ran</span>
        )}
        <span className="secondary-text body-s" data-figure="average">
          avg {head.average}
        </span>
      </div>
      <div className="flex-grow" />
      <StackedRunsChart
        points={bars}
        width={width}
        height={height}
        label={`Pass rate and results of the last ${head.runs} runs`}
        onSelect={(b) => page.navigate(page.hubUrl("project-settings", { tab: "runs", runId: b.id }))}
      />
      <div className="widget-legend secondary-text" aria-hidden="true">
        {STACK_ORDER.map((k) => (
          <span key={k}>
            <span className={`tc-swatch tc-${k}`} />
            {LEGEND[k]}
          </span>
        ))}
        <span>
          <span className="tc-swatch tc-tested" />
          Pass rate
        </span>
      </div>
    </WidgetFrame>
  );
}
