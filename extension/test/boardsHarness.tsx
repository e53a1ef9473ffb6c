import * as React from "react";
import { render, screen, waitFor, within, fireEvent } from "@testing-library/react";
import { createSimulator, DEMO_PATS, DEMO_USERS, type Simulator } from "@testops/ado-sim";
import { authHeaders, EXTENSION_SCOPES, signAppToken, testBackend } from "../../backend/test/helpers";
import { PageProvider } from "../src/common/context";
import { POLL_MS } from "../src/project-settings/boards/hooks";
import { sdkMock } from "./sdkMock";

const baseReset = sdkMock.reset.bind(sdkMock);
export type Stack = Awaited<ReturnType<typeof startStack>>;
type UserKey = keyof typeof DEMO_USERS;

/**
 * Simulator + real backend (PGlite, in-process jobs) with fabrikam connected by its admin; the hub's fetch
 * goes to backend.app.request and the SDK mock speaks as `user` on the page of `projectName`.
 */
export async function startStack(o: { user?: UserKey; projectName?: string } = {}) {
  const sim: Simulator = createSimulator();
  const backend = await testBackend({ fetch: sim.fetch });
  const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await backend.app.request(path, {
      method: init.method ?? "GET",
      headers: { ...admin, "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${res.status} ${text}`);
    return JSON.parse(text);
  };
  await call("/api/connections", {
    method: "POST",
    body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin },
  });
  const { projects } = (await call("/api/boards/ado/projects")) as { projects: { id: string; name: string }[] };
  const project = (name: string) => {
    const p = projects.find((x) => x.name === name);
    if (!p) throw new Error(`no project ${name}`);
    return p;
  };
  await useUser(sim, o.user ?? "admin", project(o.projectName ?? "Fabrikam Fiber"));
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    backend.app.request(input instanceof Request ? input : String(input), init)) as typeof fetch;
  POLL_MS.value = 50;
  return {
    sim,
    backend,
    project,
    /** Admin calls straight to the API (arranging data, checking what was stored). */
    call,
    close: async () => {
      await backend.deps.jobs.idle();
      await backend.close();
    },
  };
}

/** The SDK mock speaks as this user, on this project's page. */
export async function useUser(sim: Simulator, user: UserKey, project: { id: string; name: string }) {
  const u = DEMO_USERS[user];
  sdkMock.user = { ...sdkMock.user, id: u.id, name: u.uniqueName, displayName: u.displayName };
  sdkMock.appToken = await signAppToken(u.id);
  sdkMock.accessToken = sim.issueAccessToken("fabrikam", u.id, undefined, EXTENSION_SCOPES);
  // setup.ts resets the mock before each test: keep pointing at this project.
  sdkMock.reset = () => {
    baseReset();
    sdkMock.services.set("ms.vss-tfs-web.tfs-page-data-service", { getProject: async () => project });
  };
  sdkMock.reset();
}

export function renderPage(ui: React.ReactElement) {
  return render(<PageProvider needsProject>{ui}</PageProvider>);
}

// ---------- driving azure-devops-ui controls ----------

/** Opens a Dropdown by its accessible name and picks the option with this text. */
export async function pick(label: string | RegExp, option: string | RegExp, root: HTMLElement = document.body) {
  const button = await within(root).findByRole("button", { name: label }, { timeout: 10_000 });
  fireEvent.click(button);
  // The open callout is the one the dropdown's button controls.
  const listbox = await waitFor(() => {
    const callout = document.getElementById(button.getAttribute("aria-controls") ?? "");
    if (!callout) throw new Error(`dropdown ${String(label)} did not open`);
    return within(callout).getByRole("listbox");
  });
  fireEvent.click(within(listbox).getByRole("option", { name: option }));
}

/** The text a Dropdown shows as its value. */
export const dropdownValue = (label: string | RegExp, root: HTMLElement = document.body) =>
  (within(root).getByRole("button", { name: label }) as HTMLInputElement).value;

export const click = (name: string | RegExp, role = "button") => fireEvent.click(screen.getByRole(role, { name }));

/** Waits until a button exists and is enabled (e.g. once the admin check answered). */
export function enabled(name: string | RegExp, timeout = 15_000) {
  return waitFor(
    () => {
      const el = screen.getByRole("button", { name });
      if (el.getAttribute("aria-disabled") === "true" || (el as HTMLButtonElement).disabled) throw new Error(`${String(name)} is disabled`);
      return el;
    },
    { timeout },
  );
}

export const wizard = () => screen.getByRole("dialog");
export const step = () => within(wizard()).getByText(/^Step \d of \d/);

/** Clicks a button that opens the wizard and waits for it: a chunk loaded on first open, whose panel replaces the loading one. */
export async function openWizardWith(name: string | RegExp) {
  click(name);
  await waitFor(step, { timeout: 10_000 });
}

/** Clicks Next until the wizard shows this step (each Next must pass the step's validation). */
export async function nextUntil(title: string) {
  for (let i = 0; i < 6; i++) {
    if (step().textContent?.endsWith(`· ${title}`)) return;
    const before = step().textContent;
    click("Next");
    await waitFor(() => {
      if (step().textContent === before) throw new Error(`still on ${before}: ${screen.queryByRole("alert")?.textContent ?? ""}`);
    });
  }
  throw new Error(`never reached step ${title}`);
}
