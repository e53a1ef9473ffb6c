import "./runs.css";
import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Card } from "azure-devops-ui/Card";
import { Link } from "azure-devops-ui/Link";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { ZeroData } from "azure-devops-ui/ZeroData";
import type { Outcome, Result, Run } from "@testops/backend/schemas/results";
import { unwrap, type Api } from "../../common/api";
import { usePage } from "../../common/context";
import { ErrorCard, Loading } from "../../common/ui";
import { CiSettings } from "./CiSettings";
import { buildText, countsText, filesText, OUTCOME_COLOR, OUTCOME_LABEL, originText, progressText, pushText, when } from "./format";

/** Project settings → TestOps → Test runs: every run of the project (any source), a run's results, push. */
export function RunsTab(props: { initialRunId?: string | null; onRunChange?: (runId: string | null) => void }) {
  const { api, project } = usePage();
  if (!project) return <ErrorCard error={new Error("This page needs a project.")} />;
  return <RunsHub api={api} projectId={project.id} projectName={project.name} {...props} />;
}

export interface RunsHubProps {
  api: Api;
  projectId: string;
  projectName: string;
  pollMs?: number;
  /** The run to show first (from the page URL). */
  initialRunId?: string | null;
  /** Told when a run is opened or closed (the page URL follows). */
  onRunChange?: (runId: string | null) => void;
}

export function RunsHub({ api, projectId, projectName, pollMs = 1500, initialRunId = null, onRunChange }: RunsHubProps) {
  const [open, setOpenState] = React.useState<string | null>(initialRunId);
  const setOpen = (id: string | null) => {
    setOpenState(id);
    onRunChange?.(id);
  };
  if (open) return <RunDetail api={api} runId={open} onBack={() => setOpen(null)} pollMs={pollMs} />;
  return (
    <div className="flex-column rhythm-vertical-16">
      <RunsList api={api} projectId={projectId} onOpen={setOpen} />
      <CiSettings api={api} projectId={projectId} projectName={projectName} />
    </div>
  );
}

const PAGE = 25;

function RunsList({ api, projectId, onOpen }: { api: Api; projectId: string; onOpen: (id: string) => void }) {
  const [state, setState] = React.useState<{ runs: Run[]; total: number } | Error>();
  const [skip, setSkip] = React.useState(0);
  const load = React.useCallback(async () => {
    try {
      setState(await unwrap(await api.api.results.runs.$get({ query: { project: projectId, top: String(PAGE), skip: String(skip) } })));
    } catch (e) {
      setState(e as Error);
    }
  }, [api, projectId, skip]);
  React.useEffect(() => {
    void load();
  }, [load]);
  if (!state) return <Loading label="Loading test runs…" />;
  if (state instanceof Error) return <ErrorCard error={state} onRetry={() => void load()} />;
  return (
    <Card
      titleProps={{ text: "Test runs" }}
      headerCommandBarItems={[{ id: "refresh", text: "Refresh", iconProps: { iconName: "Refresh" }, onActivate: () => void load() }]}
    >
      {state.runs.length === 0 ? (
        <ZeroData
          imageAltText=""
          primaryText="No test runs yet"
          secondaryText="Runs arrive from the TestOpsPublishResults@1 pipeline task, from an upload key, or from the import of pipeline test runs below."
        />
      ) : (
        <div className="flex-column flex-grow">
          <ul className="testops-runs-list" aria-label="Test runs">
            {state.runs.map((r) => (
              <li key={r.id} className="testops-runs-row flex-row flex-center testops-runs-gap">
                <div className="flex-column flex-grow">
                  <button className="testops-runs-name" onClick={() => onOpen(r.id)}>
                    {r.name}
                  </button>
                  <span className="testops-runs-meta">
                    {originText(r)} · {when(r.startedAt ?? r.createdAt)}
                    {r.build ? (
                      <>
                        {" · "}
                        <Link href={r.build.url ?? undefined} target="_blank" rel="noopener noreferrer">
                          {buildText(r.build)}
                        </Link>
                      </>
                    ) : null}
                  </span>
                </div>
                <span className="testops-runs-counts">{countsText(r.totals)}</span>
                <Pill size={PillSize.compact} variant={PillVariant.outlined}>
                  {pushText(r)}
                </Pill>
              </li>
            ))}
          </ul>
          {state.total > PAGE ? (
            <div className="flex-row flex-center testops-runs-gap padding-8">
              <Button text="Newer" disabled={skip === 0} onClick={() => setSkip(Math.max(0, skip - PAGE))} />
              <span className="testops-runs-meta">
                {skip + 1}–{Math.min(skip + PAGE, state.total)} of {state.total}
              </span>
              <Button text="Older" disabled={skip + PAGE >= state.total} onClick={() => setSkip(skip + PAGE)} />
            </div>
          ) : null}
        </div>
      )}
    </Card>
  );
}

