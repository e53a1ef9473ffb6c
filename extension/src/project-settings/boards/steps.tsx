import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Checkbox } from "azure-devops-ui/Checkbox";
import { FormItem } from "azure-devops-ui/FormItem";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { RadioButton, RadioButtonGroup } from "azure-devops-ui/RadioButton";
import { TextField, TextFieldWidth } from "azure-devops-ui/TextField";
import { Toggle } from "azure-devops-ui/Toggle";
import { planIterations } from "@testops/backend/boards/iterations";
import {
  BUG_STATUSES,
  REQUIREMENT_STATUSES,
  STATE_CATEGORIES,
  TESTOPS_PRIORITIES,
  TESTOPS_SEVERITIES,
  type AdoIterationNode,
  type BoardsLinkConfig,
} from "@testops/backend/schemas/boards";
import { fieldLabel, type FieldIssue, type ProcessInfo, type TypeInfo } from "./draft";
import { plural } from "./format";
import type { Async } from "./hooks";
import { IterationTree } from "./IterationTree";
import { Picker } from "./Picker";
import { Loading } from "../../common/ui";

export type Draft = BoardsLinkConfig;
export type SetDraft = (update: (d: Draft) => Draft) => void;

interface StepProps {
  draft: Draft;
  set: SetDraft;
  issues: FieldIssue[];
  editing: boolean;
}

/** The first issue of a field (or of anything below it), for the FormItem under that field. */
function issueOf(issues: FieldIssue[], field: string): string | undefined {
  return issues.find((i) => i.field === field || i.field.startsWith(field + "."))?.message;
}

/** Loading / error / ready for a picker's data, so every step shows the same states. */
function Loaded<T>({ data, what, children }: { data: Async<T>; what: string; children: (v: T) => React.ReactNode }) {
  if (data.state === "ready") return <>{children(data.value)}</>;
  if (data.state === "error")
    return (
      <MessageCard severity={MessageCardSeverity.Error}>
        Could not load {what} from Azure DevOps: {data.error.message}
      </MessageCard>
    );
  if (data.state === "loading") return <Loading label={`Loading ${what}…`} />;
  return null;
}

// ---------- 1. Project and team ----------

export function ProjectStep(
  p: StepProps & {
    projects: Async<{ id: string; name: string }[]>;
    teams: Async<{ id: string; name: string }[]>;
    onProject: (project: { id: string; name: string }) => void;
  },
) {
  const { draft, set, issues } = p;
  const descError = issueOf(issues, "description");
  return (
    <div className="flex-column rhythm-vertical-16">
      <FormItem
        label="Project"
        error={!!issueOf(issues, "project")}
        message={issueOf(issues, "project") ?? "The Azure DevOps project whose Boards are synced"}
      >
        <Loaded data={p.projects} what="projects">
          {(projects) => (
            <Picker
              label="Project"
              items={projects.map((x) => ({ id: x.id, text: x.name }))}
              value={draft.project.id}
              disabled={p.editing}
              onChange={(id) => {
                const pr = projects.find((x) => x.id === id);
                if (pr && pr.id !== draft.project.id) p.onProject({ id: pr.id, name: pr.name });
              }}
            />
          )}
        </Loaded>
      </FormItem>
      <FormItem
        label="Team (optional)"
        error={!!issueOf(issues, "team")}
        message={issueOf(issues, "team") ?? "A team enables its board as the iteration source (step 3)"}
      >
        <Loaded data={p.teams} what="teams">
          {(teams) => (
            <Picker
              label="Team"
              items={[{ id: "", text: "No team" }, ...teams.map((t) => ({ id: t.id, text: t.name }))]}
              value={draft.team?.id ?? ""}
              onChange={(id) => {
                const t = teams.find((x) => x.id === id);
                set((d) => ({
                  ...d,
                  team: t ? { id: t.id, name: t.name } : null,
                  iterations: { ...d.iterations, source: t ? d.iterations.source : "projectTree" },
                }));
              }}
            />
          )}
        </Loaded>
      </FormItem>
      <FormItem label="Description" error={!!descError} message={descError ?? `${draft.description.length}/255 characters`}>
        <TextField
          ariaLabel="Description"
          multiline
          rows={3}
          width={TextFieldWidth.auto}
          value={draft.description}
          onChange={(_e, v) => set((d) => ({ ...d, description: v }))}
        />
      </FormItem>
    </div>
  );
}

