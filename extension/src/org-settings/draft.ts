import type { Connection, CreateConnectionInput } from "@testops/backend/schemas/connections";
import { CreateConnectionSchema } from "@testops/backend/schemas/connections";

// The create/edit form's draft and its validation with the API's own zod schema. Only ConnectionPanel
// imports this (it is loaded on demand), so zod stays out of the org settings page's first load.

export type FieldName = "name" | "organizationUrl" | "pat" | "description" | "patExpiresOn";
export type FieldErrors = Partial<Record<FieldName, string>>;

export interface Draft {
  name: string;
  organizationUrl: string;
  /** Empty while editing = keep the stored PAT. */
  pat: string;
  description: string;
  /** YYYY-MM-DD or empty. */
  patExpiresOn: string;
}

export const emptyDraft = (): Draft => ({ name: "", organizationUrl: "", pat: "", description: "", patExpiresOn: "" });

export const draftOf = (c: Connection): Draft => ({
  name: c.name,
  organizationUrl: c.organizationUrl,
  pat: "",
  description: c.description,
  patExpiresOn: c.pat.expiresOn ?? "",
});

// Same rules and messages as the API (backend/src/schemas/connections.ts); editing may keep the PAT.
const EditSchema = CreateConnectionSchema.partial({ pat: true });

/** Inline validation with the backend's own schema. */
export function validateDraft(d: Draft, mode: "create" | "edit"): FieldErrors {
  const input = {
    name: d.name,
    organizationUrl: d.organizationUrl,
    pat: d.pat === "" && mode === "edit" ? undefined : d.pat,
    description: d.description,
    patExpiresOn: d.patExpiresOn.trim() === "" ? null : d.patExpiresOn.trim(),
  };
  const r = (mode === "create" ? CreateConnectionSchema : EditSchema).safeParse(input);
  const errors: FieldErrors = {};
  if (!r.success) for (const i of r.error.issues) errors[String(i.path[0]) as FieldName] ??= i.message;
  return errors;
}

/** The create body from a draft (trimmed like the API does). */
export function createBody(d: Draft): CreateConnectionInput {
  return {
    name: d.name.trim(),
    organizationUrl: d.organizationUrl.trim(),
    pat: d.pat.trim(),
    description: d.description,
    patExpiresOn: d.patExpiresOn.trim() || null,
  };
}

/** Only what changed (the PAT only when a new one was typed). */
export function editBody(original: Connection, d: Draft): Partial<CreateConnectionInput> {
  const out: Partial<CreateConnectionInput> = {};
  if (d.name.trim() !== original.name) out.name = d.name.trim();
  if (d.organizationUrl.trim() !== original.organizationUrl) out.organizationUrl = d.organizationUrl.trim();
  if (d.description !== original.description) out.description = d.description;
  if ((d.patExpiresOn.trim() || null) !== original.pat.expiresOn) out.patExpiresOn = d.patExpiresOn.trim() || null;
  if (d.pat.trim()) out.pat = d.pat.trim();
  return out;
}
