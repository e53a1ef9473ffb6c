import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { ButtonGroup } from "azure-devops-ui/ButtonGroup";
import { Card } from "azure-devops-ui/Card";
import { Dialog } from "azure-devops-ui/Dialog";
import { Header, TitleSize } from "azure-devops-ui/Header";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Page } from "azure-devops-ui/Page";
import { Panel } from "azure-devops-ui/Panel";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import { ZeroData, ZeroDataActionType } from "azure-devops-ui/ZeroData";
import type { Connection, TestResult } from "@testops/backend/schemas/connections";
import { unwrap, type Api } from "../common/api";
import { preloadable, usePreload } from "../common/lazy";
import { ErrorCard, Loading } from "../common/ui";
import { AuditPanel } from "./AuditPanel";
import { hookSummary, patSummary, type HookHealthView } from "./format";
import { TestResultView } from "./TestResultView";

// The create/edit panel validates with the API's zod schemas: it is a chunk of its own, loaded when it
// first opens, so zod stays out of the page's first load (scripts/bundle-budget.ts).
const { Component: ConnectionPanel, preload: preloadConnectionPanel } = preloadable(() =>
  import("./ConnectionPanel").then((m) => m.ConnectionPanel),
);

export interface ConnectionsHubProps {
  api: Api;
  orgName: string;
  isAdmin: boolean;
  /** How often the list refreshes so status changes (e.g. a revoked PAT) show without a reload. */
  pollMs?: number;
}

type Overlay =
  | { kind: "create" }
  | { kind: "edit"; c: Connection }
  | { kind: "audit"; c: Connection }
  | { kind: "disconnect"; c: Connection }
  | { kind: "reconnect"; c: Connection };

// Theme-neutral pill colors (azure-devops-ui tints them for light and dark themes).
const STATUS_COLOR = {
  Active: { red: 16, green: 124, blue: 16 },
  Inactive: { red: 134, green: 134, blue: 134 },
  Error: { red: 205, green: 74, blue: 69 },
} as const;

function StatusPill({ status }: { status: Connection["status"] }) {
  return (
    <Pill color={STATUS_COLOR[status]} variant={PillVariant.colored} size={PillSize.compact} ariaLabel={`Status: ${status}`}>
      {status}
    </Pill>
  );
}