// ---------- 2. What to pull ----------

export function PullStep(p: StepProps & { process: Async<ProcessInfo> }) {
  const { draft, set, issues } = p;
  const noBugs = p.process.state === "ready" && p.process.value.bug.length === 0;
  const err = issueOf(issues, "pullRequirements") ?? issueOf(issues, "bugMapping");
  return (
    <div className="flex-column rhythm-vertical-16">
      <div>
        <Toggle
          text="Pull Requirements"
          checked={draft.pullRequirements}
          onChange={(_e, on) => set((d) => ({ ...d, pullRequirements: on }))}
        />
        <div className="body-s testops-muted">
          Requirement work items (user stories, backlog items…) become TestOps requirements (step 5).
        </div>
      </div>
      <div>
        <Toggle
          text="Bug Mapping"
          checked={draft.bugMapping && !noBugs}
          disabled={noBugs}
          onChange={(_e, on) => set((d) => ({ ...d, bugMapping: on }))}
        />
        <div className="body-s testops-muted">
          {noBugs
            ? "This project's process has no bug work item type, so there is nothing to map."
            : "Bugs become TestOps defects with their severity and status (step 6)."}
        </div>
      </div>
      {err ? (
        <MessageCard severity={MessageCardSeverity.Error}>
          {fieldLabel("pullRequirements")}: {err}
        </MessageCard>
      ) : null}
    </div>
  );
}

// ---------- 3. Iteration paths ----------

export function IterationsStep(
  p: StepProps & {
    tree: Async<AdoIterationNode>;
    teamIterations: Async<{ id: string }[]>;
  },
) {
  const { draft, set, issues } = p;
  const it = draft.iterations;
  const sourceError = issueOf(issues, "iterations.source");
  const teamIds =
    it.source === "teamBoard" && p.teamIterations.state === "ready" ? new Set(p.teamIterations.value.map((i) => i.id.toLowerCase())) : null;
  return (
    <div className="flex-column rhythm-vertical-16">
      <FormItem label="Sprints come from" error={!!sourceError} message={sourceError}>
        <RadioButtonGroup
          selectedButtonId={it.source}
          onSelect={(id) => set((d) => ({ ...d, iterations: { ...d.iterations, source: id as "projectTree" | "teamBoard" } }))}
        >
          <RadioButton id="projectTree" text="The project's iteration tree" />
          {draft.team ? (
            <RadioButton id="teamBoard" text={`The team board of ${draft.team.name} (only its iterations)`} />
          ) : (
            <RadioButton id="teamBoard" text="A team board (pick a team in step 1)" disabled />
          )}
        </RadioButtonGroup>
      </FormItem>
      <Toggle
        text="Name releases and sprints by their full iteration path"
        checked={it.fullPath}
        onChange={(_e, on) => set((d) => ({ ...d, iterations: { ...d.iterations, fullPath: on } }))}
      />
      <Loaded data={p.tree} what="the iteration tree">
        {(root) => {
          if (it.source === "teamBoard" && p.teamIterations.state !== "ready")
            return (
              <Loaded data={p.teamIterations} what="the team's iterations">
                {() => null}
              </Loaded>
            );
          const plan = planIterations(root, draft, teamIds);
          const undated = plan.sprints.filter((s) => s.missingDates).length;
          return (
            <div className="flex-column rhythm-vertical-8">
              <div className="body-m" aria-live="polite">
                {it.releasePaths.length ? "Ticked iterations are releases" : "Nothing ticked: every first-level iteration is a release"}
                {" · "}
                {plural(plan.releases.length, "release")}, {plural(plan.sprints.length, "sprint")}
                {undated ? ` (${undated} without dates)` : ""}
              </div>
              {plan.missingReleasePaths.length ? (
                <MessageCard severity={MessageCardSeverity.Warning}>
                  No longer in the tree: {plan.missingReleasePaths.join(", ")}. Untick them or pick other releases.
                </MessageCard>
              ) : null}
              <IterationTree
                root={root}
                plan={plan}
                releasePaths={it.releasePaths}
                onChange={(releasePaths) => set((d) => ({ ...d, iterations: { ...d.iterations, releasePaths } }))}
              />
            </div>
          );
        }}
      </Loaded>
    </div>
  );
}

