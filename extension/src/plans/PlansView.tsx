import "../project-settings/boards/boards.css";
import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Card } from "azure-devops-ui/Card";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { Link } from "azure-devops-ui/Link";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Page } from "azure-devops-ui/Page";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { ProgressBar } from "azure-devops-ui/ProgressBar";
import { Status, Statuses, StatusSize } from "azure-devops-ui/Status";
import { ZeroData } from "azure-devops-ui/ZeroData";
import type { Job } from "@testops/backend/routes/jobs";
import type { BoardsLink, Plans } from "@testops/backend/schemas/boards";
import { unwrap } from "../common/api";
import { usePage } from "../common/context";
import { SDK } from "../common/sdk";
import { ErrorCard, Loading } from "../common/ui";
import { fmtDay, fmtRange, fmtTime, plural } from "../project-settings/boards/format";
import { isForbidden, useAsync, useJob } from "../project-settings/boards/hooks";
import { JobProgress, LinkStatusPill } from "../project-settings/boards/status";

type Release = Plans["releases"][number];
type Sprint = Release["sprints"][number];
type Requirement = Release["requirements"][number];
type Coverage = Release["coverage"];

const TIMING: Record<Release["status"], string> = { planned: "Planned", current: "Current", past: "Past", undated: "No dates" };

/** Boards → TestOps Plans: releases and sprints of this project's live Boards links, their requirements and progress. */
export function PlansView() {
  const { api, project, collectionUrl } = usePage();
  const projectId = project?.id ?? "";
  const [tick, setTick] = React.useState(0);
  const [plans, reloadPlans] = useAsync(
    `${projectId}`,
    async () => (await unwrap(await api.api.boards.plans.$get({ query: { projectId } }))) as Plans,
  );
  // Jobs already running when the page opens (e.g. a sync started from Project settings) show their progress too.
  const [links] = useAsync(`${projectId}|${tick}`, async () =>
    (((await unwrap(await api.api.boards.links.$get({ query: { projectId } }))).links as BoardsLink[]) ?? []).filter((l) => !l.archived),
  );
  const [started, setStarted] = React.useState<Record<string, string>>({});
  const [message, setMessage] = React.useState<{ error: boolean; text: string } | null>(null);
  const running: Record<string, string> = {};
  if (links.state === "ready") for (const l of links.value) if (l.activeJobId) running[l.id] = l.activeJobId;
  Object.assign(running, started);
  const names = new Map((plans.state === "ready" ? plans.value.links : []).map((l) => [l.id, l.projectName]));

  const sync = async () => {
    setMessage(null);
    const ids = plans.state === "ready" ? plans.value.links.map((l) => l.id) : [];
    try {
      const jobs: Record<string, string> = {};
      for (const id of ids) {
        const res = await unwrap(await api.api.boards.links[":id"].sync.$post({ param: { id }, json: { full: false } }));
        jobs[id] = (res.job as Job).id;
      }
      setStarted((s) => ({ ...s, ...jobs }));
    } catch (e) {
      setMessage({
        error: true,
        text: isForbidden(e) ? `Only project administrators can start a sync (${(e as Error).message}).` : (e as Error).message,
      });
    }
  };
  const jobDone = (linkId: string, job: Job) => {
    setStarted(({ [linkId]: _done, ...rest }) => rest);
    if (job.status === "failed") setMessage({ error: true, text: `Sync failed: ${job.error ?? job.message ?? "unknown error"}` });
    setTick((t) => t + 1);
    reloadPlans();
  };

  const hasLinks = plans.state === "ready" && plans.value.links.length > 0;
  const busy = Object.keys(running).length > 0;
  return (
    <Page className="flex-grow testops-plans">
      <Header
        title="TestOps Plans"
        description={`Releases, sprints and requirements of ${project?.name ?? "this project"} from Azure Boards`}
        titleSize={TitleSize.Large}
      />
      <div className="page-content page-content-top flex-column rhythm-vertical-16">
        {hasLinks ? (
          <div className="flex-row flex-center flex-wrap rhythm-horizontal-16">
            <Button text={busy ? "Syncing…" : "Sync"} primary iconProps={{ iconName: "Refresh" }} disabled={busy} onClick={sync} />
            {plans.state === "ready"
              ? plans.value.links.map((l) => (
                  <span key={l.id} className="flex-row flex-center rhythm-horizontal-8">
                    <LinkStatusPill status={l.status} syncing={!!running[l.id]} />
                    <span className="body-s testops-muted">Last synced {fmtTime(l.lastSyncAt)}</span>
                  </span>
                ))
              : null}
          </div>
        ) : null}
        {Object.entries(running).map(([linkId, jobId]) => (
          <SyncProgress
            key={jobId}
            jobId={jobId}
            label={`Sync of ${names.get(linkId) ?? "the Boards link"}`}
            onDone={(j) => jobDone(linkId, j)}
          />
        ))}
        {message ? (
          <MessageCard severity={message.error ? MessageCardSeverity.Error : MessageCardSeverity.Info} onDismiss={() => setMessage(null)}>
            {message.text}
          </MessageCard>
        ) : null}
        {plans.state === "loading" || plans.state === "idle" ? (
          <Loading label="Loading plans…" />
        ) : plans.state === "error" ? (
          <ErrorCard error={plans.error} onRetry={reloadPlans} />
        ) : !hasLinks ? (
          <NotLinked collectionUrl={collectionUrl} projectName={project?.name ?? ""} />
        ) : plans.value.releases.length === 0 ? (
          <ZeroData
            primaryText="No releases synced yet"
            secondaryText={busy ? "The first sync is running." : "Run a sync to bring in releases and sprints from the iteration tree."}
            imageAltText=""
          />
        ) : (
          <>
            {plans.value.releases.map((r) => (
              <ReleaseCard key={r.id} release={r} />
            ))}
            {plans.value.unplannedRequirements ? (
              <div className="body-m testops-muted">
                {plural(plans.value.unplannedRequirements, "requirement")} outside every synced release (e.g. in the Backlog iteration).
              </div>
            ) : null}
          </>
        )}
      </div>
    </Page>
  );
}