/** The org settings hub: the organization's Azure DevOps connection(s), live status, and admin actions. */
export function ConnectionsHub({ api, orgName, isAdmin, pollMs = 10_000 }: ConnectionsHubProps) {
  const [connections, setConnections] = React.useState<Connection[]>();
  const [loadError, setLoadError] = React.useState<Error>();
  const [refreshError, setRefreshError] = React.useState<string>();
  const [overlay, setOverlay] = React.useState<Overlay>();
  const [actionError, setActionError] = React.useState<string>();
  usePreload(isAdmin, preloadConnectionPanel);
  const [working, setWorking] = React.useState(false);
  const [tests, setTests] = React.useState<Record<string, TestResult | "running" | Error>>({});
  // Service-hook state as Azure DevOps reports it, by connection id (undefined until first read).
  const [hooks, setHooks] = React.useState<Record<string, { hooks: HookHealthView[]; error: string | null }>>({});
  const live = React.useRef(true);
  const loaded = React.useRef(false);

  /** `check`: ask the backend to read the subscriptions from Azure DevOps now (and repair them); else the last known state. */
  const loadHooks = React.useCallback(
    async (check: boolean) => {
      try {
        const r = await unwrap(await (check ? api.api.hooks.check.$post() : api.api.hooks.$get()));
        if (live.current) setHooks(Object.fromEntries(r.connections.map((c) => [c.connectionId, { hooks: c.hooks, error: c.error }])));
      } catch {
        // The connection card still shows the hook count; the next poll tries again.
      }
    },
    [api],
  );

  const refresh = React.useCallback(async () => {
    try {
      void loadHooks(false);
      const r = await unwrap(await api.api.connections.$get());
      if (!live.current) return;
      loaded.current = true;
      setConnections(r.connections);
      setLoadError(undefined);
      setRefreshError(undefined);
    } catch (e) {
      if (!live.current) return;
      // Once loaded, keep showing what we have and say that it may be stale.
      if (loaded.current) setRefreshError((e as Error).message);
      else setLoadError(e as Error);
    }
  }, [api]);

  React.useEffect(() => {
    live.current = true;
    void refresh();
    // Opening the hub reads the subscriptions' real state from Azure DevOps (admins: and repairs them).
    if (isAdmin) void loadHooks(true);
    const timer = setInterval(() => {
      if (typeof document === "undefined" || !document.hidden) void refresh();
    }, pollMs);
    return () => {
      live.current = false;
      clearInterval(timer);
    };
  }, [refresh, loadHooks, isAdmin, pollMs]);

  const close = () => setOverlay(undefined);

  const act = async (kind: "disconnect" | "reconnect", c: Connection) => {
    setWorking(true);
    setActionError(undefined);
    try {
      const endpoint = api.api.connections[":id"][kind];
      await unwrap(await endpoint.$post({ param: { id: c.id } }));
      close();
      await refresh();
    } catch (e) {
      setActionError((e as Error).message);
      close();
    } finally {
      setWorking(false);
    }
  };

  const test = async (c: Connection) => {
    setTests((t) => ({ ...t, [c.id]: "running" }));
    try {
      const r = await unwrap(await api.api.connections.test.$post({ json: { connectionId: c.id } }));
      setTests((t) => ({ ...t, [c.id]: r }));
      if (r.outcome === "bad_credentials") await refresh();
    } catch (e) {
      setTests((t) => ({ ...t, [c.id]: e as Error }));
    }
  };

  const hasLive = connections?.some((c) => c.status !== "Inactive") ?? false;
  const newButton = {
    id: "new",
    text: "New connection",
    isPrimary: true,
    iconProps: { iconName: "Add" },
    onActivate: () => setOverlay({ kind: "create" }),
  };

  return (
    <Page className="flex-grow testops-org-settings">
      <Header
        title="TestOps"
        description={`Azure DevOps connection for ${orgName}`}
        titleSize={TitleSize.Large}
        commandBarItems={isAdmin && connections && connections.length > 0 && !hasLive ? [newButton] : []}
      />
      <div className="page-content page-content-top flex-column rhythm-vertical-16">
        {!isAdmin && (
          <MessageCard severity={MessageCardSeverity.Info} className="flex-self-stretch">
            You can see this organization&apos;s connection. Only organization administrators (Project Collection Administrators) can change
            it.
          </MessageCard>
        )}
        {refreshError && (
          <MessageCard severity={MessageCardSeverity.Warning} className="flex-self-stretch">
            Could not refresh the connection status: {refreshError}
          </MessageCard>
        )}
        {actionError && (
          <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch" onDismiss={() => setActionError(undefined)}>
            {actionError}
          </MessageCard>
        )}
        {loadError && !connections && (
          <ErrorCard
            error={new Error(`Could not load the connections: ${loadError.message}`)}
            onRetry={() => {
              setLoadError(undefined);
              void refresh();
            }}
          />
        )}
        {!connections && !loadError && <Loading label="Loading connections…" />}
        {connections && connections.length === 0 && (
          <ZeroData
            className="testops-zero"
            iconProps={{ iconName: "PlugDisconnected" }}
            imageAltText=""
            primaryText="Connect Azure DevOps to TestOps"
            secondaryText={
              isAdmin
                ? "Create a connection with a personal access token. Boards and Repos links in project settings then sync through it."
                : "No connection yet. Ask an organization administrator to connect this organization."
            }
            actionText={isAdmin ? "New connection" : undefined}
            actionType={ZeroDataActionType.ctaButton}
            onActionClick={isAdmin ? () => setOverlay({ kind: "create" }) : undefined}
          />
        )}
        {connections?.map((c) => (
          <ConnectionCard
            key={c.id}
            c={c}
            isAdmin={isAdmin}
            test={tests[c.id]}
            hooks={hooks[c.id]}
            onCheckHooks={() => void loadHooks(true)}
            onEdit={() => setOverlay({ kind: "edit", c })}
            onTest={() => void test(c)}
            onHistory={() => setOverlay({ kind: "audit", c })}
            onDisconnect={() => setOverlay({ kind: "disconnect", c })}
            onReconnect={() => setOverlay({ kind: "reconnect", c })}
          />
        ))}
      </div>

      {(overlay?.kind === "create" || overlay?.kind === "edit") && (
        <React.Suspense
          fallback={
            <Panel onDismiss={close} titleProps={{ text: overlay.kind === "edit" ? `Edit ${overlay.c.name}` : "New connection" }}>
              <Loading label="Loading the form…" />
            </Panel>
          }
        >
          <ConnectionPanel
            api={api}
            connection={overlay.kind === "edit" ? overlay.c : undefined}
            onDismiss={close}
            onSaved={() => {
              close();
              void refresh();
            }}
          />
        </React.Suspense>
      )}
      {overlay?.kind === "audit" && <AuditPanel api={api} connection={overlay.c} onDismiss={close} />}
      {overlay?.kind === "disconnect" && (
        <Dialog
          titleProps={{ text: `Disconnect ${overlay.c.name}?` }}
          onDismiss={close}
          footerButtonProps={[
            { text: "Cancel", onClick: close, disabled: working },
            {
              text: working ? "Disconnecting…" : "Disconnect",
              danger: true,
              disabled: working,
              onClick: () => void act("disconnect", overlay.c),
            },
          ]}
        >
          Linked projects stop syncing and the connection&apos;s service hooks are removed from Azure DevOps. Links, mappings and history
          are kept: you can reconnect later.
        </Dialog>
      )}
      {overlay?.kind === "reconnect" && (
        <Dialog
          titleProps={{ text: `Reconnect ${overlay.c.name}?` }}
          onDismiss={close}
          footerButtonProps={[
            { text: "Cancel", onClick: close, disabled: working },
            {
              text: working ? "Reconnecting…" : "Reconnect",
              primary: true,
              disabled: working,
              onClick: () => void act("reconnect", overlay.c),
            },
          ]}
        >
          The stored PAT is checked with Azure DevOps, service hooks are set up again and linked projects resume syncing.
        </Dialog>
      )}
    </Page>
  );
}

