import "./repos.css";
import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Dialog } from "azure-devops-ui/Dialog";
import { Panel } from "azure-devops-ui/Panel";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { ZeroData } from "azure-devops-ui/ZeroData";
import type { ReposLink, TestsView } from "@testops/backend/schemas/repos";
import { ApiClientError, unwrap, type Api } from "../../common/api";
import { usePage } from "../../common/context";
import { preloadable, usePreload } from "../../common/lazy";
import { ErrorCard, Loading } from "../../common/ui";
import { buildTestsTree, isRunning } from "./format";
import { LinkCard } from "./LinkCard";
import { TestsTree } from "./TestsTree";
import { CreateTestCasesDialog, DeletedTraces, LinkTestCaseDialog, type CreateTarget } from "./TraceActions";
import type { KatalonTrace } from "@testops/backend/schemas/trace";
import type { TestCase } from "@testops/backend/schemas/repos";

// The link form validates with the API's zod schema pieces: a chunk of its own, loaded when it first opens.
const { Component: LinkPanel, preload: preloadLinkPanel } = preloadable(() => import("./LinkPanel").then((m) => m.LinkPanel));

/** Repos links of this project (the Repos tab of project settings). */
export function ReposLinks() {
  const { api, project } = usePage();
  if (!project) return <ErrorCard error={new Error("This page needs a project.")} />;
  return <ReposHub api={api} projectId={project.id} projectName={project.name} />;
}

export interface ReposHubProps {
  api: Api;
  projectId: string;
  projectName: string;
  /** Refresh period while a sync runs (progress) and when idle (pushes sync on their own). */
  pollMs?: { running: number; idle: number };
}

type Overlay =
  | { kind: "create" }
  | { kind: "edit"; link: ReposLink }
  | { kind: "archive"; link: ReposLink }
  | { kind: "linkTestCase"; testCase: TestCase }
  | { kind: "createTestCases"; target: CreateTarget };

const message = (e: unknown) =>
  e instanceof ApiClientError && e.status === 403
    ? "Only project administrators can change this project's Repos links."
    : e instanceof Error
      ? e.message
      : String(e);

