import "./work-item-results.css";
import * as React from "react";
import type { IWorkItemFormService, IWorkItemLoadedArgs, IWorkItemNotificationListener } from "azure-devops-extension-api/WorkItemTracking";
import { Ago } from "azure-devops-ui/Ago";
import { Button } from "azure-devops-ui/Button";
import { Checkbox } from "azure-devops-ui/Checkbox";
import { Link } from "azure-devops-ui/Link";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import type {
  Defect,
  Outcome,
  TestHistory,
  TestRunResult,
  TrendPoint,
  WorkItemTest,
  WorkItemTests,
} from "@testops/backend/schemas/results";
import { formatPassRate } from "@testops/backend/schemas/results-format";
import { unwrap } from "../common/api";
import { PageProvider, usePage } from "../common/context";
import { CreateDefectPanel, failure, LinkDefectPanel } from "../common/defects/DefectPanels";
import { initSdk, SDK, ServiceIds } from "../common/sdk";
import { TrendChart as SharedTrendChart } from "../common/charts/Charts";
import { ErrorCard } from "../common/ui";
import { cellTitle, formatDuration, OUTCOME_COLOR, OUTCOME_LABEL, passRateDetail, stripCells, summaryPills, trendLabel } from "./format";

/** Tests per page of the group. */
export const PAGE_SIZE = 20;
/** Runs of one test shown when it is expanded (more on demand). */
export const HISTORY_PAGE = 5;
/** Failure text shown before "Show all". */
export const TRIM_AT = 400;

/** What the work item form told us about the open work item. */
export type FormState =
  { state: "waiting" } | { state: "new" } | { state: "loaded"; id: number; isReadOnly: boolean; revision: number } | { state: "unloaded" };

/**
 * Registers the IWorkItemNotificationListener under this contribution's id as soon as the SDK is
 * ready (before the backend answers, so onLoaded is never missed), and asks the form service too
 * in case the work item was already loaded.
 */
export function useWorkItemForm(): FormState {
  const [form, setForm] = React.useState<FormState>({ state: "waiting" });
  React.useEffect(() => {
    let live = true;
    let contributionId: string | undefined;
    const set = (s: FormState) => live && setForm(s);
    const loaded = (a: IWorkItemLoadedArgs) =>
      set(a.isNew ? { state: "new" } : { state: "loaded", id: a.id, isReadOnly: a.isReadOnly, revision: 0 });
    // Saved / refreshed: the same work item (or a new one that now has an id) may have new results.
    const changed = (a: { id: number }) =>
      live &&
      setForm((f) =>
        a.id > 0
          ? {
              state: "loaded",
              id: a.id,
              isReadOnly: f.state === "loaded" && f.isReadOnly,
              revision: f.state === "loaded" ? f.revision + 1 : 0,
            }
          : f,
      );
    const listener: Partial<IWorkItemNotificationListener> = {
      onLoaded: loaded,
      onSaved: changed,
      onRefreshed: changed,
      onReset: changed,
      onUnloaded: () => set({ state: "unloaded" }),
      onFieldChanged: () => undefined,
    };
    void initSdk().then(async () => {
      if (!live) return;
      contributionId = SDK.getContributionId();
      SDK.register(contributionId, () => listener);
      try {
        const svc = await SDK.getService<IWorkItemFormService>(ServiceIds.workItemForm);
        const [id, isNew] = await Promise.all([svc.getId(), svc.isNew()]);
        if (live)
          setForm((f) =>
            f.state !== "waiting" ? f : isNew ? { state: "new" } : id > 0 ? { state: "loaded", id, isReadOnly: false, revision: 0 } : f,
          );
      } catch {
        // No form service (yet): onLoaded will tell.
      }
    });
    return () => {
      live = false;
      if (contributionId) SDK.unregister(contributionId);
    };
  }, []);
  return form;
}

/** The host frame (an object so tests can watch it). */
export const frame = {
  /** Asks the host to fit the form group's frame to the content (SDK.resize without size = scroll size). */
  fit: () => SDK.resize(),
};

