import "./boards.css";
import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { ButtonGroup } from "azure-devops-ui/ButtonGroup";
import { Card } from "azure-devops-ui/Card";
import { Dialog } from "azure-devops-ui/Dialog";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { ContentSize } from "azure-devops-ui/Callout";
import { Panel } from "azure-devops-ui/Panel";
import { Toggle } from "azure-devops-ui/Toggle";
import { ZeroData } from "azure-devops-ui/ZeroData";
import type { Job } from "@testops/backend/routes/jobs";
import type { BoardsLink } from "@testops/backend/schemas/boards";
import { ApiClientError, unwrap } from "../../common/api";
import { usePage } from "../../common/context";
import { preloadable, usePreload } from "../../common/lazy";
import { ErrorCard, Loading } from "../../common/ui";
import { fmtTime, plural } from "./format";
import { isForbidden, useAsync, useJob } from "./hooks";
import { JobProgress, LinkStatusPill } from "./status";

// The wizard (its steps, preview and the shared zod schemas it validates with) is a chunk of its own,
// loaded when it first opens: most visits only look at the links (scripts/bundle-budget.ts).
const { Component: LinkWizard, preload: preloadWizard } = preloadable(() => import("./Wizard").then((m) => m.LinkWizard));

type Access = { canEdit: true } | { canEdit: false; reason: string; noConnection?: boolean };

/** Boards links of this project: status (live while syncing), Edit / Sync / Archive, and the wizard for new links. */
export function BoardsLinks() {
  const { api, project } = usePage();
  const projectId = project?.id ?? "";
  const [showArchived, setShowArchived] = React.useState(false);
  const [links, reload] = useAsync(
    `${projectId}|${showArchived}`,
    async () =>
      (await unwrap(await api.api.boards.links.$get({ query: { projectId, includeArchived: showArchived ? "true" : "false" } })))
        .links as BoardsLink[],
  );
  // Only project admins may change links. ADO decides (the backend asks it); a picker the wizard needs anyway
  // tells us up front, so non-admins get a read-only page instead of failing buttons.
  const [probe] = useAsync<Access>(projectId, async () => {
    try {
      await unwrap(await api.api.boards.ado.projects[":project"].teams.$get({ param: { project: projectId } }));
      return { canEdit: true };
    } catch (e) {
      if (isForbidden(e)) return { canEdit: false, reason: (e as Error).message };
      if (e instanceof ApiClientError && e.status === 409 && e.code === "no_connection")
        return { canEdit: false, reason: e.message, noConnection: true };
      return { canEdit: true };
    }
  });
  const [forbidden, setForbidden] = React.useState<string | null>(null);
  const access: Access | null = forbidden ? { canEdit: false, reason: forbidden } : probe.state === "ready" ? probe.value : null;
  const canEdit = access?.canEdit === true;
  usePreload(canEdit, preloadWizard);

  const [wizard, setWizard] = React.useState<null | { link?: BoardsLink }>(null);
  const [confirm, setConfirm] = React.useState<BoardsLink | null>(null);
  const [started, setStarted] = React.useState<Record<string, string>>({});
  const [actionError, setActionError] = React.useState<string | null>(null);

  const act = async (run: () => Promise<void>) => {
    setActionError(null);
    try {
      await run();
    } catch (e) {
      if (isForbidden(e)) setForbidden((e as Error).message);
      else setActionError(e instanceof Error ? e.message : String(e));
    }
  };
  const sync = (link: BoardsLink) =>
    act(async () => {
      const res = await unwrap(await api.api.boards.links[":id"].sync.$post({ param: { id: link.id }, json: { full: false } }));
      setStarted((s) => ({ ...s, [link.id]: (res.job as Job).id }));
    });
  const setArchived = (link: BoardsLink, archived: boolean) =>
    act(async () => {
      const route = archived ? api.api.boards.links[":id"].archive : api.api.boards.links[":id"].unarchive;
      await unwrap(await route.$post({ param: { id: link.id } }));
      setStarted(({ [link.id]: _gone, ...rest }) => rest);
      reload();
    });

  return (
    <div className="flex-column rhythm-vertical-16 testops-boards">
      {access && !access.canEdit ? (
        <MessageCard severity={access.noConnection ? MessageCardSeverity.Warning : MessageCardSeverity.Info}>
          {access.noConnection
            ? access.reason
            : `Read-only: ${access.reason}. Ask a project administrator to create or change Boards links.`}
        </MessageCard>
      ) : null}
      {actionError ? (
        <MessageCard severity={MessageCardSeverity.Error} onDismiss={() => setActionError(null)}>
          {actionError}
        </MessageCard>
      ) : null}
      <div className="flex-row flex-center rhythm-horizontal-16">
        <Button text="New Boards link" primary iconProps={{ iconName: "Add" }} disabled={!canEdit} onClick={() => setWizard({})} />
        <Toggle text="Show archived" checked={showArchived} onChange={(_e, on) => setShowArchived(on)} />
      </div>
      {links.state === "loading" || links.state === "idle" ? (
        <Loading label="Loading Boards links…" />
      ) : links.state === "error" ? (
        <ErrorCard error={links.error} onRetry={reload} />
      ) : links.value.length === 0 ? (
        <ZeroData
          primaryText={showArchived ? "No Boards links" : "No Boards link yet"}
          secondaryText="Link this project's releases, sprints, requirements and bugs with TestOps."
          imageAltText=""
        />
      ) : (
        links.value.map((l) => (
          <LinkCard
            key={l.id}
            link={l}
            jobId={started[l.id] ?? l.activeJobId}
            canEdit={canEdit}
            onEdit={() => setWizard({ link: l })}
            onSync={() => sync(l)}
            onArchive={() => setConfirm(l)}
            onUnarchive={() => setArchived(l, false)}
            onJobDone={() => {
              setStarted(({ [l.id]: _done, ...rest }) => rest);
              reload();
            }}
          />
        ))
      )}
      {wizard ? (
        <React.Suspense
          fallback={
            <Panel
              onDismiss={() => setWizard(null)}
              size={ContentSize.Large}
              titleProps={{ text: wizard.link ? "Edit Boards link" : "New Boards link" }}
            >
              <Loading label="Loading the wizard…" />
            </Panel>
          }
        >
          <LinkWizard
            link={wizard.link}
            onClose={() => setWizard(null)}
            onForbidden={(m) => setForbidden(m)}
            onSaved={(link, job) => {
              setWizard(null);
              if (job) setStarted((s) => ({ ...s, [link.id]: job.id }));
              reload();
            }}
          />
        </React.Suspense>
      ) : null}
      {confirm ? (
        <Dialog
          titleProps={{ text: "Archive this Boards link?" }}
          onDismiss={() => setConfirm(null)}
          footerButtonProps={[
            { text: "Cancel", onClick: () => setConfirm(null) },
            {
              text: "Archive",
              danger: true,
              onClick: () => {
                const l = confirm;
                setConfirm(null);
                void setArchived(l, true);
              },
            },
          ]}
        >
          Releases and sprints of {confirm.projectName}
          {confirm.teamName ? ` (${confirm.teamName})` : ""} disappear from TestOps Plans and scheduled syncs are cancelled. Synced data is
          kept: unarchive the link to bring it back.
        </Dialog>
      ) : null}
    </div>
  );
}

