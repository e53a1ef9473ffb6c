// The Repos link form's draft, validated with the API's own schema pieces (shared zod). Only LinkPanel
// imports this (it is loaded on demand), so zod stays out of the Repos tab until the form opens.
import {
  reposLinkDescription,
  reposLinkName,
  reposLinkUrl,
  type ReposLink,
  type UpdateReposLinkInput,
} from "@testops/backend/schemas/repos";

export interface Draft {
  name: string;
  url: string;
  description: string;
  linkResults: boolean;
}
export type FieldName = "name" | "url" | "description";
export type FieldErrors = Partial<Record<FieldName, string>>;

export const emptyDraft = (): Draft => ({ name: "", url: "", description: "", linkResults: false });
export const draftOf = (l: ReposLink): Draft => ({ name: l.name, url: l.url, description: l.description, linkResults: l.linkResults });

/** The same rules and messages as the API (shared zod), so inline errors match what Save would answer. */
export function validateDraft(d: Draft): FieldErrors {
  const out: FieldErrors = {};
  const check = (f: FieldName, r: { success: boolean; error?: { issues: { message: string }[] } }) => {
    if (!r.success) out[f] = r.error?.issues[0]?.message ?? "is invalid";
  };
  check("name", reposLinkName.safeParse(d.name));
  check("url", reposLinkUrl.safeParse(d.url));
  check("description", reposLinkDescription.safeParse(d.description));
  return out;
}

/** Only what changed (PATCH semantics); empty = nothing to save. */
export function editBody(l: ReposLink, d: Draft): Omit<UpdateReposLinkInput, "sync"> {
  const out: Omit<UpdateReposLinkInput, "sync"> = {};
  if (d.name.trim() !== l.name) out.name = d.name.trim();
  if (d.url.trim() !== l.url) out.url = d.url.trim();
  if (d.description !== l.description) out.description = d.description;
  if (d.linkResults !== l.linkResults) out.linkResults = d.linkResults;
  return out;
}
