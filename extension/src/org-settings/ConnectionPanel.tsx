import * as React from "react";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Panel } from "azure-devops-ui/Panel";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import { TextField, TextFieldWidth } from "azure-devops-ui/TextField";
import { CONNECTION_LIMITS, type Connection, type TestResult } from "@testops/backend/schemas/connections";
import { ApiClientError, unwrap, type Api } from "../common/api";
import { FormField } from "../common/ui";
import { createBody, draftOf, editBody, emptyDraft, validateDraft, type Draft, type FieldErrors, type FieldName } from "./draft";
import { TestResultView } from "./TestResultView";

export interface ConnectionPanelProps {
  api: Api;
  /** The connection being edited; undefined = a new one. */
  connection?: Connection;
  onSaved(c: Connection): void;
  onDismiss(): void;
}

type Busy = "test" | "save" | undefined;

/** Create/edit panel: inline validation with the API's own schema, Test Connection, Save. */
export function ConnectionPanel({ api, connection, onSaved, onDismiss }: ConnectionPanelProps) {
  const mode = connection ? "edit" : "create";
  const [draft, setDraft] = React.useState<Draft>(() => (connection ? draftOf(connection) : emptyDraft()));
  const [touched, setTouched] = React.useState<Partial<Record<FieldName, boolean>>>({});
  const [submitted, setSubmitted] = React.useState(false);
  const [serverErrors, setServerErrors] = React.useState<FieldErrors>({});
  const [formError, setFormError] = React.useState<string>();
  const [busy, setBusy] = React.useState<Busy>();
  const [result, setResult] = React.useState<TestResult>();

  const errors = validateDraft(draft, mode);
  const shown = (f: FieldName) => serverErrors[f] ?? (touched[f] || submitted ? errors[f] : undefined);

  const set = (f: FieldName) => (_e: unknown, value: string) => {
    setDraft((d) => ({ ...d, [f]: value }));
    setServerErrors((s) => ({ ...s, [f]: undefined }));
    if (f === "pat" || f === "organizationUrl") setResult(undefined);
  };
  const blur = (f: FieldName) => () => setTouched((t) => ({ ...t, [f]: true }));

  const failed = (e: unknown) => {
    if (e instanceof ApiClientError && e.fields.length) {
      const next: FieldErrors = {};
      for (const f of e.fields) next[f.field as FieldName] = f.message;
      setServerErrors(next);
      if (e.fields.some((f) => !["name", "organizationUrl", "pat", "description", "patExpiresOn"].includes(f.field)))
        setFormError(e.message);
    } else setFormError(e instanceof Error ? e.message : String(e));
  };

  const test = async () => {
    setFormError(undefined);
    setResult(undefined);
    // Testing needs a usable URL and PAT (editing: the stored PAT unless a new one is typed).
    if (errors.organizationUrl || errors.pat) {
      setTouched((t) => ({ ...t, organizationUrl: true, pat: true }));
      return;
    }
    setBusy("test");
    try {
      const json = connection
        ? {
            connectionId: connection.id,
            ...(draft.organizationUrl.trim() !== connection.organizationUrl ? { organizationUrl: draft.organizationUrl.trim() } : {}),
            ...(draft.pat.trim() ? { pat: draft.pat.trim() } : {}),
          }
        : { organizationUrl: draft.organizationUrl.trim(), pat: draft.pat.trim() };
      const r = await unwrap(await api.api.connections.test.$post({ json }));
      setResult(r);
      if (r.field) setServerErrors((s) => ({ ...s, [r.field as FieldName]: r.message }));
    } catch (e) {
      failed(e);
    } finally {
      setBusy(undefined);
    }
  };

  const save = async () => {
    setSubmitted(true);
    setFormError(undefined);
    if (Object.keys(errors).length) return;
    setBusy("save");
    try {
      const saved = connection
        ? await unwrap<Connection>(
            await api.api.connections[":id"].$patch({ param: { id: connection.id }, json: editBody(connection, draft) }),
          )
        : await unwrap<Connection>(await api.api.connections.$post({ json: createBody(draft) }));
      onSaved(saved); // the panel closes: no state updates after this
    } catch (e) {
      failed(e);
      setBusy(undefined);
    }
  };

  const field = (f: FieldName, label: string, el: React.ReactElement, help?: React.ReactNode) => (
    <FormField label={label} error={shown(f)} help={help}>
      {el}
    </FormField>
  );
  const unchanged = connection !== undefined && Object.keys(editBody(connection, draft)).length === 0;

  return (
    <Panel
      onDismiss={onDismiss}
      titleProps={{ text: connection ? `Edit ${connection.name}` : "New connection" }}
      description="Connect this Azure DevOps organization to TestOps with a personal access token (PAT). One connection serves Boards and Repos links."
      footerButtonProps={[
        { text: "Cancel", onClick: onDismiss, disabled: busy === "save" },
        { text: busy === "test" ? "Testing…" : "Test connection", onClick: () => void test(), disabled: !!busy },
        { text: busy === "save" ? "Saving…" : "Save", primary: true, onClick: () => void save(), disabled: !!busy || unchanged },
      ]}
    >
      <div className="testops-form" aria-busy={!!busy}>
        {field(
          "name",
          "Name",
          <TextField
            ariaLabel="Name"
            value={draft.name}
            onChange={set("name")}
            onBlur={blur("name")}
            maxLength={CONNECTION_LIMITS.name + 10}
            width={TextFieldWidth.auto}
            required
          />,
          `At most ${CONNECTION_LIMITS.name} characters`,
        )}
        {field(
          "organizationUrl",
          "Organization URL",
          <TextField
            ariaLabel="Organization URL"
            value={draft.organizationUrl}
            onChange={set("organizationUrl")}
            onBlur={blur("organizationUrl")}
            placeholder="https://dev.azure.com/your-organization"
            width={TextFieldWidth.auto}
            required
          />,
          "dev.azure.com, visualstudio.com or Azure DevOps Server (https://host/tfs/Collection)",
        )}
        {field(
          "pat",
          "Personal access token",
          <TextField
            ariaLabel="Personal access token"
            inputType="password"
            value={draft.pat}
            onChange={set("pat")}
            onBlur={blur("pat")}
            placeholder={connection ? "Leave empty to keep the stored PAT" : ""}
            width={TextFieldWidth.auto}
            autoComplete={false}
            required={!connection}
          />,
          connection
            ? "The stored PAT is never shown. Enter a new one to replace it."
            : "Scopes: Work Items (Read & write), Code (Read), Project and Team (Read), Test Management (Read & write)",
        )}
        {field(
          "patExpiresOn",
          "PAT expiry date",
          <TextField
            ariaLabel="PAT expiry date"
            value={draft.patExpiresOn}
            onChange={set("patExpiresOn")}
            onBlur={blur("patExpiresOn")}
            placeholder="YYYY-MM-DD"
            width={TextFieldWidth.auto}
          />,
          "Optional: the date you chose in Azure DevOps, so TestOps can remind you before it expires",
        )}
        {field(
          "description",
          "Description",
          <TextField
            ariaLabel="Description"
            value={draft.description}
            onChange={set("description")}
            onBlur={blur("description")}
            multiline
            rows={3}
            width={TextFieldWidth.auto}
          />,
          `${draft.description.length}/${CONNECTION_LIMITS.description}`,
        )}
        {formError && (
          <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch">
            {formError}
          </MessageCard>
        )}
        {busy === "test" && <Spinner size={SpinnerSize.medium} label="Testing the connection with Azure DevOps…" />}
        {result && <TestResultView result={result} />}
      </div>
    </Panel>
  );
}
