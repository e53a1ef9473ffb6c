import * as React from "react";
import type { IButtonProps } from "azure-devops-ui/Button";
import { ContentSize } from "azure-devops-ui/Callout";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Panel } from "azure-devops-ui/Panel";
import type { Job } from "@testops/backend/routes/jobs";
import type { AdoIterationNode, BoardsLink, BoardsLinkConfig, PreviewResult } from "@testops/backend/schemas/boards";
import { ApiClientError, unwrap } from "../../common/api";
import { usePage } from "../../common/context";
import { Loading } from "../../common/ui";
import {
  activeSteps,
  draftFromLink,
  fieldLabel,
  newDraft,
  prefillFromProcess,
  prefillSeverities,
  stepOfField,
  STEPS,
  validateStep,
  type FieldIssue,
  type ProcessInfo,
  type StepId,
} from "./draft";
import { isForbidden, useAsync, type Async } from "./hooks";
import { PreviewView } from "./Preview";
import { BugsStep, IterationsStep, PriorityStep, ProjectStep, PullStep, RequirementsStep, type SetDraft } from "./steps";

const titleOf = (id: StepId) => STEPS.find((s) => s.id === id)!.title;

/**
 * The six-step Boards link wizard (new or edit). Every picker is filled from Azure DevOps through the
 * backend; Save stores (Inactive), Proceed stores and starts a sync, Preview is the backend's dry run.
 */
