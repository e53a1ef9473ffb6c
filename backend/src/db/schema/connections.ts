import { date, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

// Mirrors migrations/0002_connections.sql (the SQL is the source of truth).
export type ConnectionStatus = "Active" | "Inactive" | "Error";

export const connections = pgTable("connections", {
  id: uuid("id").primaryKey(),
  orgId: text("org_id").notNull(),
  name: text("name").notNull(),
  organizationUrl: text("organization_url").notNull(),
  organizationName: text("organization_name").notNull(),
  description: text("description").notNull().default(""),
  status: text("status").$type<ConnectionStatus>().notNull(),
  statusReason: text("status_reason"),
  statusChangedAt: timestamp("status_changed_at", { withTimezone: true }).notNull().defaultNow(),
  /** Sealed with deps.secrets (AAD = connection id); never returned, never logged. */
  patSealed: text("pat_sealed").notNull(),
  patSetAt: timestamp("pat_set_at", { withTimezone: true }).notNull().defaultNow(),
  patExpiresOn: date("pat_expires_on", { mode: "string" }),
  patOwnerId: text("pat_owner_id"),
  patOwnerName: text("pat_owner_name"),
  /** Basic-auth password Azure DevOps sends with service-hook deliveries (sealed, AAD = "hook:" + id). */
  hookSecretSealed: text("hook_secret_sealed").notNull(),
  hooksError: text("hooks_error"),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const connectionHooks = pgTable(
  "connection_hooks",
  {
    connectionId: uuid("connection_id").notNull(),
    subscriptionId: text("subscription_id").notNull(),
    eventType: text("event_type").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    // 0021_hook_health.sql: Azure DevOps' own status of the subscription (enabled, onProbation,
    // disabledBySystem, ...; "missing" = deleted in Azure DevOps), when we read it, the last
    // delivery received for this event type, and what the backend did about a broken one.
    status: text("status"),
    checkedAt: timestamp("checked_at", { withTimezone: true }),
    lastDeliveryAt: timestamp("last_delivery_at", { withTimezone: true }),
    lastAction: text("last_action"),
    lastActionAt: timestamp("last_action_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.subscriptionId] })],
);

export const webhookEvents = pgTable(
  "webhook_events",
  {
    connectionId: uuid("connection_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.eventId] })],
);
