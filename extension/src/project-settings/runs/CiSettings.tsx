import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Card } from "azure-devops-ui/Card";
import { Dialog } from "azure-devops-ui/Dialog";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { TextField } from "azure-devops-ui/TextField";
import { Toggle } from "azure-devops-ui/Toggle";
import type { ImportSettings } from "@testops/backend/schemas/imports";
import type { UploadKey } from "@testops/backend/schemas/keys";
import { API_URL, ApiClientError, unwrap, type Api } from "../../common/api";
import { FormField } from "../../common/ui";
import { when } from "./format";

/** Upload keys and the import of pipeline test runs: how results reach TestOps from CI. */
export function CiSettings({ api, projectId, projectName }: { api: Api; projectId: string; projectName: string }) {
  return (
    <>
      <ImportCard api={api} projectId={projectId} />
      <KeysCard api={api} projectId={projectId} projectName={projectName} />
    </>
  );
}

function ImportCard({ api, projectId }: { api: Api; projectId: string }) {
  const [s, setS] = React.useState<ImportSettings | Error>();
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string>();
  const load = React.useCallback(async () => {
    try {
      setS(await unwrap(await api.api.imports.$get({ query: { project: projectId } })));
    } catch (e) {
      setS(e as Error);
    }
  }, [api, projectId]);
  React.useEffect(() => {
    void load();
  }, [load]);
  // While an import runs, refresh its counts.
  React.useEffect(() => {
    if (!s || s instanceof Error || !s.jobId) return;
    const t = setTimeout(() => void load(), 2000);
    return () => clearTimeout(t);
  }, [s, load]);
  if (!s) return null;
  if (s instanceof Error) return <MessageCard severity={MessageCardSeverity.Error}>{s.message}</MessageCard>;
  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
      await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card titleProps={{ text: "Import pipeline test runs" }}>
      <div className="flex-column rhythm-vertical-8">
        <span className="testops-runs-meta">
          Test runs your pipelines already publish to Azure Test Plans (PublishTestResults@2) are imported with their build and its work
          items. Runs TestOps pushed itself are skipped.
        </span>
        <Toggle
          text={s.enabled ? "On" : "Off"}
          ariaLabel="Import pipeline test runs"
          checked={s.enabled}
          disabled={!s.canEdit || busy}
          onChange={(_e, on) => void act(async () => unwrap(await api.api.imports.$put({ json: { project: projectId, enabled: on } })))}
        />
        <span>
          {s.jobId ? "Importing…" : `Last import: ${when(s.lastImportAt)}`} · {s.importedRuns} imported · read up to {when(s.cursorAt)}
        </span>
        {s.lastError ? <MessageCard severity={MessageCardSeverity.Error}>{s.lastError}</MessageCard> : null}
        {error ? <MessageCard severity={MessageCardSeverity.Error}>{error}</MessageCard> : null}
        {s.canEdit && s.enabled ? (
          <div>
            <Button
              text="Import now"
              disabled={busy || !!s.jobId}
              onClick={() => void act(async () => unwrap(await api.api.imports.run.$post({ json: { project: projectId } })))}
            />
          </div>
        ) : null}
        {!s.canEdit ? <span className="testops-runs-meta">Only project administrators can change this.</span> : null}
      </div>
    </Card>
  );
}

function KeysCard({ api, projectId, projectName }: { api: Api; projectId: string; projectName: string }) {
  const [keys, setKeys] = React.useState<UploadKey[] | Error>();
  const [name, setName] = React.useState("");
  const [nameError, setNameError] = React.useState<string>();
  const [created, setCreated] = React.useState<{ key: UploadKey; secret: string }>();
  const [busy, setBusy] = React.useState(false);
  const load = React.useCallback(async () => {
    try {
      setKeys((await unwrap(await api.api.keys.$get({ query: { project: projectId } }))).keys);
    } catch (e) {
      setKeys(e as Error);
    }
  }, [api, projectId]);
  React.useEffect(() => {
    void load();
  }, [load]);
  if (!keys) return null;
  if (keys instanceof Error) {
    // Members do not see keys at all: say who can.
    if (keys instanceof ApiClientError && keys.status === 403)
      return (
        <Card titleProps={{ text: "Upload keys" }}>
          <span className="testops-runs-meta">Project administrators create upload keys for CI systems other than Azure Pipelines.</span>
        </Card>
      );
    return <MessageCard severity={MessageCardSeverity.Error}>{keys.message}</MessageCard>;
  }
  const create = async () => {
    setBusy(true);
    setNameError(undefined);
    try {
      const r = await unwrap(await api.api.keys.$post({ json: { project: projectId, name } }));
      setCreated(r);
      setName("");
      await load();
    } catch (e) {
      setNameError(e instanceof ApiClientError ? (e.fieldMessage("name") ?? e.message) : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (k: UploadKey) => {
    setBusy(true);
    try {
      await unwrap(await api.api.keys[":id"].revoke.$post({ param: { id: k.id } }));
      await load();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card titleProps={{ text: "Upload keys" }}>
      <div className="flex-column rhythm-vertical-8 flex-grow">
        <span className="testops-runs-meta">
          For CI systems other than Azure Pipelines (GitHub Actions, Jenkins, GitLab, a shell): a key uploads JUnit XML to {projectName}{" "}
          only.
        </span>
        <div className="flex-row testops-runs-gap" style={{ alignItems: "flex-end" }}>
          <FormField label="New key name" error={nameError}>
            <TextField value={name} onChange={(_e, v) => setName(v)} ariaLabel="New key name" placeholder="GitHub Actions" />
          </FormField>
          <Button text="Create key" primary disabled={busy || !name.trim()} onClick={() => void create()} />
        </div>
        {keys.length ? (
          <ul className="testops-keys-list" aria-label="Upload keys">
            {keys.map((k) => (
              <li key={k.id} className="testops-keys-row flex-row flex-center testops-runs-gap">
                <span className="flex-grow">
                  <strong>{k.name}</strong> <span className="testops-runs-meta">{k.prefix}…</span>
                </span>
                <span className="testops-runs-meta">
                  created {when(k.createdAt)} · last used {when(k.lastUsedAt)}
                  {k.revokedAt ? ` · revoked ${when(k.revokedAt)}` : ""}
                </span>
                {k.revokedAt ? null : (
                  <Button text="Revoke" danger subtle disabled={busy} onClick={() => void revoke(k)} ariaLabel={`Revoke ${k.name}`} />
                )}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {created ? (
        <Dialog
          titleProps={{ text: `Upload key "${created.key.name}"` }}
          onDismiss={() => setCreated(undefined)}
          footerButtonProps={[{ text: "Done", primary: true, onClick: () => setCreated(undefined) }]}
        >
          <div className="flex-column rhythm-vertical-8">
            <span>Copy it now: it is not shown again.</span>
            <code className="testops-keys-secret" aria-label="New key">
              {created.secret}
            </code>
            <span className="testops-runs-meta">
              curl -H &quot;Authorization: Bearer $TESTOPS_KEY&quot; --data-binary @TEST-results.xml &quot;{API_URL}
              /api/results/junit?runName=…&quot;
            </span>
          </div>
        </Dialog>
      ) : null}
    </Card>
  );
}