type Job = { id: string; status: string; progressDone: number; progressTotal: number | null; message: string | null; error: string | null };

function RunDetail({ api, runId, onBack, pollMs }: { api: Api; runId: string; onBack: () => void; pollMs: number }) {
  const [run, setRun] = React.useState<Run | Error>();
  const [outcome, setOutcome] = React.useState<Outcome | "all">("all");
  const [results, setResults] = React.useState<{ results: Result[]; total: number } | Error>();
  const [job, setJob] = React.useState<Job>();
  const [pushError, setPushError] = React.useState<string>();
  const loadRun = React.useCallback(async () => {
    try {
      setRun(await unwrap(await api.api.results.runs[":id"].$get({ param: { id: runId } })));
    } catch (e) {
      setRun(e as Error);
    }
  }, [api, runId]);
  React.useEffect(() => {
    void loadRun();
  }, [loadRun]);
  React.useEffect(() => {
    let live = true;
    setResults(undefined);
    api.api.results.runs[":id"].results
      .$get({ param: { id: runId }, query: { top: "200", ...(outcome === "all" ? {} : { outcome }) } })
      .then(unwrap)
      .then(
        (r) => live && setResults(r),
        (e: Error) => live && setResults(e),
      );
    return () => {
      live = false;
    };
  }, [api, runId, outcome]);
  // While a push runs: its progress, then the run's new state.
  const jobId =
    job?.id ?? (run && !(run instanceof Error) && (run.ado.status === "queued" || run.ado.status === "pushing") ? run.ado.jobId : null);
  React.useEffect(() => {
    if (!jobId) return;
    let live = true;
    const tick = async () => {
      try {
        const j = (await unwrap(await api.api.jobs[":id"].$get({ param: { id: jobId } }))) as Job;
        if (!live) return;
        setJob(j);
        if (j.status === "queued" || j.status === "running") timer = setTimeout(() => void tick(), pollMs);
        else await loadRun();
      } catch (e) {
        if (live) setPushError((e as Error).message);
      }
    };
    let timer = setTimeout(() => void tick(), 0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, jobId, pollMs, loadRun]);

  const push = async () => {
    setPushError(undefined);
    try {
      const r = (await unwrap(await api.api.results.runs[":id"].push.$post({ param: { id: runId } }))) as unknown as { run: Run; job: Job };
      setRun(r.run);
      setJob(r.job);
    } catch (e) {
      setPushError((e as Error).message);
    }
  };

  if (!run) return <Loading label="Loading the run…" />;
  if (run instanceof Error) return <ErrorCard error={run} onRetry={() => void loadRun()} />;
  const t = run.totals;
  const running = job && (job.status === "queued" || job.status === "running");
  const counts: [Outcome | "all", number][] = [
    ["all", t.total],
    ["passed", t.passed],
    ["failed", t.failed],
    ["error", t.error],
    ["skipped", t.skipped],
  ];
  return (
    <div className="flex-column rhythm-vertical-16">
      <div className="flex-row flex-center testops-runs-gap">
        <Button text="All runs" iconProps={{ iconName: "Back" }} onClick={onBack} subtle />
        <h2 className="title-m margin-0 flex-grow">{run.name}</h2>
        {run.ado.url ? (
          <Link href={run.ado.url} target="_blank" rel="noopener noreferrer">
            Open in Azure Test Plans
          </Link>
        ) : null}
        <Button
          text={running ? "Pushing…" : "Push to Azure Test Plans"}
          primary
          disabled={!!running || run.ado.status === "pushed" || run.ado.status === "queued" || run.ado.status === "pushing"}
          onClick={() => void push()}
        />
      </div>
      <Card>
        <div className="flex-column rhythm-vertical-8">
          <span>
            {originText(run)} · {countsText(t)} · {pushText(run)}
          </span>
          {run.build ? (
            <span>
              Build:{" "}
              <Link href={run.build.url ?? undefined} target="_blank" rel="noopener noreferrer">
                {buildText(run.build)}
              </Link>
            </span>
          ) : null}
          <span className="testops-runs-meta">
            {run.startedAt ? `Ran ${when(run.startedAt)}` : `Received ${when(run.createdAt)}`}
            {run.fileName ? ` · ${filesText(run.fileName, run.files)}` : ""} · {run.source}
          </span>
          {running ? <span role="status">{progressText(job!)}</span> : null}
          {job?.status === "failed" || run.ado.status === "failed" ? (
            <MessageCard severity={MessageCardSeverity.Error}>{run.ado.error ?? job?.error ?? "The push failed"}</MessageCard>
          ) : null}
          {pushError ? <MessageCard severity={MessageCardSeverity.Error}>{pushError}</MessageCard> : null}
        </div>
      </Card>
      <div className="flex-row testops-runs-gap" role="tablist" aria-label="Results by outcome">
        {counts.map(([o, n]) => (
          <Button
            key={o}
            role="tab"
            aria-selected={outcome === o}
            text={`${o === "all" ? "All" : OUTCOME_LABEL[o]} (${n})`}
            primary={outcome === o}
            onClick={() => setOutcome(o)}
          />
        ))}
      </div>
      {!results ? (
        <Loading label="Loading results…" />
      ) : results instanceof Error ? (
        <ErrorCard error={results} />
      ) : results.results.length === 0 ? (
        <ZeroData imageAltText="" primaryText="No results with this outcome" />
      ) : (
        <ul className="testops-runs-results" aria-label="Results">
          {results.results.map((r) => (
            <ResultRow key={r.id} r={r} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ResultRow({ r }: { r: Result }) {
  const [open, setOpen] = React.useState(r.outcome === "failed" || r.outcome === "error");
  const failure = r.message || r.stack;
  return (
    <li className="testops-runs-row flex-column" aria-label={`${r.name}: ${OUTCOME_LABEL[r.outcome]}`}>
      <div className="flex-row flex-center testops-runs-gap">
        <Pill size={PillSize.compact} variant={PillVariant.colored} color={OUTCOME_COLOR[r.outcome]}>
          {OUTCOME_LABEL[r.outcome]}
        </Pill>
        <span className="flex-grow">
          {r.name} <span className="testops-runs-meta">{r.path}</span>
        </span>
        {r.workItemIds.length ? (
          <span className="testops-runs-meta">Work items {r.workItemIds.map((id) => `#${id}`).join(", ")}</span>
        ) : null}
        {failure ? <Button subtle text={open ? "Hide details" : "Details"} onClick={() => setOpen(!open)} /> : null}
      </div>
      {failure && open ? (
        <pre className="testops-runs-stack">
          {r.message}
          {r.message && r.stack ? "\n\n" : ""}
          {r.stack}
        </pre>
      ) : null}
    </li>
  );
}
