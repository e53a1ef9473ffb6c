import { z } from "zod";

// "Import pipeline test runs" (project settings → TestOps → Test runs): shared by /api/imports and the hub.

export const IMPORT_JOB = "results.import";
/** Days read back when the import is first turned on. */
export const IMPORT_DEFAULT_DAYS = 14;
export const IMPORT_MAX_DAYS = 90;

export const ImportSettingsSchema = z.object({
  projectId: z.string(),
  projectName: z.string(),
  enabled: z.boolean(),
  /** Every run last updated before this has been read. */
  cursorAt: z.string().nullable(),
  lastImportAt: z.string().nullable(),
  lastError: z.string().nullable(),
  importedRuns: z.number().int(),
  skippedRuns: z.number().int(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  /** The import job running or queued now, if any (see GET /api/jobs/{id}). */
  jobId: z.string().nullable(),
  canEdit: z.boolean(),
});
export type ImportSettings = z.infer<typeof ImportSettingsSchema>;

export const SetImportSchema = z.object({
  project: z.string("is required").trim().min(1, "is required").max(256, "is too long"),
  enabled: z.boolean("must be true or false"),
  /** First time on: read runs updated in the last N days (default 14). */
  sinceDays: z
    .number("must be a number of days")
    .int("must be a whole number of days")
    .min(0, "must be at least 0")
    .max(IMPORT_MAX_DAYS, `must be at most ${IMPORT_MAX_DAYS}`)
    .optional(),
});
