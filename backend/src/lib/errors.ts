import { z } from "@hono/zod-openapi";

/** The one error body of the API (docs/architecture.md "Errors"). */
export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: "validation_failed" }),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorSchema>;

export class ApiError extends Error {
  constructor(
    public readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422 | 429 | 502 | 503,
    public readonly code: string,
    message: string,
    public readonly fields?: { field: string; message: string }[],
  ) {
    super(message);
  }
  body(): ErrorBody {
    return { error: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) };
  }
}

export const fieldError = (field: string, message: string) =>
  new ApiError(400, "validation_failed", `${field}: ${message}`, [{ field, message }]);

/** Turns zod issues into field-level errors ("name: must be at most 50 characters"). */
export function zodFields(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  return issues.map((i) => ({ field: i.path.map(String).join(".") || "body", message: i.message }));
}

/** Standard error responses for OpenAPI route definitions. */
export const errorResponses = {
  400: { description: "Invalid input", content: { "application/json": { schema: ErrorSchema } } },
  401: { description: "Missing or invalid app token", content: { "application/json": { schema: ErrorSchema } } },
  403: { description: "Not allowed", content: { "application/json": { schema: ErrorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
} as const;
