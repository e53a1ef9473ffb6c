/** Dates from ADO iterations are calendar days (UTC midnight): shown as such, in the user's language. */
export function fmtDay(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

export function fmtRange(start: string | null, finish: string | null): string {
  if (!start && !finish) return "No dates";
  return `${fmtDay(start)} – ${fmtDay(finish)}`;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "never";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