/** Fits the frame after every change of what is shown. */
function useFitFrame(dep: unknown) {
  React.useLayoutEffect(() => {
    frame.fit();
  }, [dep]);
}

type Filter = "all" | "failingWithoutDefect";
type Loaded = { state: "loading" } | { state: "error"; error: Error } | { state: "ready"; data: WorkItemTests; more: boolean };

function useWorkItemTests(id: number, revision: number, filter: Filter) {
  const { api } = usePage();
  const [s, setS] = React.useState<Loaded>({ state: "loading" });
  const [tick, setTick] = React.useState(0);
  const fetchPage = React.useCallback(
    async (skip: number): Promise<WorkItemTests> => {
      const res = await api.api.results["work-items"][":id"].$get({
        param: { id: String(id) },
        query: { top: String(PAGE_SIZE), skip: String(skip), filter },
      });
      if (res.status === 200) return res.json();
      // Any other answer carries the API's error body: unwrap turns it into an ApiClientError.
      throw await unwrap(res).catch((e: unknown) => e);
    },
    [api, id, filter],
  );
  React.useEffect(() => {
    let live = true;
    setS((prev) => (prev.state === "ready" ? prev : { state: "loading" }));
    fetchPage(0).then(
      (data) => live && setS({ state: "ready", data, more: false }),
      (error: Error) => live && setS({ state: "error", error }),
    );
    return () => {
      live = false;
    };
  }, [fetchPage, revision, tick]);
  const loadMore = async () => {
    if (s.state !== "ready") return;
    setS({ ...s, more: true });
    try {
      const next = await fetchPage(s.data.tests.length);
      setS({ state: "ready", data: { ...next, tests: [...s.data.tests, ...next.tests] }, more: false });
    } catch (error) {
      setS({ state: "error", error: error as Error });
    }
  };
  return { s, reload: () => setTick((t) => t + 1), loadMore };
}

function OutcomePill({ outcome }: { outcome: Outcome }) {
  return (
    <Pill size={PillSize.compact} variant={PillVariant.colored} color={OUTCOME_COLOR[outcome]} className="wir-outcome">
      {OUTCOME_LABEL[outcome]}
    </Pill>
  );
}

/** The last outcomes of a test, oldest to newest, coloured like azure-devops-ui's status. */
export function StatusStrip({ test }: { test: WorkItemTest }) {
  const cells = stripCells(test.recent);
  return (
    <span
      className="wir-strip"
      role="img"
      aria-label={`Last ${cells.length} outcomes: ${cells.map((c) => OUTCOME_LABEL[c.outcome]).join(", ")}`}
    >
      {cells.map((c) => (
        <span key={c.resultId} className={`wir-cell wir-cell-${c.outcome}`} title={cellTitle(c)} />
      ))}
    </span>
  );
}

/** The pass rate per run (the shared chart; the work item form keeps its own size and class). */
export function TrendChart({ points }: { points: TrendPoint[] }) {
  return <SharedTrendChart className="wir-trend" points={points} label={trendLabel(points)} />;
}

function Trimmed({ text, className, pre }: { text: string; className: string; pre?: boolean }) {
  const [all, setAll] = React.useState(false);
  useFitFrame(all);
  const long = text.length > TRIM_AT;
  const shown = all || !long ? text : `${text.slice(0, TRIM_AT)}…`;
  return (
    <div>
      {pre ? <pre className={className}>{shown}</pre> : <div className={className}>{shown}</div>}
      {long ? <Button subtle className="wir-showall" text={all ? "Show less" : "Show all"} onClick={() => setAll(!all)} /> : null}
    </div>
  );
}

