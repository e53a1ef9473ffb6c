import "../common/charts/charts.css";
import * as React from "react";
import type { Flaky } from "@testops/backend/schemas/widgets";
import { unwrap } from "../common/api";
import { pendingFrame, useWidgetData, WidgetEmpty, WidgetFrame, WidgetProblem } from "../common/widgets/chrome";
import { flakyFigure, openDefects, problemOf, type FlakyTest } from "../common/widgets/format";
import type { WidgetPage, WidgetViewProps } from "../common/widgets/runtime";
import { parseFlaky } from "../common/widgets/settings";

const OUTCOME_TEXT = { passed: "Passed", failed: "Failed", error: "Error", skipped: "Skipped" } as const;

/** Flaky and failing tests: the top N by recent failures or pass⇄fail flips, with their defects. */
export function FlakyWidget({ settings, page, onSettled }: WidgetViewProps) {
  const s = parseFlaky(settings.customSettings?.data);
  const [data, retry] = useWidgetData(async (): Promise<Flaky> => {
    const res = await page.api.api.widgets.flaky.$get({
      query: { project: page.project.id, top: String(s.top), by: s.by, runs: String(s.runs), ...(s.linkId ? { linkId: s.linkId } : {}) },
    });
    // Typed by the route: 200 is the answer; anything else carries the API's error body (ApiClientError).
    if (res.status === 200) return await res.json();
    throw await unwrap(res).catch((e: unknown) => e);
  }, onSettled);
  const title = settings.name || (s.by === "flakiness" ? "Flaky tests" : "Failing tests");
  if (data.state !== "ready") return pendingFrame(title, data, retry);
  const v = data.value;
  const subtitle = `Top ${s.top} by ${s.by === "flakiness" ? "flips" : "failures"} in each test's last ${s.runs} results${v.link ? ` · ${v.link.name}` : ""}`;
  const problem = problemOf(v.status, { needsLink: false, linkChosen: !!s.linkId, linkFound: !!v.link, hasData: v.tests.length > 0 });
  if (problem)
    return (
      <WidgetFrame title={title}>
        <WidgetProblem problem={problem} />
      </WidgetFrame>
    );
  if (!v.tests.length)
    return (
      <WidgetFrame title={title} subtitle={subtitle}>
        <WidgetEmpty
          kind="no-tests"
          title={s.by === "flakiness" ? "No flaky tests" : "No failing tests"}
          detail={`No test ${s.by === "flakiness" ? "flipped between pass and fail" : "failed"} in its last ${s.runs} results.`}
        />
      </WidgetFrame>
    );
  return (
    <WidgetFrame title={title} subtitle={subtitle}>
      <ol className="widget-tests" aria-label={title}>
        {v.tests.map((t) => (
          <TestRow key={t.key} test={t} by={s.by} page={page} />
        ))}
      </ol>
    </WidgetFrame>
  );
}

function TestRow({ test: t, by, page }: { test: FlakyTest; by: "failures" | "flakiness"; page: WidgetPage }) {
  const d = openDefects(t);
  const base = page.collectionUrl.replace(/\/?$/, "/");
  return (
    <li className="widget-test" data-test={t.fullName} data-name={t.name}>
      <div className="flex-row flex-center rhythm-horizontal-8">
        <button
          type="button"
          className="widget-link widget-test-name body-m"
          title={`${t.fullName}: open its latest run (${OUTCOME_TEXT[t.latestOutcome]})`}
          onClick={() => page.navigate(page.hubUrl("project-settings", { tab: "runs", runId: t.latestRunId }))}
        >
          {t.name}
        </button>
        <span className="flex-grow" />
        <span className="body-s secondary-text widget-count" data-figure={by}>
          {flakyFigure(t, by)}
        </span>
      </div>
      <div className="flex-row flex-center rhythm-horizontal-8 body-s">
        <span className="wt-strip" role="img" aria-label={`Last ${t.recent.length} outcomes, newest last`}>
          {[...t.recent].reverse().map((o, i) => (
            <span key={i} className={`wt-cell tc-${o}`} />
          ))}
        </span>
        {d.shown.length ? (
          d.shown.map((x) => (
            <a
              key={x.id}
              className="widget-defect"
              href={`${base}${encodeURIComponent(page.project.name)}/_workitems/edit/${x.id}`}
              target="_top"
              rel="noreferrer"
              title={x.title ?? ""}
            >
              Bug {x.id} · {x.state ?? "unknown state"}
            </a>
          ))
        ) : (
          <span className="secondary-text">No defect</span>
        )}
        {d.more ? <span className="secondary-text">+{d.more}</span> : null}
      </div>
    </li>
  );
}
