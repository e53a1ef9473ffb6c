import "./work-item-results.css";
import * as React from "react";
import type { IWorkItemFormService, IWorkItemLoadedArgs, IWorkItemNotificationListener } from "azure-devops-extension-api/WorkItemTracking";
import { Ago } from "azure-devops-ui/Ago";
import { Button } from "azure-devops-ui/Button";
import { Link } from "azure-devops-ui/Link";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import type { WorkItemResult, WorkItemResults } from "@testops/backend/schemas/results";
import { formatPassRate } from "@testops/backend/schemas/results-format";
import { unwrap } from "../common/api";
import { PageProvider, usePage } from "../common/context";
import { initSdk, SDK, ServiceIds } from "../common/sdk";
import { ErrorCard } from "../common/ui";
import { formatDuration, OUTCOME_COLOR, OUTCOME_LABEL, passRateDetail, summaryPills } from "./format";

export const PAGE_SIZE = 20;

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

type Loaded = { state: "loading" } | { state: "error"; error: Error } | { state: "ready"; data: WorkItemResults; more: boolean };

function useWorkItemResults(id: number, revision: number) {
  const { api } = usePage();
  const [s, setS] = React.useState<Loaded>({ state: "loading" });
  const [tick, setTick] = React.useState(0);
  const fetchPage = React.useCallback(
    async (skip: number): Promise<WorkItemResults> => {
      const res = await api.api.results["work-items"][":id"].$get({
        param: { id: String(id) },
        query: { top: String(PAGE_SIZE), skip: String(skip) },
      });
      if (res.status === 200) return res.json();
      // Any other answer carries the API's error body: unwrap turns it into an ApiClientError.
      throw await unwrap(res).catch((e: unknown) => e);
    },
    [api, id],
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
      const next = await fetchPage(s.data.results.length);
      setS({ state: "ready", data: { ...next, results: [...s.data.results, ...next.results] }, more: false });
    } catch (error) {
      setS({ state: "error", error: error as Error });
    }
  };
  return { s, retry: () => setTick((t) => t + 1), loadMore };
}

function OutcomePill({ outcome }: { outcome: WorkItemResult["outcome"] }) {
  return (
    <Pill size={PillSize.compact} variant={PillVariant.colored} color={OUTCOME_COLOR[outcome]} className="wir-outcome">
      {OUTCOME_LABEL[outcome]}
    </Pill>
  );
}

function ResultRow({ r }: { r: WorkItemResult }) {
  const [open, setOpen] = React.useState(false);
  useFitFrame(open);
  const detailsId = `wir-details-${r.id}`;
  const failure = r.message || r.stack;
  return (
    <li className="wir-row" aria-label={`${r.name}: ${OUTCOME_LABEL[r.outcome]}`}>
      <div className="flex-row flex-center wir-row-main">
        <OutcomePill outcome={r.outcome} />
        <span className="wir-name text-ellipsis" title={r.fullName}>
          {r.name || r.fullName}
        </span>
        <span className="wir-duration secondary-text">{formatDuration(r.durationMs)}</span>
      </div>
      <div className="wir-meta secondary-text text-ellipsis">
        {r.path ? <span title={r.path}>{r.path} · </span> : null}
        {r.run.adoUrl ? (
          <Link href={r.run.adoUrl} target="_blank" rel="noopener noreferrer" subtle>
            {r.run.name}
          </Link>
        ) : (
          <span>{r.run.name}</span>
        )}
        {" · "}
        <Ago date={new Date(r.run.at)} />
      </div>
      {failure ? (
        <>
          <Button
            className="wir-toggle"
            subtle
            text={open ? "Hide details" : r.outcome === "skipped" ? "Show reason" : "Show failure"}
            iconProps={{ iconName: open ? "ChevronDown" : "ChevronRight" }}
            ariaExpanded={open}
            ariaControls={detailsId}
            onClick={() => setOpen(!open)}
          />
          {open ? (
            <div id={detailsId} className="wir-details">
              {r.message ? <div className="wir-message">{r.message}</div> : null}
              {r.stack && r.stack !== r.message ? <pre className="wir-stack">{r.stack}</pre> : null}
            </div>
          ) : null}
        </>
      ) : null}
    </li>
  );
}

function Summary({ data }: { data: WorkItemResults }) {
  const s = data.summary;
  return (
    <div className="wir-summary" aria-label="Test results summary">
      <div className="flex-row flex-center flex-wrap wir-summary-line">
        <span className="wir-passrate" title={passRateDetail(s)}>
          {formatPassRate(s.passRate)} <span className="secondary-text">pass rate</span>
        </span>
        {summaryPills(s).map((p) => (
          <Pill key={p.outcome} size={PillSize.compact} variant={PillVariant.colored} color={OUTCOME_COLOR[p.outcome]}>
            {p.text}
          </Pill>
        ))}
      </div>
      {s.lastRun ? (
        <div className="secondary-text wir-lastrun">
          Last run: {s.lastRun.name} · <Ago date={new Date(s.lastRun.at)} />
        </div>
      ) : null}
    </div>
  );
}

function Results({ id, revision }: { id: number; revision: number }) {
  const { s, retry, loadMore } = useWorkItemResults(id, revision);
  useFitFrame(s.state === "ready" ? `${s.data.results.length}:${s.more}` : s.state);
  if (s.state === "loading") return <Spinner size={SpinnerSize.medium} label="Loading test results…" className="wir-pad" />;
  if (s.state === "error") return <ErrorCard error={new Error(`Could not load test results: ${s.error.message}`)} onRetry={retry} />;
  const { data } = s;
  if (data.total === 0)
    return (
      <div className="wir-empty wir-pad">
        <div>No test results are linked to this work item yet.</div>
        <div className="secondary-text">
          Results are linked when a JUnit or Katalon report is uploaded with this work item&apos;s id (#{id}), or when a test carries a
          &quot;workitem&quot; property with it.
        </div>
      </div>
    );
  const left = data.total - data.results.length;
  return (
    <div className="wir-root">
      <Summary data={data} />
      <ul className="wir-list" aria-label="Test results">
        {data.results.map((r) => (
          <ResultRow key={r.id} r={r} />
        ))}
      </ul>
      {left > 0 ? (
        <Button
          subtle
          text={s.more ? "Loading…" : `Show ${Math.min(left, PAGE_SIZE)} more of ${left}`}
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
  return <Results key={form.id} id={form.id} revision={form.revision} />;
}

/** Work item form group: the test results linked to the open work item. */
export function WorkItemResultsPage() {
  const form = useWorkItemForm();
  return (
    <PageProvider>
      <WorkItemResultsGroup form={form} />
    </PageProvider>
  );
}