function HistoryRow({ r }: { r: TestRunResult }) {
  return (
    <li className="wir-history-row" aria-label={`${r.run.name}: ${OUTCOME_LABEL[r.outcome]}`}>
      <div className="flex-row flex-center wir-row-main">
        <OutcomePill outcome={r.outcome} />
        <span className="wir-name text-ellipsis">
          {r.run.adoUrl ? (
            <Link href={r.run.adoUrl} target="_blank" rel="noopener noreferrer" subtle>
              {r.run.name}
            </Link>
          ) : (
            r.run.name
          )}
          <span className="secondary-text"> · {r.run.source}</span>
          {r.run.build ? (
            <span className="secondary-text">
              {" · "}
              {r.run.build.url ? (
                <Link href={r.run.build.url} target="_blank" rel="noopener noreferrer" subtle>
                  Build {r.run.build.number}
                </Link>
              ) : (
                `Build ${r.run.build.number}`
              )}
            </span>
          ) : null}
        </span>
        <span className="wir-duration secondary-text">{formatDuration(r.durationMs)}</span>
        <span className="wir-duration secondary-text">
          <Ago date={new Date(r.run.at)} />
        </span>
      </div>
      {r.message ? <Trimmed text={r.message} className="wir-message" /> : null}
      {r.stack && r.stack !== r.message ? <Trimmed text={r.stack} className="wir-stack" pre /> : null}
    </li>
  );
}

function History({ workItemId, test }: { workItemId: number; test: WorkItemTest }) {
  const { api } = usePage();
  const [h, setH] = React.useState<TestHistory | null>(null);
  const [error, setError] = React.useState<Error | null>(null);
  const [busy, setBusy] = React.useState(false);
  useFitFrame(`${h?.results.length ?? -1}:${busy}:${!!error}`);
  const load = React.useCallback(
    async (skip: number) => {
      setBusy(true);
      try {
        const res = await api.api.results["work-items"][":id"].tests[":key"].results.$get({
          param: { id: String(workItemId), key: test.key },
          query: { top: String(HISTORY_PAGE), skip: String(skip) },
        });
        if (res.status !== 200) throw await failure(res);
        const page = await res.json();
        setH((old) => (old && skip ? { ...page, results: [...old.results, ...page.results] } : page));
        setError(null);
      } catch (e) {
        setError(e as Error);
      } finally {
        setBusy(false);
      }
    },
    [api, workItemId, test.key],
  );
  React.useEffect(() => {
    void load(0);
  }, [load]);
  if (error)
    return (
      <ErrorCard error={new Error(`Could not load the test's history: ${error.message}`)} onRetry={() => load(h?.results.length ?? 0)} />
    );
  if (!h) return <Spinner size={SpinnerSize.small} label="Loading history…" className="wir-pad" />;
  const left = h.total - h.results.length;
  return (
    <div className="wir-history">
      <ul className="wir-list" aria-label={`History of ${test.name}`}>
        {h.results.map((r) => (
          <HistoryRow key={r.id} r={r} />
        ))}
      </ul>
      {left > 0 ? (
        <Button
          subtle
          text={busy ? "Loading…" : `Show ${Math.min(left, HISTORY_PAGE)} more of ${left} runs`}
          disabled={busy}
          onClick={() => load(h.results.length)}
        />
      ) : null}
    </div>
  );
}

function DefectLink({ d, onUnlink }: { d: Defect; onUnlink?: () => void }) {
  const text = d.readable ? `${d.type ?? "Work item"} ${d.id}${d.state ? ` · ${d.state}` : ""}` : `#${d.id} (you cannot read it)`;
  return (
    <span className={d.open ? "wir-defect" : "wir-defect wir-defect-closed"}>
      {d.url ? (
        <Link href={d.url} target="_blank" rel="noopener noreferrer" subtle tooltipProps={d.title ? { text: d.title } : undefined}>
          {text}
        </Link>
      ) : (
        text
      )}
      {onUnlink ? (
        <Button subtle iconProps={{ iconName: "Cancel" }} ariaLabel={`Unlink ${d.id}`} onClick={onUnlink} className="wir-unlink" />
      ) : null}
    </span>
  );
}

type Panel = "none" | "create" | "link";

