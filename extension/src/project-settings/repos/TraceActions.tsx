import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Dialog } from "azure-devops-ui/Dialog";
import { Link } from "azure-devops-ui/Link";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { TextField, TextFieldWidth } from "azure-devops-ui/TextField";
import type { TestCase } from "@testops/backend/schemas/repos";
import type { CreateFromKatalonResult, KatalonTrace } from "@testops/backend/schemas/trace";
import { ApiClientError, unwrap, type Api } from "../../common/api";
import { FormField } from "../../common/ui";

// Traceability in the Repos Tests view (issue 17): a Katalon test case ⇄ an Azure DevOps Test Case work item.

export interface TraceProps {
  byTc: Map<string, KatalonTrace>;
  canEdit: boolean;
  onLink(t: TestCase): void;
  onCreate(target: CreateTarget): void;
}

export type CreateTarget = { label: string } & ({ folder: { linkId: string; folder: string } } | { suiteId: string });

/** The Test Case a Katalon test case is linked to (a link to the work item), or the action to link one. */
export function TestCaseTrace({ t, trace }: { t: TestCase; trace?: TraceProps }) {
  if (!trace) return null;
  const hit = trace.byTc.get(t.id);
  if (hit?.adoTestCaseId)
    return (
      <span className="body-s" aria-label={`Linked to Test Case ${hit.adoTestCaseId}`}>
        {hit.adoUrl ? (
          <Link href={hit.adoUrl} target="_blank" rel="noopener noreferrer">
            Test Case {hit.adoTestCaseId}
          </Link>
        ) : (
          `Test Case ${hit.adoTestCaseId}`
        )}
        {hit.problem ? <span className="testops-repos-warning"> · {hit.problem}</span> : null}
      </span>
    );
  if (!trace.canEdit) return null;
  return <Button subtle text="Link to Test Case" ariaLabel={`Link ${t.name} to a Test Case`} onClick={() => trace.onLink(t)} />;
}

/** Deleted Katalon test cases that still automate a Test Case: reported, never unlinked silently. */
export function DeletedTraces({ traces }: { traces: KatalonTrace[] }) {
  const gone = traces.filter((t) => t.removed || t.problem);
  if (!gone.length) return null;
  return (
    <MessageCard severity={MessageCardSeverity.Warning} className="flex-self-stretch">
      <div className="flex-column">
        {gone.map((t) => (
          <span key={t.reposTestCaseId}>{t.problem ?? `${t.katalonId}: deleted from the repository`}</span>
        ))}
      </div>
    </MessageCard>
  );
}

const errorText = (e: unknown) =>
  e instanceof ApiClientError && e.status === 403
    ? "Only project administrators can link test cases."
    : e instanceof ApiClientError && e.fields.length
      ? e.fields.map((f) => f.message).join("; ")
      : e instanceof Error
        ? e.message
        : String(e);

/** Link one Katalon test case to an existing Test Case (by id) or create a Test Case for it. */
export function LinkTestCaseDialog({
  api,
  projectId,
  testCase,
  onDone,
  onDismiss,
}: {
  api: Api;
  projectId: string;
  testCase: TestCase;
  onDone(): void;
  onDismiss(): void;
}) {
  const [id, setId] = React.useState("");
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string>();
  const run = async (what: "link" | "create") => {
    setBusy(true);
    setError(undefined);
    try {
      if (what === "link") {
        const n = Number(id.trim().replace(/^#/, ""));
        if (!Number.isInteger(n) || n < 1) throw new Error("Enter the id of a Test Case work item (a positive whole number)");
        await unwrap(await api.api.trace.katalon.link.$post({ json: { projectId, reposTestCaseId: testCase.id, adoTestCaseId: n } }));
      } else await unwrap(await api.api.trace.katalon.create.$post({ json: { projectId, reposTestCaseIds: [testCase.id] } }));
      onDone();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      titleProps={{ text: `Link ${testCase.name} to a Test Case` }}
      footerButtonProps={[
        { text: "Cancel", onClick: onDismiss },
        { text: busy ? "Working…" : "Create new Test Case", onClick: () => void run("create"), disabled: busy },
        { text: "Link", primary: true, onClick: () => void run("link"), disabled: busy || !id.trim() },
      ]}
      onDismiss={onDismiss}
    >
      <div className="flex-column rhythm-vertical-8" aria-busy={busy}>
        <span className="body-m">
          The Test Case gets the automation association Azure Test Plans uses (automated test name {testCase.katalonId}, type Katalon), so
          results pushed to Azure Test Plans land on it.
        </span>
        <FormField label="Existing Test Case ID" error={error} help="Or create a new Test Case named after the Katalon test case.">
          <TextField ariaLabel="Existing Test Case ID" value={id} onChange={(_e, v) => setId(v)} width={TextFieldWidth.auto} />
        </FormField>
      </div>
    </Dialog>
  );
}

/** Confirms creating Test Cases for a folder's or a suite's Katalon test cases (those already linked are left alone). */
export function CreateTestCasesDialog({
  api,
  projectId,
  target,
  onDone,
  onDismiss,
}: {
  api: Api;
  projectId: string;
  target: CreateTarget;
  onDone(summary: string): void;
  onDismiss(): void;
}) {
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const json = "folder" in target ? { projectId, folder: target.folder } : { projectId, suiteId: target.suiteId };
      // The body is a union of two shapes, which the typed client cannot narrow to the 200 answer.
      const r = (await unwrap(await api.api.trace.katalon.create.$post({ json }))) as unknown as CreateFromKatalonResult;
      onDone(
        `${r.created.length} Test Case${r.created.length === 1 ? "" : "s"} created, ${r.alreadyLinked.length} already linked (${target.label}).`,
      );
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      titleProps={{ text: `Create Test Cases for ${target.label}?` }}
      footerButtonProps={[
        { text: "Cancel", onClick: onDismiss },
        { text: busy ? "Creating…" : "Create", primary: true, onClick: () => void run(), disabled: busy },
      ]}
      onDismiss={onDismiss}
    >
      <div className="flex-column rhythm-vertical-8">
        <span className="body-m">
          Every Katalon test case in it that is not linked yet gets a new Azure DevOps Test Case with the automation association.
        </span>
        {error && (
          <MessageCard severity={MessageCardSeverity.Error} className="flex-self-stretch">
            {error}
          </MessageCard>
        )}
      </div>
    </Dialog>
  );
}
