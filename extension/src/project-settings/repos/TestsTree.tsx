import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Icon } from "azure-devops-ui/Icon";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import { Status, Statuses, StatusSize } from "azure-devops-ui/Status";
import type { TestCase, TestSuite } from "@testops/backend/schemas/repos";
import { ago, SUITE_KIND_LABEL, type TreeNode } from "./format";
import { TestCaseTrace, type TraceProps } from "./TraceActions";

const OUTCOME = {
  passed: Statuses.Success,
  failed: Statuses.Failed,
  error: Statuses.Failed,
  skipped: Statuses.Skipped,
} as const;

function SyncPill({ warnings }: { warnings: string[] }) {
  const text = warnings.length ? "Warning" : "Synced";
  return (
    <Pill
      size={PillSize.compact}
      variant={PillVariant.outlined}
      ariaLabel={`Sync status: ${text}${warnings.length ? ` (${warnings.join("; ")})` : ""}`}
      onRenderFilledVisual={() => <Status {...(warnings.length ? Statuses.Warning : Statuses.Success)} size={StatusSize.s} />}
    >
      {text}
    </Pill>
  );
}

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex-row rhythm-horizontal-8">
      <span className="testops-repos-detail-label testops-muted">{label}</span>
      <span className="testops-repos-path">{children}</span>
    </div>
  );
}

function TestCaseDetails({ t }: { t: TestCase }) {
  return (
    <div className="testops-repos-details body-s">
      <Detail label="Path">{t.path}</Detail>
      <Detail label="GUID">{t.guid ?? "none (identified by path)"}</Detail>
      <Detail label="Script">{t.scriptPath ?? "none"}</Detail>
      {t.tags.length > 0 && <Detail label="Tags">{t.tags.join(", ")}</Detail>}
      {t.variables.length > 0 && (
        <Detail label="Variables">
          {t.variables.map((v) => (v.masked ? `${v.name} (masked)` : `${v.name} = ${v.defaultValue}`)).join(", ")}
        </Detail>
      )}
      {t.description && <Detail label="Description">{t.description}</Detail>}
      {t.results && (
        <Detail label="Results">
          {t.results.count} linked, last {t.results.lastOutcome} ({ago(t.results.lastRunAt)})
        </Detail>
      )}
      {t.warnings.map((w) => (
        <div key={w} className="testops-repos-warning">
          <Icon iconName="Warning" /> {w}
        </div>
      ))}
    </div>
  );
}

function SuiteDetails({ s, names }: { s: TestSuite; names: Map<string, string> }) {
  return (
    <div className="testops-repos-details body-s">
      <Detail label="Path">{s.path}</Detail>
      {s.filterText !== null && <Detail label="Filter">{s.filterText}</Detail>}
      {s.executionMode && <Detail label="Execution">{s.executionMode.toLowerCase()}</Detail>}
      <ol className="testops-repos-members" aria-label={`Members of ${s.name}`}>
        {s.members.map((m, i) => (
          <li key={i} className={m.targetId ? undefined : "testops-repos-warning"}>
            {m.targetId ? (names.get(m.targetId) ?? m.ref) : m.ref}
            {m.configuration ? ` · ${m.configuration}` : ""}
            {!m.enabled ? " · not run" : ""}
            {!m.targetId ? " · missing (dangling link)" : ""}
          </li>
        ))}
        {s.members.length === 0 && <li className="testops-muted">No members</li>}
      </ol>
      {s.warnings.map((w) => (
        <div key={w} className="testops-repos-warning">
          <Icon iconName="Warning" /> {w}
        </div>
      ))}
    </div>
  );
}

const count = (n: TreeNode): number => (n.kind === "testCase" || n.kind === "suite" ? 1 : n.children.reduce((a, c) => a + count(c), 0));