function SyncProgress({ jobId, label, onDone }: { jobId: string; label: string; onDone: (job: Job) => void }) {
  const job = useJob(jobId, onDone);
  return (
    <div aria-label={label}>
      <div className="body-m">{label}</div>
      <JobProgress job={job} label={label} />
    </div>
  );
}

function NotLinked({ collectionUrl, projectName }: { collectionUrl: string; projectName: string }) {
  const ext = SDK.getExtensionContext();
  const href = `${collectionUrl.replace(/\/?$/, "/")}${encodeURIComponent(projectName)}/_settings/${ext.publisherId}.${ext.extensionId}.project-settings`;
  return (
    <ZeroData
      primaryText="This project is not linked to TestOps Boards yet"
      secondaryText={
        <span>
          A project administrator creates a Boards link in{" "}
          <Link href={href} target="_top">
            Project settings → TestOps
          </Link>
          ; its releases, sprints and requirements then appear here.
        </span>
      }
      imageAltText=""
    />
  );
}

function CoverageBar({ c, label }: { c: Coverage; label: string }) {
  const parts = Object.entries(c.byStatus)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${s} ${n}`);
  return (
    <div className="flex-column rhythm-vertical-4 testops-coverage">
      <ProgressBar currentValue={c.done} maxValue={Math.max(c.total, 1)} ariaLabel={`${label}: ${c.percent}% of requirements done`} />
      <div className="body-s testops-muted">
        {c.total ? `${c.done} of ${plural(c.total, "requirement")} done or resolved (${c.percent}%)` : "No requirements"}
        {parts.length ? ` · ${parts.join(" · ")}` : ""}
      </div>
      {c.total ? (
        <div className="body-s testops-muted">
          {c.tested
            ? `Tests: ${c.tested} of ${c.total} tested (${c.testedPercent}%) · ${c.passed} passing · ${c.failed} failing` +
              (c.failingWithoutDefect ? ` · ${plural(c.failingWithoutDefect, "failing test")} with no defect` : "")
            : "Tests: no test results linked to these requirements yet"}
        </div>
      ) : null}
    </div>
  );
}

function TimingPill({ status }: { status: Release["status"] }) {
  return (
    <Pill
      size={PillSize.compact}
      variant={status === "current" ? PillVariant.colored : PillVariant.outlined}
      color={status === "current" ? { red: 0, green: 120, blue: 212 } : undefined}
    >
      {TIMING[status]}
    </Pill>
  );
}

function ReleaseCard({ release: r }: { release: Release }) {
  return (
    <Card
      className="testops-release"
      collapsible
      titleProps={{ text: r.name, ariaLevel: 2 }}
      headerDescriptionProps={{
        text: `${fmtRange(r.startDate, r.finishDate)}${r.releaseDate ? ` · release date ${fmtDay(r.releaseDate)}` : ""} · ${plural(r.bugs, "bug")}`,
      }}
    >
      <section className="flex-column rhythm-vertical-16 flex-grow" aria-label={`Release ${r.name}`}>
        <div className="flex-row flex-center rhythm-horizontal-16">
          <TimingPill status={r.status} />
          <div className="flex-grow">
            <CoverageBar c={r.coverage} label={`Release ${r.name}`} />
          </div>
        </div>
        {r.sprints.map((s) => (
          <SprintBlock key={s.id} sprint={s} />
        ))}
        {r.requirements.length ? (
          <div className="flex-column rhythm-vertical-8">
            <h4 className="title-xs testops-h">In the release itself</h4>
            <RequirementsTable items={r.requirements} label={`Requirements of ${r.name}`} />
          </div>
        ) : null}
      </section>
    </Card>
  );
}

function SprintBlock({ sprint: s }: { sprint: Sprint }) {
  return (
    <section className="testops-sprint flex-column rhythm-vertical-8" aria-label={`Sprint ${s.name}`}>
      <div className="flex-row flex-center flex-wrap rhythm-horizontal-8">
        <h3 className="title-s testops-h">{s.name}</h3>
        <TimingPill status={s.status} />
        <span className="body-s testops-muted">
          {s.missingDates ? "No start or finish date in Azure DevOps" : fmtRange(s.startDate, s.finishDate)} · {plural(s.bugs, "bug")}
        </span>
      </div>
      <CoverageBar c={s.coverage} label={`Sprint ${s.name}`} />
      {s.requirements.length ? <RequirementsTable items={s.requirements} label={`Requirements of ${s.name}`} /> : null}
    </section>
  );
}

function RequirementsTable({ items, label }: { items: Requirement[]; label: string }) {
  return (
    <table className="testops-map-table testops-preview-table" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">ID</th>
          <th scope="col">Title</th>
          <th scope="col">Type</th>
          <th scope="col">State</th>
          <th scope="col">Status</th>
          <th scope="col">Priority</th>
          <th scope="col">Release date</th>
          <th scope="col">Tests</th>
        </tr>
      </thead>
      <tbody>
        {items.map((q) => (
          <tr key={q.id}>
            <td>
              {q.url ? (
                <Link href={q.url} target="_blank" rel="noopener noreferrer">
                  {q.adoId}
                </Link>
              ) : (
                q.adoId
              )}
            </td>
            <td className="text-ellipsis">{q.title}</td>
            <td>{q.workItemType}</td>
            <td>{q.adoState ?? "—"}</td>
            <td>{q.status ?? <span className="testops-muted">unmapped</span>}</td>
            <td>{q.priority ?? "—"}</td>
            <td>{q.releaseDate ? fmtDay(q.releaseDate) : "—"}</td>
            <td>
              <TestOutcome outcome={q.testOutcome} tests={q.tests} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const OUTCOME = {
  passed: { status: Statuses.Success, text: "Passed" },
  failed: { status: Statuses.Failed, text: "Failed" },
  skipped: { status: Statuses.Skipped, text: "Skipped" },
} as const;

/** A requirement's linked tests, judged by their latest results (failed if any failed). */
function TestOutcome({ outcome, tests }: { outcome: Requirement["testOutcome"]; tests: number }) {
  if (!outcome) return <span className="testops-muted">No tests</span>;
  const o = OUTCOME[outcome];
  return (
    <span className="flex-row flex-center rhythm-horizontal-4" aria-label={`Tests: ${o.text}, ${plural(tests, "test")}`}>
      <Status {...o.status} size={StatusSize.s} />
      <span>
        {o.text} <span className="testops-muted">({plural(tests, "test")})</span>
      </span>
    </span>
  );
}
