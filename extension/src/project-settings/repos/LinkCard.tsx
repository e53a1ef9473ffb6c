import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { ButtonGroup } from "azure-devops-ui/ButtonGroup";
import { Card } from "azure-devops-ui/Card";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { ProgressBar } from "azure-devops-ui/ProgressBar";
import { Status, Statuses, StatusSize } from "azure-devops-ui/Status";
import type { ReposJob, ReposLink, ReportEntry } from "@testops/backend/schemas/repos";
import { ago, isRunning, shortSha, targetText } from "./format";

const LOOK = { Active: Statuses.Success, Inactive: Statuses.Queued, Error: Statuses.Failed } as const;

/** Inactive / Active / Error, "Syncing" while a job runs, "Archived" when archived; the reason is in the accessible name. */
export function ReposStatusPill({ link }: { link: ReposLink }) {
  const syncing = isRunning(link);
  const text = link.archived ? "Archived" : syncing ? "Syncing" : link.status;
  const look = link.archived ? Statuses.Skipped : syncing ? Statuses.Running : LOOK[link.status];
  const reason = !syncing && !link.archived && link.status === "Error" && link.statusReason ? ` (${link.statusReason})` : "";
  return (
    <Pill
      size={PillSize.compact}
      variant={PillVariant.outlined}
      ariaLabel={`Status: ${text}${reason}`}
      onRenderFilledVisual={() => <Status {...look} size={StatusSize.s} animated={syncing} />}
    >
      {text}
    </Pill>
  );
}

function JobProgress({ job }: { job: ReposJob }) {
  const total = job.progressTotal ?? 0;
  const done = Math.min(job.progressDone, total || job.progressDone);
  const what = job.status === "queued" ? "Queued" : total ? `${Math.round((done / total) * 100)}%` : "Starting…";
  return (
    <div className="flex-column rhythm-vertical-4" role="status" aria-live="polite">
      <ProgressBar currentValue={total ? done : 0} maxValue={Math.max(total, 1)} ariaLabel={`Sync progress: ${what}`} />
      <div className="body-s testops-muted">
        {what}
        {job.message ? ` · ${job.message}` : ""}
      </div>
    </div>
  );
}

/** What the last sync skipped and why (and its warnings), as the sync stored it. */
function SyncReport({ entries, total }: { entries: ReportEntry[]; total: number }) {
  const groups: [ReportEntry["severity"], string][] = [
    ["skipped", "Skipped files"],
    ["warning", "Warnings"],
  ];
  return (
    <div className="testops-repos-report" role="region" aria-label="Sync report">
      {groups.map(([severity, title]) => {
        const list = entries.filter((e) => e.severity === severity);
        if (!list.length) return null;
        return (
          <div key={severity} className="rhythm-vertical-4">
            <div className="font-weight-semibold body-m">
              {title} ({list.length})
            </div>
            <ul className="testops-repos-report-list" aria-label={title}>
              {list.map((e, i) => (
                <li key={`${e.path}:${i}`}>
                  <span className="testops-repos-path" title={e.path}>
                    {e.path}
                  </span>{" "}
                  <span className="testops-muted">{e.reason}</span>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
      {total > entries.length && <div className="body-s testops-muted">…and {total - entries.length} more.</div>}
    </div>
  );
}

export interface LinkCardProps {
  link: ReposLink;
  busy: boolean;
  /** False for members who are not project administrators: no actions (the backend would refuse them). */
  canEdit: boolean;
  onSync(): void;
  onEdit(): void;
  onArchive(): void;
  onUnarchive(): void;
}

/** One Repos link: where it points, status, live sync progress, counts, the skipped-file report, actions. */
export function LinkCard({ link, busy, canEdit, onSync, onEdit, onArchive, onUnarchive }: LinkCardProps) {
  const [showReport, setShowReport] = React.useState(false);
  const running = isRunning(link);
  const s = link.lastSync;
  const failedJob = link.job?.status === "failed" ? link.job : null;
  return (
    <Card className="testops-repos-link flex-self-stretch" contentProps={{ contentPadding: true }}>
      <section className="flex-column rhythm-vertical-8 flex-grow" role="region" aria-label={link.name}>
        <div className="flex-row flex-center rhythm-horizontal-8 flex-wrap">
          <span className="title-s">{link.name}</span>
          <ReposStatusPill link={link} />
          <span className="flex-grow" />
          {canEdit && (
            <ButtonGroup>
              {!link.archived && <Button text="Sync now" iconProps={{ iconName: "Refresh" }} onClick={onSync} disabled={busy || running} />}
              {!link.archived && <Button text="Edit" iconProps={{ iconName: "Edit" }} onClick={onEdit} disabled={busy} />}
              {link.archived ? (
                <Button text="Unarchive" iconProps={{ iconName: "Undo" }} onClick={onUnarchive} disabled={busy} />
              ) : (
                <Button text="Archive" iconProps={{ iconName: "Inbox" }} onClick={onArchive} disabled={busy} />
              )}
            </ButtonGroup>
          )}
        </div>
        <div className="body-m">
          {/^https:\/\//i.test(link.url) ? (
            <a href={link.url} target="_blank" rel="noopener noreferrer" className="testops-repos-path">
              {targetText(link)}
            </a>
          ) : (
            <span className="testops-repos-path">{targetText(link)}</span>
          )}
        </div>
        {link.description && <div className="body-m testops-muted">{link.description}</div>}
        {running && link.job && <JobProgress job={link.job} />}
        {!running && link.status === "Error" && link.statusReason && !link.archived && (
          <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch">
            Last sync failed: {failedJob?.error ?? link.statusReason}
          </MessageCard>
        )}
        {link.status === "Inactive" && !running && !link.archived && (
          <div className="body-s testops-muted">Saved without syncing. Sync now to read its Katalon test cases and suites.</div>
        )}
        {s && (
          <div className="body-s testops-muted" aria-label="Last sync">
            {link.counts.testCases} test cases · {link.counts.suites} suites · synced {ago(link.lastSyncedAt)} at commit{" "}
            {shortSha(link.lastCommit)} · {s.mode === "unchanged" ? "no change" : `${s.mode} sync in ${s.requests} Azure DevOps requests`}
            {link.linkResults ? " · linked with execution results" : ""}
          </div>
        )}
        {s && s.reportTotal > 0 && (
          <div>
            <Button
              subtle
              text={`${showReport ? "Hide" : "Show"} sync report (${s.skipped} skipped, ${s.warnings} warnings)`}
              iconProps={{ iconName: showReport ? "ChevronDownMed" : "ChevronRightMed" }}
              onClick={() => setShowReport((v) => !v)}
              ariaExpanded={showReport}
            />
            {showReport && <SyncReport entries={s.report} total={s.reportTotal} />}
          </div>
        )}
      </section>
    </Card>
  );
}
