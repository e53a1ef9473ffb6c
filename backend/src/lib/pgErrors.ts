/** A unique-constraint violation (SQLSTATE 23505), however the driver or drizzle wrapped it. */
export function isUniqueViolation(e: unknown): boolean {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) if ((c as { code?: string }).code === "23505") return true;
  return false;
}
