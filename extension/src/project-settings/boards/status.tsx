import * as React from "react";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { ProgressBar } from "azure-devops-ui/ProgressBar";
import { Status, Statuses, StatusSize } from "azure-devops-ui/Status";
import type { Job } from "@testops/backend/routes/jobs";
import type { LinkStatus } from "@testops/backend/schemas/boards";

const LOOK: Record<LinkStatus, typeof Statuses.Success> = {
  Active: Statuses.Success,
  Inactive: Statuses.Queued,
  Error: Statuses.Failed,
};

/** Inactive / Active / Error pill; "Syncing" while a job runs. The reason is in the accessible name too. */
export function LinkStatusPill({ status, reason, syncing }: { status: LinkStatus; reason?: string | null; syncing?: boolean }) {
  const text = syncing ? "Syncing" : status;
  const look = syncing ? Statuses.Running : LOOK[status];
  return (
    <Pill
      size={PillSize.compact}
      variant={PillVariant.outlined}
      ariaLabel={`Status: ${text}${reason && !syncing ? ` (${reason})` : ""}`}
      onRenderFilledVisual={() => <Status {...look} size={StatusSize.s} animated={syncing} />}
      className="testops-status-pill"
    >
      {text}
    </Pill>
  );
}

/** A sync job's progress: a bar with "done / total" and the job's own message. */
export function JobProgress({ job, label }: { job: Job | null; label: string }) {
  if (!job) return <div className="testops-muted body-s">Starting sync…</div>;
  const total = job.progressTotal ?? 0;
  const done = Math.min(job.progressDone, total || job.progressDone);
  const pct = total ? Math.round((done / total) * 100) : 0;
  const what = job.status === "queued" ? "Queued" : job.status === "running" ? (total ? `${pct}%` : "Reading Azure DevOps…") : job.status;
  return (
    <div className="testops-job flex-column rhythm-vertical-4" role="status" aria-live="polite">
      <ProgressBar currentValue={total ? done : 0} maxValue={Math.max(total, 1)} ariaLabel={`${label}: ${what}`} />
      <div className="body-s testops-muted">
        {what}
        {job.message ? ` · ${job.message}` : ""}
      </div>
    </div>
  );
}
