/**
 * Org settings hub against the REAL backend (in-process, PGlite) and the Azure DevOps simulator:
 * the hub's typed client calls go to backend.app.request, so these tests exercise the real API.
 */
import "./nodeGlobals";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type * as SimModule from "@testops/ado-sim";
import type * as Helpers from "../../backend/test/helpers";
import { sdkMock } from "./sdkMock";

// Required after the globals exist.
const { createSimulator, DEMO_PATS, DEMO_USERS } = require("@testops/ado-sim") as typeof SimModule;
const { EXTENSION_SCOPES, signAppToken, testBackend } = require("../../backend/test/helpers") as typeof Helpers;
const { reportAdoFailure } = require("@testops/backend/connections/service") as typeof import("@testops/backend/connections/service");
const { AdoError } = require("@testops/backend/ado/errors") as typeof import("@testops/backend/ado/errors");
const { PageProvider } = require("../src/common/context") as typeof import("../src/common/context");
const { OrgSettings } = require("../src/org-settings/org-settings") as typeof import("../src/org-settings/org-settings");

jest.setTimeout(60_000);

const FABRIKAM = "https://dev.azure.com/fabrikam";
let backend: Awaited<ReturnType<typeof testBackend>>;
const sim = createSimulator({
  hooks: { retryDelaysMs: [], timeoutMs: 5000 },
  deliver: (url, init) => Promise.resolve(backend.app.request(new URL(url).pathname, init)),
});
const realFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(backend.app.request(String(input), init));

async function signIn(user: { id: string }) {
  // Short-lived tokens: the hub's client does not cache them, so switching users works between tests.
  sdkMock.appToken = await signAppToken(user.id, { expInSec: 30 });
  sdkMock.accessToken = sim.issueAccessToken("fabrikam", user.id, undefined, EXTENSION_SCOPES);
}

function renderHub() {
  return render(
    <PageProvider>
      <OrgSettings pollMs={100} />
    </PageProvider>,
  );
}

const button = (name: string | RegExp, scope: HTMLElement = document.body) => within(scope).getByRole("button", { name });
const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const panel = () => screen.getByRole("dialog");
/** Opens the create/edit panel and waits for its form: a chunk loaded on first open, whose panel replaces the loading one. */
async function openForm(opener: HTMLElement) {
  fireEvent.click(opener);
  await waitFor(() => within(panel()).getByLabelText("Name"), { timeout: 10_000 });
}

beforeAll(async () => {
  backend = await testBackend({ fetch: sim.fetch });
  globalThis.fetch = realFetch as typeof fetch;
});
afterAll(() => backend.close());
beforeEach(() => {
  globalThis.fetch = realFetch as typeof fetch;
});

