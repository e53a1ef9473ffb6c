import type { Connection } from "@testops/backend/schemas/connections";

// Pure helpers of the org settings hub (table-tested in extension/test/org-settings.format.test.tsx).
// Zod-free: the hub's first load must not carry zod (scripts/bundle-budget.ts); the form's validation
// lives in ./draft, which only the create/edit panel (a chunk loaded when it opens) imports.

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** "2030-01-31" → localized date without shifting the day through time zones. */
export function formatDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  if (!y || !m || !d) return day;
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** What the hub says about a stored PAT: never the token, only when it was set, when it expires and whose it is. */
export function patSummary(c: Connection, today = new Date()): { text: string; warning?: string } {
  const parts = [`PAT set on ${formatDate(c.pat.setAt)}`];
  parts.push(c.pat.expiresOn ? `expires ${formatDay(c.pat.expiresOn)}` : "expiry date not recorded");
  if (c.pat.ownerName) parts.push(`belongs to ${c.pat.ownerName}`);
  let warning: string | undefined;
  if (c.pat.expiresOn) {
    const [y, m, d] = c.pat.expiresOn.split("-").map(Number);
    const days = Math.ceil((new Date(y, m - 1, d).getTime() - today.getTime()) / 86_400_000);
    if (days < 0) warning = "The PAT has expired: replace it to keep syncing.";
    else if (days <= 14) warning = `The PAT expires in ${days} day${days === 1 ? "" : "s"}: replace it before then.`;
  }
  return { text: parts.join(", "), warning };
}

const ACTIONS: Record<string, string> = {
  "connection.created": "Connected",
  "connection.updated": "Edited",
  "connection.disconnected": "Disconnected",
  "connection.reconnected": "Reconnected",
  "connection.error": "PAT rejected by Azure DevOps",
};

const FIELD_LABELS: Record<string, string> = {
  name: "name",
  organizationUrl: "organization URL",
  description: "description",
  pat: "PAT replaced",
  patExpiresOn: "PAT expiry date",
};

export interface AuditLike {
  action: string;
  details: Record<string, unknown>;
}

export function auditText(e: AuditLike): { action: string; details: string } {
  const d = e.details;
  const bits: string[] = [];
  if (Array.isArray(d.changed) && d.changed.length)
    bits.push(`Changed ${d.changed.map((f) => FIELD_LABELS[String(f)] ?? String(f)).join(", ")}`);
  if (d.status === "Active") bits.push("back to Active");
  if (typeof d.reason === "string") bits.push(d.reason);
  if (typeof d.hooksCreated === "number") bits.push(`${d.hooksCreated} service hook${d.hooksCreated === 1 ? "" : "s"} set up`);
  if (typeof d.hooksRemoved === "number") bits.push(`${d.hooksRemoved} service hook${d.hooksRemoved === 1 ? "" : "s"} removed`);
  if (typeof d.hooksError === "string") bits.push(d.hooksError);
  return { action: ACTIONS[e.action] ?? e.action, details: bits.join(". ") };
}

/** One service-hook subscription as the backend reports it (GET /api/hooks). */
export interface HookHealthView {
  eventType: string;
  status: string | null;
  checkedAt: string | null;
  lastDeliveryAt: string | null;
  lastAction: string | null;
  lastActionAt: string | null;
}

const HOOK_STATUS_TEXT: Record<string, string> = {
  onProbation: "on probation (Azure DevOps is retrying failed deliveries)",
  disabledBySystem: "disabled by Azure DevOps after failed deliveries",
  disabledByUser: "disabled by a user in Azure DevOps",
  disabledByInactiveIdentity: "disabled by Azure DevOps (its owner is inactive)",
  missing: "deleted in Azure DevOps",
};

const latest = (values: (string | null)[]) =>
  values
    .filter((v): v is string => !!v)
    .sort()
    .at(-1) ?? null;

/**
 * What the hub says about a connection's service hooks: the state Azure DevOps reports (not a count
 * of our own rows), the subscriptions that do not work, the last delivery, and the last repair.
 */
export function hookSummary(
  hooks: HookHealthView[],
  when: (iso: string) => string = (iso) => new Date(iso).toLocaleString(),
): { line: string; problems: string[]; lastDelivery: string | null; action: string | null } {
  const checked = latest(hooks.map((h) => h.checkedAt));
  const enabled = hooks.filter((h) => h.status === "enabled").length;
  const problems = hooks
    .filter((h) => h.status && h.status !== "enabled")
    .map((h) => `${h.eventType}: ${HOOK_STATUS_TEXT[h.status!] ?? h.status}`);
  const line =
    hooks.length === 0
      ? "Service hooks: none — changes in Azure DevOps reach TestOps at the next periodic sync"
      : !checked
        ? `Service hooks: ${hooks.length} set up, not checked with Azure DevOps yet`
        : `Service hooks: ${enabled} of ${hooks.length} enabled in Azure DevOps (checked ${when(checked)})`;
  const lastDelivery = latest(hooks.map((h) => h.lastDeliveryAt));
  const actionAt = latest(hooks.map((h) => h.lastActionAt));
  const action = actionAt ? hooks.find((h) => h.lastActionAt === actionAt)!.lastAction : null;
  return {
    line,
    problems,
    lastDelivery: lastDelivery ? `Last delivery received ${when(lastDelivery)}` : null,
    action: action && actionAt ? `${when(actionAt)}: ${action}` : null,
  };
}
