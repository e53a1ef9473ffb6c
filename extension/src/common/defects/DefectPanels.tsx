// Create defect and Link defect: inline panels (they grow the frame they sit in, where a layered panel
// would be clipped by a small form-group frame). Reusable wherever a failed result of a work item's test
// is shown: give them the work item, the test's key and the result.
import "./defects.css";
import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { ButtonGroup } from "azure-devops-ui/ButtonGroup";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Spinner, SpinnerSize } from "azure-devops-ui/Spinner";
import { TextField } from "azure-devops-ui/TextField";
import type { Defect, DefectCandidate, DefectField, DefectForm } from "@testops/backend/schemas/results";
import { ApiClientError, unwrap } from "../api";
import { usePage } from "../context";
import { FormField } from "../ui";

export interface DefectTarget {
  workItemId: number;
  /** The test's key on that work item (WorkItemTest.key). */
  testKey: string;
  /** The failed result the defect is filed from / linked to. */
  resultId: number;
}

/** The API's error body as an ApiClientError (unwrap throws it for any non-2xx answer). */
export const failure = (res: Response | { ok: boolean; status: number; json(): Promise<unknown> }) => unwrap(res).catch((e: unknown) => e);

const params = (t: DefectTarget) => ({ id: String(t.workItemId), key: t.testKey });

/** Create defect: the project's bug type with its required fields, prefilled; Azure DevOps' rule errors land on their field. */
export function CreateDefectPanel({
  target,
  onCreated,
  onCancel,
}: {
  target: DefectTarget;
  onCreated: (d: Defect, createdWith: "user" | "connection") => void;
  onCancel: () => void;
}) {
  const { api } = usePage();
  const [form, setForm] = React.useState<DefectForm | null>(null);
  const [values, setValues] = React.useState<Record<string, string>>({});
  const [error, setError] = React.useState<ApiClientError | Error | null>(null);
  const [saving, setSaving] = React.useState(false);
  React.useEffect(() => {
    let live = true;
    (async () => {
      const res = await api.api.results["work-items"][":id"].tests[":key"]["defect-form"].$get({
        param: params(target),
        query: { resultId: String(target.resultId) },
      });
      if (res.status === 200) return res.json();
      throw await failure(res);
    })().then(
      (f) => {
        if (!live) return;
        setForm(f);
        setValues(Object.fromEntries(f.fields.map((x) => [x.referenceName, x.value])));
      },
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, target.workItemId, target.testKey, target.resultId]);

  const fieldError = (ref: string) => (error instanceof ApiClientError ? error.fieldMessage(ref) : undefined);
  const missing = form?.fields.filter((f) => f.required && !(values[f.referenceName] ?? "").trim()) ?? [];
  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const res = await api.api.results["work-items"][":id"].tests[":key"].defects.new.$post({
        param: params(target),
        json: { resultId: target.resultId, fields: values },
      });
      if (res.status !== 201) throw await failure(res);
      const created = await res.json();
      onCreated(created.defect, created.createdWith);
    } catch (e) {
      setError(e as Error);
      setSaving(false);
    }
  };

  if (!form && !error) return <Spinner size={SpinnerSize.small} label="Reading the bug type's fields…" className="defect-panel" />;
  const general =
    error && !(error instanceof ApiClientError && error.fields.some((f) => form?.fields.some((x) => x.referenceName === f.field)));
  return (
    <section className="defect-panel testops-form" aria-label="Create defect">
      <div className="defect-panel-title">
        Create {form?.workItemType ?? "defect"}
        {form ? <span className="secondary-text"> in {form.project.name}</span> : null}
      </div>
      {form ? (
        <div className="secondary-text defect-panel-note">
          Linked to this work item ({form.linkType === "System.LinkTypes.Related" ? "Related" : form.linkType}) and to this test
          {form.linksTestPlansResult ? ", and to the result in Azure Test Plans" : ""}. Created with your Azure DevOps account.
        </div>
      ) : null}
      {general ? (
        <MessageCard severity={MessageCardSeverity.Error} className="defect-panel-error">
          {error.message}
        </MessageCard>
      ) : null}
      {form?.fields.map((f) => (
        <DefectFieldInput
          key={f.referenceName}
          field={f}
          value={values[f.referenceName] ?? ""}
          error={fieldError(f.referenceName)}
          onChange={(v) => setValues((old) => ({ ...old, [f.referenceName]: v }))}
        />
      ))}
      <ButtonGroup className="defect-panel-buttons">
        <Button
          primary
          text={saving ? "Creating…" : `Create ${form?.workItemType ?? "defect"}`}
          disabled={!form || saving || missing.length > 0}
          tooltipProps={missing.length ? { text: `Required: ${missing.map((m) => m.name).join(", ")}` } : undefined}
          onClick={save}
        />
        <Button text="Cancel" disabled={saving} onClick={onCancel} />
      </ButtonGroup>
    </section>
  );
}