function TestRow({
  workItemId,
  test,
  readOnly,
  onChanged,
}: {
  workItemId: number;
  test: WorkItemTest;
  readOnly: boolean;
  onChanged: () => void;
}) {
  const { api } = usePage();
  const [open, setOpen] = React.useState(false);
  const [panel, setPanel] = React.useState<Panel>("none");
  const [notice, setNotice] = React.useState<string | null>(null);
  useFitFrame(`${open}:${panel}:${notice}`);
  const failing = test.latest.outcome === "failed" || test.latest.outcome === "error";
  const target = { workItemId, testKey: test.key, resultId: test.latest.resultId };
  const unlink = async (d: Defect) => {
    try {
      const res = await api.api.results["work-items"][":id"].tests[":key"].defects[":defectId"].$delete({
        param: { id: String(workItemId), key: test.key, defectId: String(d.id) },
      });
      if (res.status !== 204) throw await failure(res);
      setNotice(`Unlinked ${d.id}`);
      onChanged();
    } catch (e) {
      setNotice(`Could not unlink ${d.id}: ${(e as Error).message}`);
    }
  };
  const detailsId = `wir-details-${test.key}`;
  return (
    <li className="wir-row" aria-label={`${test.name}: ${OUTCOME_LABEL[test.latest.outcome]}`}>
      <div className="flex-row flex-center wir-row-main">
        <Button
          subtle
          className="wir-expand"
          iconProps={{ iconName: open ? "ChevronDown" : "ChevronRight" }}
          ariaLabel={open ? `Hide history of ${test.name}` : `Show history of ${test.name}`}
          ariaExpanded={open}
          ariaControls={detailsId}
          onClick={() => setOpen(!open)}
        />
        <StatusStrip test={test} />
        <span className="wir-name text-ellipsis" title={test.fullName}>
          {test.name || test.fullName}
        </span>
        {test.flaky ? (
          <Pill size={PillSize.compact} className="wir-flaky">
            Flaky
          </Pill>
        ) : null}
        <OutcomePill outcome={test.latest.outcome} />
        <span className="wir-duration secondary-text">{formatDuration(test.latest.durationMs)}</span>
        <span className="wir-duration secondary-text">
          <Ago date={new Date(test.latest.run.at)} />
        </span>
      </div>
      <div className="wir-meta secondary-text text-ellipsis">
        {test.path ? <span title={test.path}>{test.path} · </span> : null}
        <span>
          {test.results} {test.results === 1 ? "run" : "runs"} · latest in {test.latest.run.name}
        </span>
      </div>
      {failing && test.latest.message && !open ? (
        <div className="wir-latest-message" title={test.latest.message}>
          {test.latest.message}
        </div>
      ) : null}
      <div className="flex-row flex-center flex-wrap wir-defects">
        {test.defects.map((d) => (
          <DefectLink key={d.id} d={d} onUnlink={readOnly ? undefined : () => void unlink(d)} />
        ))}
        {test.failingWithoutDefect ? <span className="wir-nodefect">No defect</span> : null}
        {failing && !readOnly && panel === "none" ? (
          <>
            <Button subtle text="Create defect" onClick={() => setPanel("create")} />
            <Button subtle text="Link defect" onClick={() => setPanel("link")} />
          </>
        ) : null}
        {notice ? <span className="secondary-text">{notice}</span> : null}
      </div>
      {panel === "create" ? (
        <CreateDefectPanel
          target={target}
          onCancel={() => setPanel("none")}
          onCreated={(d, createdWith) => {
            setPanel("none");
            setNotice(
              `Created ${d.type ?? "defect"} ${d.id}${createdWith === "connection" ? " (with the organization's connection, naming you)" : ""}`,
            );
            onChanged();
          }}
        />
      ) : null}
      {panel === "link" ? (
        <LinkDefectPanel
          target={target}
          onCancel={() => setPanel("none")}
          onLinked={(d) => {
            setPanel("none");
            setNotice(`Linked ${d.id}`);
            onChanged();
          }}
        />
      ) : null}
      {open ? (
        <div id={detailsId}>
          <History workItemId={workItemId} test={test} />
        </div>
      ) : null}
    </li>
  );
}