describe("org settings hub (real backend + simulator)", () => {
  it("empty state for an admin offers to create a connection", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    expect(await screen.findByText("Connect Azure DevOps to TestOps")).toBeTruthy();
    expect(button("New connection")).toBeTruthy();
    expect(screen.queryByText(/Only organization administrators/)).toBeNull();
  });

  // Azure DevOps does not tell the extension who administers the organization: until a connection
  // exists anyone is offered Connect, and saving checks the role with the PAT entered.
  it("before any connection, a member is offered Connect but cannot save one", async () => {
    await signIn(DEMO_USERS.member);
    renderHub();
    await openForm(await screen.findByRole("button", { name: "New connection" }));
    type("Name", "Mine");
    type("Organization URL", FABRIKAM);
    type("Personal access token", DEMO_PATS.member);
    fireEvent.click(button("Save", panel()));
    expect(await within(panel()).findByText(/Only organization administrators/)).toBeTruthy();
  });

  it("shows an error state with Retry when the backend cannot be reached", async () => {
    await signIn(DEMO_USERS.admin);
    let down = false;
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      down && String(input).includes("/api/connections")
        ? Promise.resolve(new Response("Bad gateway", { status: 502 }))
        : realFetch(input, init)) as typeof fetch;
    down = true;
    renderHub();
    expect(await screen.findByText(/Could not load the connections: Request failed \(502\)/)).toBeTruthy();
    down = false;
    fireEvent.click(button("Retry"));
    expect(await screen.findByText("Connect Azure DevOps to TestOps")).toBeTruthy();
  });

  it("validates inline with the API's limits before anything is sent", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    await openForm(await screen.findByRole("button", { name: "New connection" }));
    fireEvent.click(button("Save", panel()));
    expect(within(panel()).getAllByText("is required").length).toBeGreaterThanOrEqual(2);
    type("Name", "x".repeat(51));
    type("Organization URL", "http://dev.azure.com/fabrikam");
    type("Description", "d".repeat(256));
    type("PAT expiry date", "soon");
    fireEvent.click(button("Save", panel()));
    expect(within(panel()).getByText("must be at most 50 characters")).toBeTruthy();
    expect(within(panel()).getByText(/must use https:\/\//)).toBeTruthy();
    expect(within(panel()).getByText("must be at most 255 characters")).toBeTruthy();
    expect(within(panel()).getByText("must be a date (YYYY-MM-DD)")).toBeTruthy();
    expect(await backend.deps.database.query("SELECT id FROM connections")).toEqual([]);
  });

  it("Test connection shows the per-feature table, and the PAT field is blamed for a rejected PAT", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    await openForm(await screen.findByRole("button", { name: "New connection" }));
    type("Organization URL", FABRIKAM);
    type("Personal access token", DEMO_PATS.readOnly);
    fireEvent.click(button("Test connection", panel()));
    const table = await within(panel()).findByRole("table", { name: "Features this PAT allows" });
    const row = (label: string) => within(table).getByRole("row", { name: new RegExp(`^${label}`) });
    expect(within(row("Manual sync")).getByText("Yes")).toBeTruthy();
    // Defects are filed with the user's own token, so the PAT's scopes do not decide them; linking test cases does.
    expect(within(row("Link test case")).getByText("No")).toBeTruthy();
    expect(within(row("Link test case")).getByText("vso.work_write")).toBeTruthy();
    expect(within(row("Push test result")).getByText("vso.test_write")).toBeTruthy();
    expect(within(panel()).getByText(/The PAT belongs to Ada Admin/)).toBeTruthy();

    type("Personal access token", "notavalidpat000000000000000000000000000000000000000");
    fireEvent.click(button("Test connection", panel()));
    expect(await within(panel()).findByText("The PAT was rejected.")).toBeTruthy();
    expect(within(panel()).getAllByText(/Azure DevOps rejected this PAT/).length).toBeGreaterThanOrEqual(1);
    expect(within(panel()).queryByRole("table")).toBeNull();
  });

  it("creates a connection: the list shows it Active with its hooks, never the PAT", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    await openForm(await screen.findByRole("button", { name: "New connection" }));
    type("Name", "Main");
    type("Organization URL", FABRIKAM);
    type("Personal access token", DEMO_PATS.admin);
    type("Description", "Boards and Repos");
    fireEvent.click(button("Save", panel()));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const c = await screen.findByRole("region", { name: "Connection Main" });
    expect(within(c).getByLabelText("Status: Active")).toBeTruthy();
    expect(await within(c).findByText(/^Service hooks: 5 of 5 enabled in Azure DevOps \(checked /)).toBeTruthy();
    expect(within(c).getByText(/PAT set on .*, expiry date not recorded, belongs to Ada Admin/)).toBeTruthy();
    expect(document.body.innerHTML).not.toContain(DEMO_PATS.admin);
  });

  it("status pills update live when the PAT stops working (no reload)", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    expect(within(c).getByLabelText("Status: Active")).toBeTruthy();
    const [{ id }] = await backend.deps.database.query<{ id: string }>("SELECT id FROM connections");
    await reportAdoFailure(backend.deps, id, new AdoError("bad_credentials", "revoked"));
    expect(await within(c).findByLabelText("Status: Error")).toBeTruthy();
    expect(within(c).getByRole("alert").textContent).toMatch(/expired or was revoked/);
    expect(button("Edit Main", c).textContent).toBe("Replace PAT");
    // Replace the PAT from the edit panel: back to Active.
    await openForm(button("Edit Main", c));
    expect((screen.getByLabelText("Personal access token") as HTMLInputElement).value).toBe("");
    type("Personal access token", DEMO_PATS.fullAccess);
    fireEvent.click(button("Save", panel()));
    expect(await within(c).findByLabelText("Status: Active")).toBeTruthy();
  });

  it("disconnect asks for confirmation; reconnect too", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    fireEvent.click(button("Disconnect", c));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByText("Disconnect Main?")).toBeTruthy();
    expect(within(dialog).getByText(/Linked projects stop syncing/)).toBeTruthy();
    fireEvent.click(button("Cancel", dialog));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(within(c).getByLabelText("Status: Active")).toBeTruthy();

    fireEvent.click(button("Disconnect", c));
    fireEvent.click(button("Disconnect", await screen.findByRole("dialog")));
    expect(await within(c).findByLabelText("Status: Inactive")).toBeTruthy();
    expect(within(c).getByText("Disconnected by Ada Admin")).toBeTruthy();

    fireEvent.click(button("Reconnect", c));
    const again = await screen.findByRole("dialog");
    expect(within(again).getByText("Reconnect Main?")).toBeTruthy();
    fireEvent.click(button("Reconnect", again));
    expect(await within(c).findByLabelText("Status: Active")).toBeTruthy();
    expect(await within(c).findByText(/^Service hooks: 5 of 5 enabled in Azure DevOps/)).toBeTruthy();
  });

  it("shows the subscriptions' real state from Azure DevOps and what the backend did about a disabled one", async () => {
    // Azure DevOps disabled a subscription after failed deliveries (modelled in ado-sim/src/hooks.ts).
    const sub = sim.state.orgs
      .get("fabrikam")!
      .hooks.subscriptions.find((s) => s.eventType === "workitem.updated" && s.status === "enabled")!;
    sub.status = "disabledBySystem";
    await signIn(DEMO_USERS.admin);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    // Opening the hub checks with Azure DevOps and repairs.
    expect(
      await within(c).findByText(/Recreated the subscriptions \(workitem\.updated disabledBySystem\) and queued a catch-up sync/),
    ).toBeTruthy();
    expect(within(c).getByText(/^Service hooks: 5 of 5 enabled in Azure DevOps/)).toBeTruthy();
    expect(
      sim.state.orgs
        .get("fabrikam")!
        .hooks.subscriptions.filter((s) => s.status === "enabled" && s.consumerInputs.url.includes("/hooks/ado/")),
    ).toHaveLength(5);
    fireEvent.click(button("Check service hooks", c));
    await waitFor(() => expect(within(c).getByText(/^Service hooks: 5 of 5 enabled/)).toBeTruthy());
  });

  it("Test connection on a saved connection shows its table in the card", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    fireEvent.click(button("Test connection", c));
    const table = await within(c).findByRole("table", { name: "Features this PAT allows" });
    expect(within(table).getAllByText("Yes")).toHaveLength(8);
  });

  it("history lists every change with who did it", async () => {
    await signIn(DEMO_USERS.member);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    fireEvent.click(button("History", c));
    const list = await screen.findByRole("list", { name: "Connection history" });
    const items = within(list)
      .getAllByRole("listitem")
      .map((li) => li.textContent ?? "");
    expect(items[items.length - 1]).toMatch(/^Connected by Ada Admin/);
    expect(items.some((t) => /^PAT rejected by Azure DevOps by TestOps/.test(t))).toBe(true);
    expect(items.some((t) => /^Edited by Ada Admin.*Changed PAT replaced/.test(t))).toBe(true);
    expect(items[0]).toMatch(/^Reconnected by Ada Admin/);
  });

  it("members see the connection read-only", async () => {
    await signIn(DEMO_USERS.member);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    expect(within(c).getByLabelText("Status: Active")).toBeTruthy();
    for (const name of ["Edit Main", "Test connection", "Disconnect", "Reconnect"])
      expect(within(c).queryByRole("button", { name })).toBeNull();
    expect(button("History", c)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "New connection" })).toBeNull();
  });

  it("a failed action is shown, not swallowed", async () => {
    await signIn(DEMO_USERS.admin);
    renderHub();
    const c = await screen.findByRole("region", { name: "Connection Main" });
    // Another admin disconnected it meanwhile: our Disconnect gets a 409 and says why.
    fireEvent.click(button("Disconnect", c));
    const dialog = await screen.findByRole("dialog");
    await backend.deps.database.exec("UPDATE connections SET status = 'Inactive'");
    fireEvent.click(button("Disconnect", dialog));
    expect(await screen.findByText(/"Main" is already disconnected/)).toBeTruthy();
  });
});