function LinkCard(p: {
  link: BoardsLink;
  jobId: string | null;
  canEdit: boolean;
  onEdit: () => void;
  onSync: () => void;
  onArchive: () => void;
  onUnarchive: () => void;
  onJobDone: () => void;
}) {
  const l = p.link;
  const job = useJob(p.jobId, p.onJobDone);
  const syncing = !!p.jobId && (!job || job.status === "queued" || job.status === "running");
  const c = l.config;
  const title = `${l.projectName}${l.teamName ? ` · ${l.teamName}` : ""}`;
  const s = l.lastSync;
  return (
    <Card
      className="testops-link-card"
      titleProps={{ text: title, ariaLevel: 3 }}
      headerDescriptionProps={{ text: l.description || undefined }}
    >
      <div className="flex-column rhythm-vertical-8 flex-grow" aria-label={`Boards link ${title}`}>
        <div className="flex-row flex-center flex-wrap rhythm-horizontal-8">
          <LinkStatusPill status={l.status} reason={l.statusReason} syncing={syncing} />
          {l.archived ? <span className="testops-muted">Archived</span> : null}
          {l.status === "Error" && l.statusReason && !syncing ? <span className="testops-error">{l.statusReason}</span> : null}
          {l.status === "Inactive" && !syncing ? <span className="testops-muted">{l.statusReason ?? "Saved; not synced yet"}</span> : null}
        </div>
        {syncing ? <JobProgress job={job} label={`Sync of ${title}`} /> : null}
        <div className="body-m">
          {[
            c.pullRequirements ? `Requirements: ${c.requirements.workItemTypes.join(", ")}` : null,
            c.bugMapping ? `Bugs: ${c.bugs.workItemTypes.join(", ")}` : null,
            c.iterations.source === "teamBoard" ? "Sprints from the team board" : "Sprints from the iteration tree",
            c.iterations.releasePaths.length
              ? plural(c.iterations.releasePaths.length, "release iteration")
              : "first-level iterations as releases",
          ]
            .filter(Boolean)
            .join(" · ")}
        </div>
        <div className="body-s testops-muted">
          Last synced {fmtTime(l.lastSyncAt)}
          {s
            ? ` · ${plural(s.releases.created + s.releases.updated + s.releases.unchanged, "release")}, ${plural(
                s.sprints.created + s.sprints.updated + s.sprints.unchanged,
                "sprint",
              )}, ${plural(s.requirements.created + s.requirements.updated + s.requirements.unchanged, "requirement")}${
                c.bugMapping ? `, ${plural(s.bugs.created + s.bugs.updated + s.bugs.unchanged, "bug")}` : ""
              }`
            : ""}
          {l.lastError && l.status === "Error" ? ` · last error ${fmtTime(l.lastErrorAt)}` : ""}
        </div>
        {p.canEdit ? (
          <ButtonGroup>
            {l.archived ? (
              <Button text="Unarchive" ariaLabel={`Unarchive ${title}`} iconProps={{ iconName: "Undo" }} onClick={p.onUnarchive} />
            ) : (
              <>
                <Button text="Edit" ariaLabel={`Edit ${title}`} iconProps={{ iconName: "Edit" }} onClick={p.onEdit} />
                <Button text="Sync" ariaLabel={`Sync ${title}`} iconProps={{ iconName: "Refresh" }} disabled={syncing} onClick={p.onSync} />
                <Button text="Archive" ariaLabel={`Archive ${title}`} iconProps={{ iconName: "Inbox" }} onClick={p.onArchive} />
              </>
            )}
          </ButtonGroup>
        ) : null}
      </div>
    </Card>
  );
}
