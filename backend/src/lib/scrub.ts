/**
 * Removes credentials from text before it is stored, returned or logged: Authorization header values,
 * URLs with user info, and every secret this process has handled (PATs, hook secrets) in the forms
 * Azure DevOps or a proxy may echo them (as is, base64 of ":pat" as in Basic auth, base64, URL-encoded).
 */
const known = new Set<string>();
const MAX_KNOWN = 20_000;

/** The spellings of a secret that can show up in error text. */
export function secretForms(secret: string): string[] {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const forms = [secret, b64(`:${secret}`), b64(secret), encodeURIComponent(secret)];
  // Base64 padding may be stripped or the value URL-safe encoded by whatever echoes it.
  for (const f of forms.slice(1, 3)) forms.push(f.replace(/=+$/, ""), Buffer.from(f, "base64").toString("base64url"));
  return [...new Set(forms.filter((f) => f.length >= 8))];
}

/** Remembers a secret so that every later scrub removes it (call when a secret is read or received). */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 8) return;
  if (known.size > MAX_KNOWN) known.clear();
  for (const f of secretForms(value)) known.add(f);
}

// A credential is a long token; "Basic authentication requires …" is prose and stays.
const AUTH_VALUE = /\b(Basic|Bearer|Negotiate|NTLM)\s+(?=[A-Za-z0-9._~+/=-]*[0-9+/=._~-])[A-Za-z0-9._~+/=-]{16,}/gi;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@?#]+@/gi;
const AUTH_PARAM = /([?&](?:access_token|token|code|sig|password|pat)=)[^&#\s"']+/gi;

export function scrubSecrets(text: string, extra: string[] = []): string {
  let out = text.replace(AUTH_VALUE, "$1 [redacted]").replace(URL_USERINFO, "$1[redacted]@").replace(AUTH_PARAM, "$1[redacted]");
  for (const s of extra.flatMap(secretForms)) if (out.includes(s)) out = out.split(s).join("[redacted]");
  for (const s of known) if (out.includes(s)) out = out.split(s).join("[redacted]");
  return out;
}
