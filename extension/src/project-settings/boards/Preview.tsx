import * as React from "react";
import { MessageCard, MessageCardSeverity } from "azure-devops-ui/MessageCard";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import type { PreviewResult } from "@testops/backend/schemas/boards";
import { fmtRange } from "./format";

type WorkItems = NonNullable<PreviewResult["requirements"]>;

function Counts({ c }: { c: { create: number; update: number; skip: number; remove?: number } }) {
  return (
    <div className="flex-row flex-wrap rhythm-horizontal-8">
      <Pill size={PillSize.compact}>{c.create} to create</Pill>
      <Pill size={PillSize.compact}>{c.update} to update</Pill>
      <Pill size={PillSize.compact} variant={PillVariant.outlined}>
        {c.skip} unchanged
      </Pill>
      {c.remove ? (
        <Pill size={PillSize.compact} variant={PillVariant.outlined}>
          {c.remove} to mark removed
        </Pill>
      ) : null}
    </div>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="testops-preview-section flex-column rhythm-vertical-8" aria-label={title}>
      <h3 className="title-s">{title}</h3>
      {children}
    </section>
  );
}

function Items({ title, w, severity }: { title: string; w: WorkItems; severity?: boolean }) {
  const statuses = Object.entries(w.byStatus).sort((a, b) => b[1] - a[1]);
  return (
    <Section title={title}>
      <Counts c={w} />
      {statuses.length ? (
        <div className="body-m" aria-label={`${title} by status`}>
          By status: {statuses.map(([s, n]) => `${s} ${n}`).join(" · ")}
        </div>
      ) : (
        <div className="body-m testops-muted">No work items of the selected types.</div>
      )}
      {w.sample.length ? (
        <table className="testops-map-table testops-preview-table" aria-label={`${title}: examples`}>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Title</th>
              <th scope="col">State → status</th>
              <th scope="col">Priority</th>
              {severity ? <th scope="col">Severity</th> : null}
              <th scope="col">Iteration</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {w.sample.map((s) => (
              <tr key={s.adoId}>
                <td>{s.adoId}</td>
                <td className="text-ellipsis">{s.title}</td>
                <td>
                  {s.adoState ?? "—"} → {s.status ?? <span className="testops-error">unmapped</span>}
                </td>
                <td>{s.priority ?? "—"}</td>
                {severity ? <td>{s.severity ?? "—"}</td> : null}
                <td className="text-ellipsis">{s.iterationPath ?? "—"}</td>
                <td>{s.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}

/** What a sync would do, as the backend's dry run computed it (nothing has been written). */
export function PreviewView({ result }: { result: PreviewResult }) {
  const r = result;
  return (
    <div className="flex-column rhythm-vertical-16" aria-label="Preview">
      <MessageCard severity={MessageCardSeverity.Info}>This is a dry run: nothing has been written to TestOps yet.</MessageCard>
      {r.warnings.map((w) => (
        <MessageCard key={w} severity={MessageCardSeverity.Warning}>
          {w}
        </MessageCard>
      ))}
      <Section title="Releases">
        <Counts c={r.releases} />
        <ul className="testops-preview-list">
          {r.releases.items.map((x) => (
            <li key={x.adoNodeId}>
              <span className="font-weight-semibold">{x.name}</span>{" "}
              <span className="testops-muted">{fmtRange(x.startDate, x.finishDate)}</span> · {x.action}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Sprints">
        <Counts c={r.sprints} />
        {r.sprints.withoutDates ? <div className="body-m">{r.sprints.withoutDates} without dates (flagged below)</div> : null}
        <ul className="testops-preview-list">
          {r.sprints.items.map((x) => (
            <li key={x.adoNodeId}>
              <span className="font-weight-semibold">{x.name}</span>{" "}
              <span className="testops-muted">in {x.releasePath.split("\\").pop()}</span> ·{" "}
              {x.missingDates ? (
                <Pill size={PillSize.compact} variant={PillVariant.outlined} className="testops-flag">
                  No dates
                </Pill>
              ) : (
                <span className="testops-muted">{fmtRange(x.startDate, x.finishDate)}</span>
              )}{" "}
              · {x.action}
            </li>
          ))}
        </ul>
      </Section>
      {r.requirements ? <Items title="Requirements" w={r.requirements} /> : null}
      {r.bugs ? <Items title="Bugs" w={r.bugs} severity /> : null}
      {r.unmapped.length ? (
        <Section title="Not mapped">
          <div className="body-m testops-muted">These values have no mapping; they sync without that value. Go back to map them.</div>
          <ul className="testops-preview-list">
            {r.unmapped.map((u) => (
              <li key={`${u.kind}/${u.workItemType}/${u.value}`}>
                {u.kind} {u.value === null ? "(empty)" : `“${u.value}”`}
                {u.workItemType ? ` of ${u.workItemType}` : ""} · {u.count} work item{u.count === 1 ? "" : "s"}
                {u.example ? ` (e.g. #${u.example})` : ""}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
    </div>
  );
}
