import * as React from "react";
import { Panel } from "azure-devops-ui/Panel";
import type { Connection } from "@testops/backend/schemas/connections";
import { unwrap, type Api } from "../common/api";
import { ErrorCard, Loading, useLoad } from "../common/ui";
import { auditText, formatDate } from "./format";

/** Who changed the connection and when (the backend's audit log, newest first). */
export function AuditPanel({ api, connection, onDismiss }: { api: Api; connection: Connection; onDismiss(): void }) {
  const [state, retry] = useLoad(
    async () => (await unwrap(await api.api.connections[":id"].audit.$get({ param: { id: connection.id }, query: {} }))).entries,
    [connection.id],
  );
  return (
    <Panel
      onDismiss={onDismiss}
      titleProps={{ text: `History of ${connection.name}` }}
      footerButtonProps={[{ text: "Close", onClick: onDismiss }]}
    >
      {state.state === "loading" && <Loading label="Loading history…" />}
      {state.state === "error" && <ErrorCard error={state.error} onRetry={retry} />}
      {state.state === "ready" &&
        (state.value.length === 0 ? (
          <div className="testops-muted">No changes recorded.</div>
        ) : (
          <ol className="testops-audit" aria-label="Connection history">
            {state.value.map((e) => {
              const t = auditText(e);
              return (
                <li key={e.id} className="testops-audit-entry">
                  <div>
                    <strong>{t.action}</strong> by {e.actorName ?? e.actorId}
                    <span className="testops-muted"> · {formatDate(e.at)}</span>
                  </div>
                  {t.details && <div className="testops-muted">{t.details}</div>}
                </li>
              );
            })}
          </ol>
        ))}
    </Panel>
  );
}