export function LinkWizard(props: {
  link?: BoardsLink;
  onClose: () => void;
  onSaved: (link: BoardsLink, job: Job | null) => void;
  onForbidden: (message: string) => void;
}) {
  const { api, project } = usePage();
  const editing = !!props.link;
  const [draft, setDraftState] = React.useState<BoardsLinkConfig>(() =>
    props.link ? draftFromLink(props.link) : newDraft({ id: project?.id ?? "", name: project?.name ?? "" }),
  );
  const set: SetDraft = (update) => setDraftState((d) => update(d));
  const [step, setStep] = React.useState<StepId>("project");
  const [issues, setIssues] = React.useState<FieldIssue[]>([]);
  const [failure, setFailure] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState<null | "save" | "proceed" | "preview">(null);
  const [preview, setPreview] = React.useState<PreviewResult | null>(null);

  const pid = draft.project.id || null;
  const [projects] = useAsync("projects", async () => (await unwrap(await api.api.boards.ado.projects.$get())).projects);
  const [teams] = useAsync(
    pid,
    async () => (await unwrap(await api.api.boards.ado.projects[":project"].teams.$get({ param: { project: pid! } }))).teams,
  );
  const [tree] = useAsync<AdoIterationNode>(
    pid,
    async () =>
      (await unwrap(await api.api.boards.ado.projects[":project"].iterations.$get({ param: { project: pid! } })))
        .root as unknown as AdoIterationNode,
  );
  const teamKey = draft.iterations.source === "teamBoard" && draft.team && pid ? `${pid}/${draft.team.id}` : null;
  const [teamIterations] = useAsync(
    teamKey,
    async () =>
      (
        await unwrap(
          await api.api.boards.ado.projects[":project"].teams[":team"].iterations.$get({ param: { project: pid!, team: draft.team!.id } }),
        )
      ).iterations,
  );
  const [process] = useAsync<ProcessInfo>(pid, async () =>
    unwrap(await api.api.boards.ado.projects[":project"]["work-item-types"].$get({ param: { project: pid! } })),
  );
  const fieldsOf = async (types: string[]) =>
    unwrap(await api.api.boards.ado.projects[":project"].fields.$get({ param: { project: pid! }, query: { types: types.join(",") } }));
  const reqTypes = draft.pullRequirements ? draft.requirements.workItemTypes : [];
  const bugTypes = draft.bugMapping ? draft.bugs.workItemTypes : [];
  const [reqFields] = useAsync(pid && reqTypes.length ? `${pid}|${reqTypes.join(",")}` : null, () => fieldsOf(reqTypes));
  const [bugFields] = useAsync(pid && bugTypes.length ? `${pid}|${bugTypes.join(",")}` : null, () => fieldsOf(bugTypes));
  const dateFields = mapAsync(reqFields, (f) => f.dateFields);
  const severities = mapAsync(bugFields, (f) => f.severities);

  // A 403 on any picker: the caller is not a project admin (ADO decides, the backend asks it).
  const forbidden = ([teams, tree, process] as Async<unknown>[]).find((a) => a.state === "error" && isForbidden(a.error));
  React.useEffect(() => {
    // Only this page's project makes the page read-only; another project's 403 stays in the wizard.
    if (forbidden?.state === "error" && pid === project?.id) props.onForbidden(forbidden.error.message);
  }, [!!forbidden, pid]);

  // The process suggests types and a status per state; the admin's own choices are kept.
  React.useEffect(() => {
    if (process.state === "ready") set((d) => prefillFromProcess(d, process.value, { pickDefaults: !editing }));
  }, [process.state === "ready" ? process.value : null]);
  React.useEffect(() => {
    if (severities.state === "ready") set((d) => prefillSeverities(d, severities.value));
  }, [severities.state === "ready" ? severities.value.join("\n") : null]);
  // Basic has no bug type: Bug Mapping cannot be on.
  React.useEffect(() => {
    if (process.state === "ready" && !process.value.bug.length) set((d) => (d.bugMapping ? { ...d, bugMapping: false } : d));
  }, [process.state]);

  const steps = activeSteps(draft);
  const index = steps.indexOf(step);
  const last = index === steps.length - 1;
  const processInfo = process.state === "ready" ? process.value : undefined;
  const sev = severities.state === "ready" ? severities.value : undefined;

  const check = (s: StepId) => validateStep(draft, s, processInfo, sev);
  const go = (to: StepId) => {
    setIssues([]);
    setFailure(null);
    setPreview(null);
    setStep(to);
  };
  const next = () => {
    const found = check(step);
    if (found.length) return setIssues(found);
    go(steps[index + 1]);
  };
  /** Every active step valid, else stop at the first one with problems. */
  const checkAll = (): boolean => {
    for (const s of steps) {
      const found = check(s);
      if (found.length) {
        setStep(s);
        setPreview(null);
        setIssues(found);
        return false;
      }
    }
    return true;
  };
  const fail = (e: unknown) => {
    if (e instanceof ApiClientError) {
      if (e.status === 403) {
        props.onForbidden(e.message);
        return setFailure(e.message);
      }
      if (e.fields.length) {
        const found = e.fields.map((f) => ({ field: f.field.replace(/^config\./, ""), message: f.message }));
        const first = stepOfField(found[0].field);
        setPreview(null);
        setStep(steps.includes(first) ? first : step);
        setIssues(found);
        return setFailure(e.message);
      }
    }
    setFailure(e instanceof Error ? e.message : String(e));
  };

  const save = async (proceed: boolean) => {
    if (!checkAll()) return;
    setBusy(proceed ? "proceed" : "save");
    setFailure(null);
    try {
      const body = { json: { config: draft, proceed } };
      // unwrap throws on every error status; what is left is the 200/201 body.
      const res = (
        props.link
          ? await unwrap(await api.api.boards.links[":id"].$put({ param: { id: props.link.id }, ...body }))
          : await unwrap(await api.api.boards.links.$post(body))
      ) as { link: BoardsLink; job: Job | null };
      // The list closes this panel: no state update after that.
      return props.onSaved(res.link, res.job);
    } catch (e) {
      fail(e);
    }
    setBusy(null);
  };
  const runPreview = async () => {
    if (!checkAll()) return;
    setBusy("preview");
    setFailure(null);
    try {
      const res = await unwrap(
        await api.api.boards.preview.$post({ json: { config: draft, ...(props.link ? { linkId: props.link.id } : {}) } }),
      );
      setPreview(res as PreviewResult);
    } catch (e) {
      fail(e);
    } finally {
      setBusy(null);
    }
  };

  const onTypes = (section: "requirements" | "bugs") => (types: string[]) =>
    set((d) => {
      const next = { ...d, [section]: { ...d[section], workItemTypes: types } } as BoardsLinkConfig;
      return processInfo ? prefillFromProcess(next, processInfo, { pickDefaults: false }) : next;
    });
  const onProject = (p: { id: string; name: string }) => {
    setDraftState({
      ...newDraft(p),
      description: draft.description,
      pullRequirements: draft.pullRequirements,
      bugMapping: draft.bugMapping,
    });
    setIssues([]);
  };

  const stepProps = { draft, set, issues, editing };
  const body = preview ? (
    <PreviewView result={preview} />
  ) : step === "project" ? (
    <ProjectStep {...stepProps} projects={projects} teams={teams} onProject={onProject} />
  ) : step === "pull" ? (
    <PullStep {...stepProps} process={process} />
  ) : step === "iterations" ? (
    <IterationsStep {...stepProps} tree={tree} teamIterations={teamIterations} />
  ) : step === "priority" ? (
    <PriorityStep {...stepProps} priorities={reqFields.state === "ready" ? reqFields.value.priorities : null} />
  ) : step === "requirements" ? (
    <RequirementsStep {...stepProps} process={process} dateFields={dateFields} onTypes={onTypes("requirements")} />
  ) : (
    <BugsStep {...stepProps} process={process} severities={severities} onTypes={onTypes("bugs")} />
  );

  const disabled = busy !== null;
  const footer: IButtonProps[] = [{ text: "Cancel", onClick: props.onClose, disabled }];
  if (preview) footer.push({ text: "Back to settings", onClick: () => setPreview(null), disabled });
  else if (index > 0) footer.push({ text: "Back", onClick: () => go(steps[index - 1]), disabled });
  if (!last && !preview) footer.push({ text: "Next", primary: true, onClick: next, disabled });
  if (last || preview) {
    if (!preview) footer.push({ text: busy === "preview" ? "Previewing…" : "Preview", onClick: runPreview, disabled });
    footer.push({ text: busy === "save" ? "Saving…" : "Save", onClick: () => save(false), disabled });
    footer.push({ text: busy === "proceed" ? "Starting…" : "Proceed", primary: true, onClick: () => save(true), disabled });
  }

  return (
    <Panel
      onDismiss={props.onClose}
      size={ContentSize.Large}
      titleProps={{ text: editing ? `Edit Boards link · ${draft.project.name}` : "New Boards link" }}
      description={preview ? "Preview of the first sync" : `Step ${index + 1} of ${steps.length} · ${titleOf(step)}`}
      footerButtonProps={footer}
      className="testops-wizard"
    >
      <div className="flex-column rhythm-vertical-16 testops-wizard-body">
        <ol className="testops-steps flex-row flex-wrap" aria-label="Wizard steps">
          {STEPS.map((s, i) => {
            const on = steps.includes(s.id);
            const current = !preview && s.id === step;
            const reachable = on && steps.indexOf(s.id) < index && !disabled;
            return (
              <li
                key={s.id}
                className={`testops-step${current ? " current" : ""}${on ? "" : " skipped"}`}
                aria-current={current ? "step" : undefined}
              >
                {reachable ? (
                  <button type="button" className="testops-step-link" onClick={() => go(s.id)}>
                    {i + 1}. {s.title}
                  </button>
                ) : (
                  <span>
                    {i + 1}. {s.title}
                    {on ? "" : " (off)"}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
        {issues.length ? (
          <MessageCard severity={MessageCardSeverity.Error} className="testops-issues">
            <div>
              <div>Fix these to continue:</div>
              <ul>
                {issues.map((i) => (
                  <li key={`${i.field}:${i.message}`}>
                    {fieldLabel(i.field)}: {i.message}
                  </li>
                ))}
              </ul>
            </div>
          </MessageCard>
        ) : failure ? (
          <MessageCard severity={MessageCardSeverity.Error}>{failure}</MessageCard>
        ) : null}
        {busy === "preview" ? <Loading label="Reading Azure DevOps for the preview…" /> : body}
      </div>
    </Panel>
  );
}

function mapAsync<T, U>(a: Async<T>, f: (v: T) => U): Async<U> {
  return a.state === "ready" ? { state: "ready", value: f(a.value) } : a;
}
