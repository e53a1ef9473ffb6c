import * as React from "react";
import { Checkbox } from "azure-devops-ui/Checkbox";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Panel } from "azure-devops-ui/Panel";
import { TextField, TextFieldWidth } from "azure-devops-ui/TextField";
import { REPOS_LIMITS, REPOS_URL_EXAMPLE, type ReposLink, type RepoTarget } from "@testops/backend/schemas/repos";
import { ApiClientError, unwrap, type Api } from "../../common/api";
import { FormField } from "../../common/ui";
import { draftOf, editBody, emptyDraft, validateDraft, type Draft, type FieldErrors, type FieldName } from "./draft";
import { shortSha, targetText } from "./format";

export interface LinkPanelProps {
  api: Api;
  projectId: string;
  /** The link being edited; undefined = a new one. */
  link?: ReposLink;
  onSaved(link: ReposLink, synced: boolean): void;
  onDismiss(): void;
}

const FIELDS: FieldName[] = ["name", "url", "description"];

/** Create/edit a Repos link: inline validation (shared schema), the URL checked with Azure DevOps on blur, Save / Save and sync. */
export function LinkPanel({ api, projectId, link, onSaved, onDismiss }: LinkPanelProps) {
  const [draft, setDraft] = React.useState<Draft>(() => (link ? draftOf(link) : emptyDraft()));
  const [touched, setTouched] = React.useState<Partial<Record<FieldName, boolean>>>({});
  const [submitted, setSubmitted] = React.useState(false);
  const [serverErrors, setServerErrors] = React.useState<FieldErrors>({});
  const [formError, setFormError] = React.useState<string>();
  const [busy, setBusy] = React.useState<"save" | "sync">();
  const [target, setTarget] = React.useState<{ url: string; value?: RepoTarget; checking?: boolean }>();
  const checkSeq = React.useRef(0);

  const errors = validateDraft(draft);
  const shown = (f: FieldName) => serverErrors[f] ?? (touched[f] || submitted ? errors[f] : undefined);

  const failed = (e: unknown) => {
    if (e instanceof ApiClientError && e.fields.length) {
      const next: FieldErrors = {};
      for (const f of e.fields) if ((FIELDS as string[]).includes(f.field)) next[f.field as FieldName] = f.message;
      setServerErrors(next);
      if (e.fields.some((f) => !(FIELDS as string[]).includes(f.field))) setFormError(e.message);
    } else if (e instanceof ApiClientError && e.status === 403) {
      setFormError("Only project administrators can change this project's Repos links.");
    } else setFormError(e instanceof Error ? e.message : String(e));
  };

  const set = (f: FieldName) => (_e: unknown, value: string) => {
    setDraft((d) => ({ ...d, [f]: value }));
    setServerErrors((s) => ({ ...s, [f]: undefined }));
    if (f === "url") setTarget(undefined);
  };

  /** Asks the backend (and so Azure DevOps) what the URL points at, as soon as the field is left. */
  const checkUrl = async () => {
    setTouched((t) => ({ ...t, url: true }));
    const url = draft.url.trim();
    if (errors.url || (link && url === link.url) || target?.url === url) return;
    const seq = ++checkSeq.current;
    setTarget({ url, checking: true });
    try {
      const value = await unwrap<RepoTarget>(await api.api.repos.links.check.$post({ json: { projectId, url } }));
      if (seq === checkSeq.current) setTarget({ url, value });
    } catch (e) {
      if (seq !== checkSeq.current) return;
      setTarget(undefined);
      if (e instanceof ApiClientError && e.fields.length) failed(e);
      else setFormError(e instanceof Error ? e.message : String(e));
    }
  };

  const save = async (sync: boolean) => {
    setSubmitted(true);
    setFormError(undefined);
    if (Object.keys(errors).length || Object.values(serverErrors).some(Boolean)) return;
    setBusy(sync ? "sync" : "save");
    try {
      const saved = link
        ? await unwrap<ReposLink>(
            await api.api.repos.links[":id"].$patch({ param: { id: link.id }, json: { ...editBody(link, draft), sync } }),
          )
        : await unwrap<ReposLink>(
            await api.api.repos.links.$post({
              json: {
                projectId,
                name: draft.name.trim(),
                url: draft.url.trim(),
                description: draft.description,
                linkResults: draft.linkResults,
                sync,
              },
            }),
          );
      onSaved(saved, sync); // the panel closes: no state updates after this
    } catch (e) {
      failed(e);
      setBusy(undefined);
    }
  };

  const unchanged = link !== undefined && Object.keys(editBody(link, draft)).length === 0;
  const field = (f: FieldName, label: string, el: React.ReactElement, help?: React.ReactNode) => (
    <FormField label={label} error={shown(f)} help={help}>
      {el}
    </FormField>
  );
  const urlHelp = target?.checking
    ? "Checking with Azure DevOps…"
    : target?.value
      ? `Found: ${targetText(target.value)} (commit ${shortSha(target.value.commitId)})`
      : `A repository, branch or folder of this organization, ${REPOS_URL_EXAMPLE}`;

  return (
    <Panel
      onDismiss={onDismiss}
      titleProps={{ text: link ? `Edit ${link.name}` : "New Repos link" }}
      description="Sync the Katalon test cases and suites of an Azure Repos folder into TestOps. Pushes to the linked branch sync again on their own."
      footerButtonProps={[
        { text: "Cancel", onClick: onDismiss, disabled: !!busy },
        { text: busy === "save" ? "Saving…" : "Save", onClick: () => void save(false), disabled: !!busy || unchanged },
        { text: busy === "sync" ? "Saving…" : "Save and sync", primary: true, onClick: () => void save(true), disabled: !!busy },
      ]}
    >
      <div className="testops-form" aria-busy={!!busy}>
        {field(
          "name",
          "Display name",
          <TextField
            ariaLabel="Display name"
            value={draft.name}
            onChange={set("name")}
            onBlur={() => setTouched((t) => ({ ...t, name: true }))}
            width={TextFieldWidth.auto}
            required
          />,
          `At most ${REPOS_LIMITS.name} characters`,
        )}
        {field(
          "url",
          "Repository URL",
          <TextField
            ariaLabel="Repository URL"
            value={draft.url}
            onChange={set("url")}
            onBlur={() => void checkUrl()}
            placeholder="https://dev.azure.com/org/project/_git/repo?path=%2Ftests&version=GBmain"
            width={TextFieldWidth.auto}
            required
          />,
          <span role="status">{urlHelp}</span>,
        )}
        {field(
          "description",
          "Description",
          <TextField
            ariaLabel="Description"
            value={draft.description}
            onChange={set("description")}
            onBlur={() => setTouched((t) => ({ ...t, description: true }))}
            multiline
            rows={3}
            width={TextFieldWidth.auto}
          />,
          `${draft.description.length}/${REPOS_LIMITS.description}`,
        )}
        <Checkbox
          className="testops-field"
          label="Link existing test execution results with test cases having the exact same paths and names"
          checked={draft.linkResults}
          onChange={(_e, checked) => setDraft((d) => ({ ...d, linkResults: checked }))}
        />
        {formError && (
          <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch">
            {formError}
          </MessageCard>
        )}
      </div>
    </Panel>
  );
}
