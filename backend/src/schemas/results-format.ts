// Formatting shared by the API and the pages, without zod: a page that does not validate imports this
// module, not ./results, so its bundle stays free of the schema library (see scripts/bundle-budget.ts).

/** Pass rate as the form shows it: "83%" (never rounds a failure up to 100%). */
export function formatPassRate(rate: number | null): string {
  if (rate === null) return "–";
  const pct = Math.floor(rate * 1000) / 10;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}