function DefectFieldInput({
  field,
  value,
  error,
  onChange,
}: {
  field: DefectField;
  value: string;
  error?: string;
  onChange: (v: string) => void;
}) {
  const id = `defect-field-${field.referenceName.replace(/\W/g, "-")}`;
  const label = `${field.name}${field.required ? " (required)" : ""}`;
  if (field.kind === "choice")
    return (
      <FormField label={label} error={error}>
        {/* A native select: a callout would be clipped by the form group's frame. */}
        <select
          id={id}
          aria-label={field.name}
          className="defect-select"
          value={value}
          aria-invalid={!!error}
          onChange={(e) => onChange(e.target.value)}
        >
          {!field.allowedValues.includes(value) ? <option value={value}>{value === "" ? "— choose —" : value}</option> : null}
          {field.allowedValues.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </FormField>
    );
  return (
    <FormField label={label} error={error}>
      <TextField
        inputId={id}
        ariaLabel={field.name}
        value={value}
        multiline={field.kind === "html"}
        rows={field.kind === "html" ? 6 : undefined}
        onChange={(_, v) => onChange(v)}
      />
    </FormField>
  );
}

/** Link defect: find a work item of the project by id or title words, link it to the test. */
export function LinkDefectPanel({
  target,
  onLinked,
  onCancel,
}: {
  target: DefectTarget;
  onLinked: (d: Defect) => void;
  onCancel: () => void;
}) {
  const { api } = usePage();
  const [q, setQ] = React.useState("");
  const [found, setFound] = React.useState<DefectCandidate[] | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<Error | null>(null);
  const search = async () => {
    if (!q.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const res = await api.api.results["work-items"][":id"]["defect-candidates"].$get({
        param: { id: String(target.workItemId) },
        query: { q },
      });
      if (res.status !== 200) throw await failure(res);
      setFound((await res.json()).candidates);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const link = async (defectId: number) => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.api.results["work-items"][":id"].tests[":key"].defects.$post({
        param: params(target),
        json: { defectId, resultId: target.resultId },
      });
      if (res.status !== 201) throw await failure(res);
      onLinked(await res.json());
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  };
  return (
    <section className="defect-panel" aria-label="Link defect">
      <div className="defect-panel-title">Link an existing work item</div>
      <div className="flex-row flex-center defect-search">
        <TextField
          ariaLabel="Work item id or title words"
          placeholder="Id or title words"
          value={q}
          onChange={(_, v) => setQ(v)}
          onKeyDown={(e) => {
            if (e.key === "Enter") void search();
          }}
          className="flex-grow"
        />
        <Button text="Search" disabled={busy || !q.trim()} onClick={search} />
        <Button text="Cancel" subtle onClick={onCancel} />
      </div>
      {error ? (
        <MessageCard severity={MessageCardSeverity.Error} className="defect-panel-error">
          {error.message}
        </MessageCard>
      ) : null}
      {found && !found.length ? <div className="secondary-text">No work item of this project matches.</div> : null}
      {found?.length ? (
        <ul className="defect-candidates" aria-label="Matching work items">
          {found.map((c) => (
            <li key={c.id} className="flex-row flex-center">
              <span className="defect-candidate-text text-ellipsis">
                {c.type} {c.id}: {c.title} <span className="secondary-text">· {c.state}</span>
              </span>
              <Button text="Link" ariaLabel={`Link ${c.id}`} subtle disabled={busy} onClick={() => link(c.id)} />
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
