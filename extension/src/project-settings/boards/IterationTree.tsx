import * as React from "react";
import { Button } from "azure-devops-ui/Button";
import { Checkbox } from "azure-devops-ui/Checkbox";
import { Pill, PillSize, PillVariant } from "azure-devops-ui/Pill";
import type { IterationPlan } from "@testops/backend/boards/iterations";
import type { AdoIterationNode } from "@testops/backend/schemas/boards";
import { fmtRange } from "./format";

const key = (p: string) => p.toLowerCase();

/**
 * The project's real iteration tree: tick the nodes that are releases; what lies below a release becomes
 * its sprints. Each row says what the current choice makes of it (computed by the backend's own planner).
 */
export function IterationTree(props: {
  root: AdoIterationNode;
  releasePaths: string[];
  plan: IterationPlan;
  disabled?: boolean;
  onChange: (releasePaths: string[]) => void;
}) {
  const { root, plan } = props;
  const [collapsed, setCollapsed] = React.useState<Set<number>>(new Set());
  const picked = new Set(props.releasePaths.map(key));
  const releases = new Map(plan.releases.map((r) => [r.adoNodeId, r]));
  const sprints = new Map(plan.sprints.map((s) => [s.adoNodeId, s]));
  const releaseName = new Map(plan.releases.map((r) => [r.adoNodeId, r.path.split("\\").pop()]));

  const toggle = (n: AdoIterationNode, on: boolean) => {
    const rest = props.releasePaths.filter((p) => key(p) !== key(n.path));
    props.onChange(on ? [...rest, n.path] : rest);
  };

  const row = (n: AdoIterationNode, depth: number): React.ReactNode => {
    const open = !collapsed.has(n.id);
    const rel = releases.get(n.id);
    const spr = sprints.get(n.id);
    const role = rel ? (
      <Pill size={PillSize.compact} variant={PillVariant.colored} color={{ red: 0, green: 120, blue: 212 }}>
        Release
      </Pill>
    ) : spr ? (
      <Pill size={PillSize.compact} variant={PillVariant.outlined}>
        Sprint of {releaseName.get(spr.releaseNodeId)}
      </Pill>
    ) : depth > 0 ? (
      <span className="body-s testops-muted">not synced</span>
    ) : null;
    return (
      <li
        key={n.id}
        role="treeitem"
        aria-level={depth + 1}
        aria-expanded={n.children.length ? open : undefined}
        aria-selected={rel ? true : undefined}
        aria-label={n.name}
      >
        <div className="testops-tree-row flex-row flex-center rhythm-horizontal-8" style={{ paddingLeft: depth * 20 }}>
          {n.children.length ? (
            <Button
              subtle
              iconProps={{ iconName: open ? "ChevronDownMed" : "ChevronRightMed" }}
              ariaLabel={`${open ? "Collapse" : "Expand"} ${n.name}`}
              onClick={() =>
                setCollapsed((c) => {
                  const next = new Set(c);
                  if (open) next.add(n.id);
                  else next.delete(n.id);
                  return next;
                })
              }
            />
          ) : (
            <span className="testops-tree-spacer" />
          )}
          {depth > 0 ? (
            <Checkbox
              ariaLabel={`Release: ${n.path}`}
              checked={picked.has(key(n.path))}
              disabled={props.disabled}
              onChange={(_e, checked) => toggle(n, checked)}
            />
          ) : null}
          <span className={depth === 0 ? "font-weight-semibold" : ""}>{n.name}</span>
          {depth > 0 ? <span className="body-s testops-muted">{fmtRange(n.startDate, n.finishDate)}</span> : null}
          {role}
        </div>
        {n.children.length && open ? <ul role="group">{n.children.map((c) => row(c, depth + 1))}</ul> : null}
      </li>
    );
  };

  return (
    <ul role="tree" aria-label="Iteration tree" className="testops-tree">
      {row(root, 0)}
    </ul>
  );
}
