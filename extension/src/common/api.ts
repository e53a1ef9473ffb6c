import { hc } from "hono/client";
import type { AppType } from "@testops/backend/app";
import { SDK } from "./sdk";

// Baked in at build time (webpack DefinePlugin); see README "Configuration".
export const API_URL: string = process.env.TESTOPS_API_URL ?? "http://localhost:8787";

export interface FieldError {
  field: string;
  message: string;
}

/** A failed API call, with the backend's field-level errors when it sent some. */
export class ApiClientError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

let appToken: { value: string; exp: number } | undefined;

/** The app token is cached until a minute before it expires (it lives about 70 minutes). */
async function getAppToken(): Promise<string> {
  const now = Date.now() / 1000;
  if (appToken && appToken.exp - 60 > now) return appToken.value;
  const value = await SDK.getAppToken();
  let exp = now + 300;
  try {
    exp = JSON.parse(atob(value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp ?? exp;
  } catch {
    // An unreadable token is still sent; the backend decides.
  }
  appToken = { value, exp };
  return value;
}

/** Adds who (app token) and where (organization + the user's ADO token) to every call. */
export function createApi(collectionUrl: string, baseUrl = API_URL) {
  return hc<AppType>(baseUrl, {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set("Authorization", `Bearer ${await getAppToken()}`);
      headers.set("X-Ado-Collection-Url", collectionUrl);
      headers.set("X-Ado-Access-Token", await SDK.getAccessToken());
      return fetch(input, { ...init, headers });
    },
  });
}
export type Api = ReturnType<typeof createApi>;

/** Parses a typed-client response: the JSON on success, an ApiClientError otherwise. */
export async function unwrap<T>(res: { ok: boolean; status: number; json(): Promise<T> } | Response): Promise<T> {
  if (res.ok) return (await res.json()) as T;
  let body: { error?: string; message?: string; fields?: FieldError[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not JSON (proxy error page): fall back to the status.
  }
  throw new ApiClientError(res.status, body.error ?? "http_error", body.message ?? `Request failed (${res.status})`, body.fields ?? []);
}