/** The synced test cases and suites, per link, in the folders they came from (an ARIA tree). */
export function TestsTree({ nodes, names, trace }: { nodes: TreeNode[]; names: Map<string, string>; trace?: TraceProps }) {
  const total = nodes.reduce((a, n) => a + count(n), 0);
  // Small projects open fully; big ones open down to the first level of folders.
  const [open, setOpen] = React.useState<Set<string>>(() => {
    const s = new Set<string>();
    const walk = (n: TreeNode, depth: number) => {
      if (n.kind === "testCase" || n.kind === "suite") return;
      if (total <= 200 || depth < 2) s.add(n.id);
      n.children.forEach((c) => walk(c, depth + 1));
    };
    nodes.forEach((n) => walk(n, 0));
    return s;
  });
  const toggle = (id: string) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const row = (n: TreeNode, depth: number): React.ReactNode => {
    const isOpen = open.has(n.id);
    const label = n.kind === "testCase" || n.kind === "suite" ? n.item.name : n.name;
    const expander = (
      <Button
        subtle
        iconProps={{ iconName: isOpen ? "ChevronDownMed" : "ChevronRightMed" }}
        ariaLabel={`${isOpen ? "Collapse" : "Expand"} ${label}`}
        onClick={() => toggle(n.id)}
      />
    );
    let content: React.ReactNode;
    let children: React.ReactNode = null;
    if (n.kind === "testCase") {
      const t = n.item;
      content = (
        <>
          <Icon iconName="TestCase" />
          <span title={t.path}>{t.name}</span>
          <SyncPill warnings={t.warnings} />
          {t.tags.map((tag) => (
            <Pill key={tag} size={PillSize.compact}>
              {tag}
            </Pill>
          ))}
          {t.results && (
            <span className="flex-row flex-center body-s" aria-label={`Last result: ${t.results.lastOutcome}`}>
              <Status {...OUTCOME[t.results.lastOutcome]} size={StatusSize.s} /> {t.results.lastOutcome}
            </span>
          )}
          <TestCaseTrace t={t} trace={trace} />
        </>
      );
      if (isOpen) children = <TestCaseDetails t={t} />;
    } else if (n.kind === "suite") {
      const s = n.item;
      content = (
        <>
          <Icon iconName={s.kind === "collection" ? "ViewAll" : s.kind === "dynamic" ? "Filter" : "TestSuite"} />
          <span title={s.path}>{s.name}</span>
          <span className="body-s testops-muted">
            {SUITE_KIND_LABEL[s.kind]} · {s.members.length} {s.kind === "collection" ? "runs" : "test cases"}
          </span>
          <SyncPill warnings={s.warnings} />
          {trace?.canEdit && s.kind !== "collection" && (
            <Button
              subtle
              text="Create Test Cases"
              ariaLabel={`Create Test Cases for ${s.name}`}
              onClick={() => trace.onCreate({ label: s.name, suiteId: s.id })}
            />
          )}
        </>
      );
      if (isOpen) children = <SuiteDetails s={s} names={names} />;
    } else {
      content = (
        <>
          <Icon
            iconName={
              n.kind === "link" ? "GitLogo" : n.kind === "group" ? (n.name === "Test Cases" ? "TestPlan" : "TestSuite") : "FabricFolder"
            }
          />
          <span className={n.kind === "link" ? "font-weight-semibold" : undefined}>{n.name}</span>
          <span className="body-s testops-muted">{count(n)}</span>
          {n.kind === "link" && <span className="body-s testops-muted">synced {ago(n.lastSyncedAt)}</span>}
          {trace?.canEdit && n.kind === "folder" && n.id.includes(":tc/") && (
            <Button
              subtle
              text="Create Test Cases"
              ariaLabel={`Create Test Cases for ${n.name}`}
              onClick={() => trace.onCreate({ label: n.name, folder: { linkId: n.id.split(":")[0], folder: n.path } })}
            />
          )}
        </>
      );
      if (isOpen && n.children.length) children = <ul role="group">{n.children.map((c) => row(c, depth + 1))}</ul>;
    }
    const expandable = n.kind === "testCase" || n.kind === "suite" || n.children.length > 0;
    return (
      <li key={n.id} role="treeitem" aria-level={depth + 1} aria-expanded={expandable ? isOpen : undefined} aria-label={label}>
        <div className="testops-repos-row flex-row flex-center rhythm-horizontal-8" style={{ paddingLeft: depth * 20 }}>
          {expandable ? expander : <span className="testops-repos-spacer" />}
          {content}
        </div>
        {children}
      </li>
    );
  };

  return (
    <ul role="tree" aria-label="Synced tests" className="testops-repos-tree">
      {nodes.map((n) => row(n, 0))}
    </ul>
  );
}