// ---------- 4. Priority ----------

export function PriorityStep({ draft, set, issues, priorities }: StepProps & { priorities: string[] | null }) {
  const keys = ["1", "2", "3", "4"] as const;
  return (
    <div className="flex-column rhythm-vertical-8">
      <div className="body-m testops-muted">Azure DevOps priority (Microsoft.VSTS.Common.Priority) → TestOps priority</div>
      {priorities && priorities.some((v) => !(keys as readonly string[]).includes(v)) ? (
        <MessageCard severity={MessageCardSeverity.Warning}>
          This process also allows {priorities.filter((v) => !(keys as readonly string[]).includes(v)).join(", ")}; those are reported as
          unmapped.
        </MessageCard>
      ) : null}
      <table className="testops-map-table">
        <thead>
          <tr>
            <th scope="col">Azure DevOps</th>
            <th scope="col">TestOps</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <td>Priority {k}</td>
              <td>
                <Picker
                  label={`TestOps priority for ADO priority ${k}`}
                  items={TESTOPS_PRIORITIES.map((x) => ({ id: x, text: x }))}
                  value={draft.priorityMapping[k]}
                  onChange={(v) =>
                    set((d) => ({ ...d, priorityMapping: { ...d.priorityMapping, [k]: v as (typeof TESTOPS_PRIORITIES)[number] } }))
                  }
                />
                {issueOf(issues, `priorityMapping.${k}`) ? (
                  <div className="testops-error body-s">{issueOf(issues, `priorityMapping.${k}`)}</div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---------- shared: types and their states ----------

function TypeChoice({
  label,
  types,
  selected,
  onChange,
  error,
}: {
  label: string;
  types: TypeInfo[];
  selected: string[];
  onChange: (types: string[]) => void;
  error?: string;
}) {
  const on = new Set(selected.map((s) => s.toLowerCase()));
  return (
    <FormItem label={label} error={!!error} message={error}>
      <div className="flex-row flex-wrap rhythm-horizontal-16" role="group" aria-label={label}>
        {types.map((t) => (
          <Checkbox
            key={t.name}
            label={t.name}
            checked={on.has(t.name.toLowerCase())}
            onChange={(_e, c) => onChange(c ? [...selected, t.name] : selected.filter((s) => s.toLowerCase() !== t.name.toLowerCase()))}
          />
        ))}
      </div>
    </FormItem>
  );
}

const CATEGORY_LABEL: Record<string, string> = {
  Proposed: "Proposed",
  InProgress: "In Progress",
  Resolved: "Resolved",
  Completed: "Completed",
  Removed: "Removed",
};

/** One type's states grouped by state category (so renamed/custom states sit where their category puts them). */
function StateMapping({
  section,
  type,
  statuses,
  mapping,
  onChange,
  issues,
}: {
  section: "requirements" | "bugs";
  type: TypeInfo;
  statuses: readonly string[];
  mapping: Record<string, string>;
  onChange: (state: string, status: string) => void;
  issues: FieldIssue[];
}) {
  const order = (c: string) => {
    const i = (STATE_CATEGORIES as readonly string[]).indexOf(c);
    return i < 0 ? 99 : i;
  };
  const groups = [...new Set(type.states.map((s) => s.category))].sort((a, b) => order(a) - order(b));
  return (
    <table className="testops-map-table" aria-label={`${type.name} states`}>
      <caption className="body-m font-weight-semibold">{type.name}</caption>
      <thead>
        <tr>
          <th scope="col">Category</th>
          <th scope="col">Azure DevOps state</th>
          <th scope="col">TestOps status</th>
        </tr>
      </thead>
      <tbody>
        {groups.flatMap((g) =>
          type.states
            .filter((s) => s.category === g)
            .map((s, i) => {
              const err = issueOf(issues, `${section}.stateMapping.${type.name}.${s.name}`);
              return (
                <tr key={s.name}>
                  <td className="testops-muted">{i === 0 ? (CATEGORY_LABEL[g] ?? g) : ""}</td>
                  <td>{s.name}</td>
                  <td>
                    <Picker
                      label={`TestOps status for ${type.name} state ${s.name}`}
                      items={statuses.map((x) => ({ id: x, text: x }))}
                      value={mapping[s.name] ?? null}
                      placeholder="Not mapped"
                      onChange={(v) => onChange(s.name, v)}
                    />
                    {err ? <div className="testops-error body-s">{err}</div> : null}
                  </td>
                </tr>
              );
            }),
        )}
      </tbody>
    </table>
  );
}

// ---------- 5. Requirements ----------

export function RequirementsStep(
  p: StepProps & {
    process: Async<ProcessInfo>;
    dateFields: Async<{ referenceName: string; name: string }[]>;
    onTypes: (types: string[]) => void;
  },
) {
  const { draft, set, issues } = p;
  const r = draft.requirements;
  const dateErr = issueOf(issues, "requirements.releaseDateFields");
  const move = (i: number, by: number) =>
    set((d) => {
      const f = [...d.requirements.releaseDateFields];
      const [x] = f.splice(i, 1);
      f.splice(i + by, 0, x);
      return { ...d, requirements: { ...d.requirements, releaseDateFields: f } };
    });
  return (
    <Loaded data={p.process} what="the process's work item types">
      {(proc) => (
        <div className="flex-column rhythm-vertical-16">
          {proc.requirement.length === 0 ? (
            <MessageCard severity={MessageCardSeverity.Warning}>This project's process has no requirement work item types.</MessageCard>
          ) : (
            <TypeChoice
              label="Work item types to sync"
              types={proc.requirement}
              selected={r.workItemTypes}
              onChange={p.onTypes}
              error={issueOf(issues, "requirements.workItemTypes")}
            />
          )}
          {/* Not a FormItem: it would name the "add" picker after the whole section. */}
          <div className="flex-column rhythm-vertical-8" role="group" aria-label="Release date fields">
            <div className="body-m font-weight-semibold">Release date (first non-empty field wins)</div>
            <div className={`body-s ${dateErr ? "testops-error" : "testops-muted"}`}>
              {dateErr ?? "Up to three date fields, in priority order"}
            </div>
            <ol className="testops-date-fields" aria-label="Release date fields in priority order">
              {r.releaseDateFields.map((f, i) => {
                const name = p.dateFields.state === "ready" ? (p.dateFields.value.find((x) => x.referenceName === f)?.name ?? f) : f;
                return (
                  <li key={f} className="flex-row flex-center rhythm-horizontal-8">
                    <span className="testops-date-name">
                      {i + 1}. {name}
                    </span>
                    <Button
                      subtle
                      iconProps={{ iconName: "Up" }}
                      ariaLabel={`Move ${name} up`}
                      disabled={i === 0}
                      onClick={() => move(i, -1)}
                    />
                    <Button
                      subtle
                      iconProps={{ iconName: "Down" }}
                      ariaLabel={`Move ${name} down`}
                      disabled={i === r.releaseDateFields.length - 1}
                      onClick={() => move(i, 1)}
                    />
                    <Button
                      subtle
                      iconProps={{ iconName: "Cancel" }}
                      ariaLabel={`Remove ${name}`}
                      onClick={() =>
                        set((d) => ({
                          ...d,
                          requirements: { ...d.requirements, releaseDateFields: d.requirements.releaseDateFields.filter((x) => x !== f) },
                        }))
                      }
                    />
                  </li>
                );
              })}
            </ol>
            {r.releaseDateFields.length < 3 ? (
              r.workItemTypes.length ? (
                <Loaded data={p.dateFields} what="date fields">
                  {(fields) => (
                    <Picker
                      label="Add a release date field"
                      placeholder="Add a date field…"
                      items={fields
                        .filter((f) => !r.releaseDateFields.includes(f.referenceName))
                        .map((f) => ({ id: f.referenceName, text: f.name, secondaryText: f.referenceName }))}
                      value={null}
                      onChange={(id) =>
                        set((d) => ({
                          ...d,
                          requirements: { ...d.requirements, releaseDateFields: [...d.requirements.releaseDateFields, id].slice(0, 3) },
                        }))
                      }
                    />
                  )}
                </Loaded>
              ) : (
                <div className="body-s testops-muted">Pick a work item type to choose its date fields.</div>
              )
            ) : null}
          </div>
          <div className="flex-column rhythm-vertical-8">
            <div className="body-m font-weight-semibold">State → TestOps status</div>
            {r.workItemTypes.map((t) => {
              const info = proc.requirement.find((x) => x.name.toLowerCase() === t.toLowerCase());
              return info ? (
                <StateMapping
                  key={t}
                  section="requirements"
                  type={info}
                  statuses={REQUIREMENT_STATUSES}
                  mapping={r.stateMapping[t] ?? {}}
                  issues={issues}
                  onChange={(state, status) =>
                    set((d) => ({
                      ...d,
                      requirements: {
                        ...d.requirements,
                        stateMapping: {
                          ...d.requirements.stateMapping,
                          [t]: { ...d.requirements.stateMapping[t], [state]: status as (typeof REQUIREMENT_STATUSES)[number] },
                        },
                      },
                    }))
                  }
                />
              ) : null;
            })}
          </div>
        </div>
      )}
    </Loaded>
  );
}

// ---------- 6. Bugs ----------

export function BugsStep(
  p: StepProps & {
    process: Async<ProcessInfo>;
    severities: Async<string[]>;
    onTypes: (types: string[]) => void;
  },
) {
  const { draft, set, issues } = p;
  const b = draft.bugs;
  return (
    <Loaded data={p.process} what="the process's work item types">
      {(proc) =>
        proc.bug.length === 0 ? (
          <MessageCard severity={MessageCardSeverity.Warning}>
            This project&apos;s process has no bug work item type; turn Bug Mapping off in step 2.
          </MessageCard>
        ) : (
          <div className="flex-column rhythm-vertical-16">
            <TypeChoice
              label="Bug work item types"
              types={proc.bug}
              selected={b.workItemTypes}
              onChange={p.onTypes}
              error={issueOf(issues, "bugs.workItemTypes")}
            />
            <div className="flex-column rhythm-vertical-8">
              <div className="body-m font-weight-semibold">Severity → TestOps severity</div>
              {b.workItemTypes.length ? (
                <Loaded data={p.severities} what="severities">
                  {(sev) =>
                    sev.length ? (
                      <table className="testops-map-table" aria-label="Severity mapping">
                        <thead>
                          <tr>
                            <th scope="col">Azure DevOps severity</th>
                            <th scope="col">TestOps severity</th>
                          </tr>
                        </thead>
                        <tbody>
                          {sev.map((s) => {
                            const err = issueOf(issues, `bugs.severityMapping.${s}`);
                            return (
                              <tr key={s}>
                                <td>{s}</td>
                                <td>
                                  <Picker
                                    label={`TestOps severity for ${s}`}
                                    items={TESTOPS_SEVERITIES.map((x) => ({ id: x, text: x }))}
                                    value={b.severityMapping[s] ?? null}
                                    placeholder="Not mapped"
                                    onChange={(v) =>
                                      set((d) => ({
                                        ...d,
                                        bugs: {
                                          ...d.bugs,
                                          severityMapping: { ...d.bugs.severityMapping, [s]: v as (typeof TESTOPS_SEVERITIES)[number] },
                                        },
                                      }))
                                    }
                                  />
                                  {err ? <div className="testops-error body-s">{err}</div> : null}
                                </td>
                              </tr>
                            );
                          })}
                        </tbody>
                      </table>
                    ) : (
                      <div className="body-s testops-muted">The selected bug types have no Severity field.</div>
                    )
                  }
                </Loaded>
              ) : (
                <div className="body-s testops-muted">Pick a bug type to map its severities.</div>
              )}
            </div>
            <div className="flex-column rhythm-vertical-8">
              <div className="body-m font-weight-semibold">State → TestOps status</div>
              {b.workItemTypes.map((t) => {
                const info = proc.bug.find((x) => x.name.toLowerCase() === t.toLowerCase());
                return info ? (
                  <StateMapping
                    key={t}
                    section="bugs"
                    type={info}
                    statuses={BUG_STATUSES}
                    mapping={b.stateMapping[t] ?? {}}
                    issues={issues}
                    onChange={(state, status) =>
                      set((d) => ({
                        ...d,
                        bugs: {
                          ...d.bugs,
                          stateMapping: {
                            ...d.bugs.stateMapping,
                            [t]: { ...d.bugs.stateMapping[t], [state]: status as (typeof BUG_STATUSES)[number] },
                          },
                        },
                      }))
                    }
                  />
                ) : null;
              })}
            </div>
          </div>
        )
      }
    </Loaded>
  );
}