interface CardProps {
  c: Connection;
  isAdmin: boolean;
  test?: TestResult | "running" | Error;
  hooks?: { hooks: HookHealthView[]; error: string | null };
  onCheckHooks(): void;
  onEdit(): void;
  onTest(): void;
  onHistory(): void;
  onDisconnect(): void;
  onReconnect(): void;
}

function ConnectionCard({ c, isAdmin, test, hooks, onCheckHooks, onEdit, onTest, onHistory, onDisconnect, onReconnect }: CardProps) {
  const pat = patSummary(c);
  const hs = hooks && c.status !== "Inactive" ? hookSummary(hooks.hooks) : undefined;
  return (
    <Card className="flex-grow testops-connection" contentProps={{ contentPadding: true }}>
      <section className="flex-column flex-grow rhythm-vertical-8" aria-label={`Connection ${c.name}`}>
        <div className="flex-row flex-center rhythm-horizontal-8">
          <h3 className="title-m margin-0">{c.name}</h3>
          <StatusPill status={c.status} />
        </div>
        {c.status !== "Active" && c.statusReason && (
          <div className={c.status === "Error" ? "testops-error-text" : "testops-muted"} role={c.status === "Error" ? "alert" : undefined}>
            {c.statusReason}
          </div>
        )}
        <div>
          <a href={c.organizationUrl} target="_blank" rel="noreferrer">
            {c.organizationUrl}
          </a>
        </div>
        {c.description && <div>{c.description}</div>}
        <div className="testops-muted">{pat.text}</div>
        {pat.warning && c.status !== "Inactive" && <div className="testops-warning-text">{pat.warning}</div>}
        {hs ? (
          <div className="flex-column rhythm-vertical-4" aria-label="Service hooks">
            <div className="testops-muted">{hs.line}</div>
            {hs.problems.map((p) => (
              <div key={p} className="testops-warning-text">
                {p}
              </div>
            ))}
            {hs.lastDelivery && <div className="testops-muted">{hs.lastDelivery}</div>}
            {hs.action && <div className="testops-muted">{hs.action}</div>}
            {hooks?.error && <div className="testops-warning-text">{hooks.error}</div>}
          </div>
        ) : (
          <div className="testops-muted">
            {c.status === "Inactive"
              ? "Service hooks: none (disconnected)"
              : `Service hooks: ${c.hooks.count} active${c.hooks.count === 0 ? " — changes in Azure DevOps reach TestOps at the next sync" : ""}`}
          </div>
        )}
        {c.hooks.error && <div className="testops-warning-text">{c.hooks.error}</div>}
        <ButtonGroup className="testops-actions">
          {isAdmin && <Button text={c.status === "Error" ? "Replace PAT" : "Edit"} ariaLabel={`Edit ${c.name}`} onClick={onEdit} />}
          {isAdmin && <Button text="Test connection" onClick={onTest} disabled={test === "running"} />}
          {isAdmin && c.status === "Active" && <Button text="Check service hooks" onClick={onCheckHooks} />}
          {isAdmin && c.status !== "Inactive" && <Button text="Disconnect" onClick={onDisconnect} />}
          {isAdmin && c.status === "Inactive" && <Button text="Reconnect" onClick={onReconnect} />}
          <Button text="History" onClick={onHistory} />
        </ButtonGroup>
        {test === "running" && <Spinner size={SpinnerSize.medium} label="Testing the connection with Azure DevOps…" />}
        {test instanceof Error && (
          <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch">
            {test.message}
          </MessageCard>
        )}
        {test && test !== "running" && !(test instanceof Error) && <TestResultView result={test} />}
      </section>
    </Card>
  );
}
