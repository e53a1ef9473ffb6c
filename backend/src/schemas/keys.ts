import { z } from "zod";

// Upload keys (project settings → TestOps → Test runs): shared by /api/keys and the hub. Plain zod only.

export const UploadKeySchema = z.object({
  id: z.string(),
  projectId: z.string(),
  projectName: z.string(),
  name: z.string(),
  /** The key's first characters ("tok_ab12cd"), to recognise it; the secret itself is never shown again. */
  prefix: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});
export type UploadKey = z.infer<typeof UploadKeySchema>;

export const CreateKeySchema = z.object({
  project: z.string("is required").trim().min(1, "is required").max(256, "is too long"),
  name: z.string("is required").trim().min(1, "is required").max(100, "must be at most 100 characters"),
});

/** The answer to creating a key: the only time the secret is returned. */
export const CreatedKeySchema = z.object({ key: UploadKeySchema, secret: z.string() });
export type CreatedKey = z.infer<typeof CreatedKeySchema>;