export function ReposHub({ api, projectId, projectName, pollMs = { running: 1500, idle: 15_000 } }: ReposHubProps) {
  const [links, setLinks] = React.useState<ReposLink[]>();
  const [canEdit, setCanEdit] = React.useState(false);
  usePreload(canEdit, preloadLinkPanel);
  const [tests, setTests] = React.useState<TestsView>();
  const [traces, setTraces] = React.useState<KatalonTrace[]>([]);
  const [notice, setNotice] = React.useState<string>();
  const [loadError, setLoadError] = React.useState<Error>();
  const [actionError, setActionError] = React.useState<string>();
  const [overlay, setOverlay] = React.useState<Overlay>();
  const [busy, setBusy] = React.useState<string>();
  const live = React.useRef(true);
  const seen = React.useRef("");
  const traceDirty = React.useRef(true);
  const traceSeq = React.useRef(0);
  const inFlight = React.useRef<Promise<void> | null>(null);

  const load = React.useCallback(async () => {
    try {
      const r = await unwrap(await api.api.repos.links.$get({ query: { projectId } }));
      // The Tests view changes when a sync finishes, a link is (un)archived or edited: reload it then,
      // and show links and tests together so a link never says Active before its tests appear.
      const stamp = r.links.map((l) => `${l.id}:${l.archived}:${l.lastSyncedAt}:${l.updatedAt}:${l.linkResults}`).join("|");
      const changed = stamp !== seen.current;
      // Which synced Katalon test cases automate an Azure DevOps Test Case (issue 17): read beside the tests and
      // after a link or create action, without holding the links back; a failure there never hides them.
      if (changed || traceDirty.current) {
        traceDirty.current = false;
        const seq = ++traceSeq.current;
        api.api.trace.katalon
          .$get({ query: { projectId } })
          .then((res) => unwrap(res))
          .then(
            (t) => {
              if (live.current && seq === traceSeq.current) setTraces(t.links);
            },
            () => {
              traceDirty.current = true;
            },
          );
      }
      const v = changed ? await unwrap(await api.api.repos.tests.$get({ query: { projectId } })) : undefined;
      if (!live.current) return;
      if (v) {
        seen.current = stamp;
        setTests(v);
      }
      setLinks(r.links);
      setCanEdit(r.canEdit);
      setLoadError(undefined);
    } catch (e) {
      if (live.current) setLoadError(e as Error);
    }
  }, [api, projectId]);

  /** One refresh at a time (polls and actions overlap): a later one waits, so answers never arrive out of order. */
  const refresh = React.useCallback(async () => {
    while (inFlight.current) await inFlight.current;
    const p = load();
    inFlight.current = p;
    try {
      await p;
    } finally {
      inFlight.current = null;
    }
  }, [load]);

  const running = links?.some((l) => isRunning(l)) ?? false;
  React.useEffect(() => {
    live.current = true;
    void refresh();
    return () => {
      live.current = false;
    };
  }, [refresh]);
  React.useEffect(() => {
    const timer = setInterval(
      () => {
        if (!inFlight.current && (typeof document === "undefined" || !document.hidden)) void refresh();
      },
      running ? pollMs.running : pollMs.idle,
    );
    return () => clearInterval(timer);
  }, [refresh, running, pollMs.running, pollMs.idle]);

  const act = async (link: ReposLink, what: "sync" | "archive" | "unarchive") => {
    setBusy(link.id);
    setActionError(undefined);
    try {
      const ep = api.api.repos.links[":id"];
      if (what === "sync") await unwrap(await ep.sync.$post({ param: { id: link.id }, query: {} }));
      else if (what === "archive") await unwrap(await ep.archive.$post({ param: { id: link.id } }));
      else await unwrap(await ep.unarchive.$post({ param: { id: link.id } }));
      await refresh();
    } catch (e) {
      setActionError(message(e));
    } finally {
      setBusy(undefined);
      setOverlay(undefined);
    }
  };

  const names = React.useMemo(() => new Map([...(tests?.testCases ?? []), ...(tests?.suites ?? [])].map((x) => [x.id, x.name])), [tests]);
  const tree = React.useMemo(() => (tests ? buildTestsTree(tests) : []), [tests]);
  const byTc = React.useMemo(() => new Map(traces.map((t) => [t.reposTestCaseId, t])), [traces]);

  if (!links && loadError)
    return (
      <ErrorCard
        error={new Error(`Could not load the Repos links: ${loadError.message}`)}
        onRetry={() => {
          setLoadError(undefined);
          void refresh();
        }}
      />
    );
  if (!links) return <Loading label="Loading Repos links…" />;

  return (
    <div className="flex-column rhythm-vertical-16 testops-repos">
      <div className="flex-row flex-center">
        <span className="title-m flex-grow">Repos links</span>
        <Button
          text="New Repos link"
          primary
          iconProps={{ iconName: "Add" }}
          disabled={!canEdit}
          onClick={() => setOverlay({ kind: "create" })}
        />
      </div>
      {!canEdit && (
        <MessageCard severity={MessageCardSeverity.Info} className="flex-self-stretch">
          Read-only: only project administrators can create or change this project&apos;s Repos links.
        </MessageCard>
      )}
      {loadError && (
        <MessageCard severity={MessageCardSeverity.Warning} className="flex-self-stretch">
          Could not refresh: {loadError.message}
        </MessageCard>
      )}
      {actionError && (
        <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch" onDismiss={() => setActionError(undefined)}>
          {actionError}
        </MessageCard>
      )}
      {links.length === 0 ? (
        <ZeroData
          iconProps={{ iconName: "GitLogo" }}
          imageAltText=""
          primaryText="No Repos link yet"
          secondaryText={`Sync the Katalon test cases and suites of an Azure Repos folder into TestOps for ${projectName}.`}
        />
      ) : (
        links.map((l) => (
          <LinkCard
            key={l.id}
            link={l}
            busy={busy === l.id}
            canEdit={canEdit}
            onSync={() => void act(l, "sync")}
            onEdit={() => setOverlay({ kind: "edit", link: l })}
            onArchive={() => setOverlay({ kind: "archive", link: l })}
            onUnarchive={() => void act(l, "unarchive")}
          />
        ))
      )}

      {links.length > 0 && (
        <div className="flex-column rhythm-vertical-8">
          <span className="title-m">Tests</span>
          <DeletedTraces traces={traces} />
          {notice && (
            <MessageCard severity={MessageCardSeverity.Info} className="flex-self-stretch" onDismiss={() => setNotice(undefined)}>
              {notice}
            </MessageCard>
          )}
          {tree.length === 0 || (tests?.testCases.length === 0 && tests?.suites.length === 0) ? (
            <div className="body-m testops-muted">No synced test cases yet. Sync a link to see its Katalon test cases and suites here.</div>
          ) : (
            <TestsTree
              key={tree.map((n) => n.id).join("|")}
              nodes={tree}
              names={names}
              trace={{
                byTc,
                canEdit,
                onLink: (testCase) => setOverlay({ kind: "linkTestCase", testCase }),
                onCreate: (target) => setOverlay({ kind: "createTestCases", target }),
              }}
            />
          )}
        </div>
      )}

      {(overlay?.kind === "create" || overlay?.kind === "edit") && (
        <React.Suspense
          fallback={
            <Panel
              onDismiss={() => setOverlay(undefined)}
              titleProps={{ text: overlay.kind === "edit" ? `Edit ${overlay.link.name}` : "New Repos link" }}
            >
              <Loading label="Loading the form…" />
            </Panel>
          }
        >
          <LinkPanel
            api={api}
            projectId={projectId}
            link={overlay.kind === "edit" ? overlay.link : undefined}
            onDismiss={() => setOverlay(undefined)}
            onSaved={() => {
              setOverlay(undefined);
              void refresh();
            }}
          />
        </React.Suspense>
      )}
      {overlay?.kind === "linkTestCase" && (
        <LinkTestCaseDialog
          api={api}
          projectId={projectId}
          testCase={overlay.testCase}
          onDismiss={() => setOverlay(undefined)}
          onDone={() => {
            setOverlay(undefined);
            traceDirty.current = true;
            void refresh();
          }}
        />
      )}
      {overlay?.kind === "createTestCases" && (
        <CreateTestCasesDialog
          api={api}
          projectId={projectId}
          target={overlay.target}
          onDismiss={() => setOverlay(undefined)}
          onDone={(summary) => {
            setOverlay(undefined);
            setNotice(summary);
            traceDirty.current = true;
            void refresh();
          }}
        />
      )}
      {overlay?.kind === "archive" && (
        <Dialog
          titleProps={{ text: `Archive ${overlay.link.name}?` }}
          footerButtonProps={[
            { text: "Cancel", onClick: () => setOverlay(undefined) },
            { text: "Archive", danger: true, onClick: () => void act(overlay.link, "archive"), disabled: busy === overlay.link.id },
          ]}
          onDismiss={() => setOverlay(undefined)}
        >
          Its test cases and suites leave the Tests views, and its queued syncs are cancelled. Pushes no longer sync it. You can unarchive
          it later.
        </Dialog>
      )}
    </div>
  );
}