function Summary({ data, filter, setFilter }: { data: WorkItemTests; filter: Filter; setFilter: (f: Filter) => void }) {
  const s = data.summary;
  return (
    <div className="wir-summary flex-row flex-wrap" aria-label="Test results summary">
      <div className="wir-summary-text">
        <div className="flex-row flex-center flex-wrap wir-summary-line">
          <span className="wir-passrate" title={passRateDetail(s)}>
            {formatPassRate(s.passRate)} <span className="secondary-text">pass rate</span>
          </span>
          {summaryPills(s).map((p) => (
            <Pill key={p.outcome} size={PillSize.compact} variant={PillVariant.colored} color={OUTCOME_COLOR[p.outcome]}>
              {p.text}
            </Pill>
          ))}
          {s.flaky ? <Pill size={PillSize.compact}>{`${s.flaky} flaky`}</Pill> : null}
        </div>
        <div className="flex-row flex-center flex-wrap wir-summary-line">
          <Checkbox
            label={`Failing with no defect (${s.failingWithoutDefect})`}
            checked={filter === "failingWithoutDefect"}
            onChange={(_, checked) => setFilter(checked ? "failingWithoutDefect" : "all")}
          />
        </div>
        {s.lastRun ? (
          <div className="secondary-text wir-lastrun">
            Last run: {s.lastRun.name} · <Ago date={new Date(s.lastRun.at)} />
          </div>
        ) : null}
      </div>
      {s.trend.length ? (
        <div className="wir-trend-box">
          <TrendChart points={s.trend} />
          <div className="secondary-text wir-trend-caption">Pass rate, last {s.trend.length} runs</div>
        </div>
      ) : null}
    </div>
  );
}

function Results({ id, revision, readOnly }: { id: number; revision: number; readOnly: boolean }) {
  const [filter, setFilter] = React.useState<Filter>("all");
  const { s, reload, loadMore } = useWorkItemTests(id, revision, filter);
  useFitFrame(s.state === "ready" ? `${s.data.tests.length}:${s.more}:${filter}` : s.state);
  if (s.state === "loading") return <Spinner size={SpinnerSize.medium} label="Loading test results…" className="wir-pad" />;
  if (s.state === "error") return <ErrorCard error={new Error(`Could not load test results: ${s.error.message}`)} onRetry={reload} />;
  const { data } = s;
  if (data.summary.tests === 0)
    return (
      <div className="wir-empty wir-pad">
        <div>No test results are linked to this work item yet.</div>
        <div className="secondary-text">
          Results are linked when a JUnit or Katalon report is uploaded with this work item&apos;s id (#{id}), or when a test carries a
          &quot;workitem&quot; property with it.
        </div>
      </div>
    );
  const left = data.total - data.tests.length;
  return (
    <div className="wir-root">
      <Summary data={data} filter={filter} setFilter={setFilter} />
      {data.total === 0 ? <div className="secondary-text wir-pad">Every failing test has a defect.</div> : null}
      <ul className="wir-list" aria-label="Tests">
        {data.tests.map((t) => (
          <TestRow key={t.key} workItemId={id} test={t} readOnly={readOnly} onChanged={reload} />
        ))}
      </ul>
      {left > 0 ? (
        <Button
          subtle
          text={s.more ? "Loading…" : `Show ${Math.min(left, PAGE_SIZE)} more of ${left} tests`}
          disabled={s.more}
          onClick={loadMore}
        />
      ) : null}
    </div>
  );
}

/** The group's content for the work item the form reports. */
export function WorkItemResultsGroup({ form }: { form: FormState }) {
  useFitFrame(form.state);
  if (form.state === "new")
    return <div className="wir-empty wir-pad secondary-text">Save the work item to see the test results linked to it.</div>;
  if (form.state !== "loaded") return <Spinner size={SpinnerSize.medium} label="Waiting for the work item…" className="wir-pad" />;
  return <Results key={form.id} id={form.id} revision={form.revision} readOnly={form.isReadOnly} />;
}

/** Work item form group: the tests linked to the open work item, their history, trend and defects. */
export function WorkItemResultsPage() {
  const form = useWorkItemForm();
  return (
    <PageProvider>
      <WorkItemResultsGroup form={form} />
    </PageProvider>
  );
}
