import "./nodeGlobals";
import * as React from "react";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { authHeaders, EXTENSION_SCOPES, signAppToken, testBackend } from "../../backend/test/helpers";
import { createApi } from "../src/common/api";
import { ReposHub } from "../src/project-settings/repos/ReposLinks";
import { sdkMock } from "./sdkMock";

jest.setTimeout(90_000);

const PROJECT = "Fabrikam Fiber";
const BASE = "https://testops.test";
const CI_URL = `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples`;
const GEN_URL = `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-generated?version=GBmain`;

// The hub against the real backend (in-process, PGlite) and the simulator: every request it makes
// goes through the API's validation, ADO checks and jobs.
describe("Repos tab of the project settings hub", () => {
  const sim = createSimulator({ seed: { workItems: 0, generatedKatalon: { testCases: 12, traps: true } } });
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const realFetch = global.fetch;

  beforeAll(async () => {
    backend = await testBackend({ fetch: sim.fetch });
    const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const conn = await backend.app.request("/api/connections", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin }),
    });
    expect(conn.status).toBe(201);
    global.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      if (u.origin !== BASE) throw new Error(`unexpected fetch ${u.href}`);
      return backend.app.request(u.pathname + u.search, init);
    }) as typeof fetch;
  });
  afterAll(async () => {
    global.fetch = realFetch;
    await backend?.close();
  });
  beforeEach(async () => {
    sdkMock.appToken = await signAppToken(DEMO_USERS.admin.id);
    sdkMock.accessToken = sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id, undefined, EXTENSION_SCOPES);
  });

  const renderHub = (api = createApi("https://dev.azure.com/fabrikam/", BASE)) =>
    render(<ReposHub api={api} projectId={project.id} projectName={PROJECT} pollMs={{ running: 50, idle: 200 }} />);
  const type = (label: string, value: string) => {
    const input = screen.getByLabelText(label);
    fireEvent.change(input, { target: { value } });
    fireEvent.blur(input);
  };
  const card = (name: string) => screen.getByRole("region", { name });
  const settle = () => act(() => backend.deps.jobs.idle());

  it("creates a link with inline validation, saves it Inactive, syncs it with progress, and shows its tests as a tree", async () => {
    const view = renderHub();
    await screen.findByText("No Repos link yet");
    fireEvent.click(screen.getByRole("button", { name: "New Repos link" }));
    await screen.findByLabelText("Display name");

    // Local checks use the API's own schema; URL problems are asked of Azure DevOps when the field is left.
    type("Display name", "x".repeat(51));
    expect(await screen.findByText("must be at most 50 characters")).toBeTruthy();
    type("Repository URL", "https://dev.azure.com/fabrikam/P/_boards");
    expect(await screen.findByText(/must contain \/_git\/\{repository\}/)).toBeTruthy();
    type("Repository URL", "https://dev.azure.com/contoso/Contoso%20Web/_git/Contoso%20Web");
    expect(await screen.findByText(/belongs to the organization "contoso", but this project's organization is "fabrikam"/)).toBeTruthy();
    type("Repository URL", `${CI_URL}?version=GBnope`);
    expect(await screen.findByText(/names the branch "nope", which does not exist in katalon-ci-samples/)).toBeTruthy();
    type("Repository URL", CI_URL);
    expect(await screen.findByText(/Found: katalon-ci-samples · branch main · whole repository \(commit [0-9a-f]{8}\)/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByText("must be at most 50 characters")).toBeTruthy(); // nothing sent while a field is wrong
    type("Display name", "CI samples");
    type("Description", "Katalon CI samples");
    fireEvent.click(screen.getByRole("checkbox", { name: /Link existing test execution results/ }));
    fireEvent.click(screen.getByRole("button", { name: "Save" }));

    const saved = await screen.findByRole("region", { name: "CI samples" });
    expect(within(saved).getByLabelText("Status: Inactive")).toBeTruthy();
    expect(within(saved).getByText(/Saved without syncing/)).toBeTruthy();
    expect(screen.getByText(/No synced test cases yet/)).toBeTruthy();

    fireEvent.click(within(saved).getByRole("button", { name: "Sync now" }));
    await settle();
    await waitFor(() => expect(within(card("CI samples")).getByLabelText("Status: Active")).toBeTruthy());
    expect(within(card("CI samples")).getByLabelText("Last sync").textContent).toMatch(
      /3 test cases · 3 suites · synced just now at commit [0-9a-f]{8} · full sync in 3 Azure DevOps requests · linked with execution results/,
    );

    const tree = await screen.findByRole("tree", { name: "Synced tests" });
    const item = (name: string) => within(tree).getByRole("treeitem", { name });
    expect(item("Main Test Cases").getAttribute("aria-level")).toBe("3");
    expect(
      within(item("Main Test Cases"))
        .getAllByRole("treeitem")
        .map((i) => i.getAttribute("aria-label")),
    ).toEqual(["TC1_Verify Successful Login", "TC2_Verify Successful Appointment"]);
    expect(within(item("Common Test Cases")).getByRole("treeitem", { name: "Login" })).toBeTruthy();
    expect(within(item("Login")).getByLabelText(/Sync status: Warning \(has no script/)).toBeTruthy();
    // A suite opens onto its ordered members; a collection onto its runs.
    fireEvent.click(within(item("TS_RegressionTest")).getByRole("button", { name: "Expand TS_RegressionTest" }));
    expect(
      within(screen.getByRole("list", { name: "Members of TS_RegressionTest" }))
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["TC1_Verify Successful Login", "TC2_Verify Successful Appointment"]);
    fireEvent.click(within(item("TS_RegressionTestCollectionParallel")).getByRole("button", { name: /^Expand/ }));
    expect(
      within(screen.getByRole("list", { name: "Members of TS_RegressionTestCollectionParallel" }))
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["TS_RegressionTest · Chrome · default", "TS_RegressionTest · Firefox · default"]);
    view.unmount();
  });

  it("Save and sync reports every skipped file and why; Archive empties the Tests view, Unarchive brings it back", async () => {
    const view = renderHub();
    await screen.findByRole("region", { name: "CI samples" });
    fireEvent.click(screen.getByRole("button", { name: "New Repos link" }));
    await screen.findByLabelText("Display name");
    type("Display name", "Generated");
    type("Repository URL", GEN_URL);
    await screen.findByText(/Found: katalon-generated · branch main/);
    fireEvent.click(screen.getByRole("button", { name: "Save and sync" }));
    await screen.findByRole("region", { name: "Generated" });
    await settle();
    await waitFor(() => expect(within(card("Generated")).getByLabelText("Status: Active")).toBeTruthy());

    fireEvent.click(within(card("Generated")).getByRole("button", { name: /Show sync report \(5 skipped, \d+ warnings\)/ }));
    const skipped = within(card("Generated")).getByRole("list", { name: "Skipped files" });
    const lines = within(skipped)
      .getAllByRole("listitem")
      .map((li) => li.textContent);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/generated-katalon_automation\.prj another \.prj in the same folder/),
        expect.stringMatching(/^\/productCreate\.tc is a \.tc file outside Test Cases/),
        expect.stringMatching(/^\/src\/util\.ts is a \.ts file outside Test Suites/),
        expect.stringMatching(/^\/test-cases\/cloud_first_test_case\.ks\.ts is a TypeScript file outside Test Suites/),
        expect.stringMatching(/^\/test-cases\/cloud_first_test_case\.tc is a \.tc file outside Test Cases/),
      ]),
    );
    const warnings = within(card("Generated")).getByRole("list", { name: "Warnings" });
    expect(within(warnings).getByText(/WhitePapers_Bulk, which is not a test case in the linked folder \(dangling link\)/)).toBeTruthy();
    const tree = screen.getByRole("tree", { name: "Synced tests" });
    expect(within(tree).getByRole("treeitem", { name: "Generated" })).toBeTruthy();
    expect(within(tree).getByRole("treeitem", { name: /5μm and 20μm/ })).toBeTruthy();

    fireEvent.click(within(card("Generated")).getByRole("button", { name: "Archive" }));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByText(/leave the Tests views, and its queued syncs are cancelled/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "Archive" }));
    await waitFor(() => expect(within(card("Generated")).getByLabelText("Status: Archived")).toBeTruthy());
    await waitFor(() =>
      expect(within(screen.getByRole("tree", { name: "Synced tests" })).queryByRole("treeitem", { name: "Generated" })).toBeNull(),
    );
    expect(within(screen.getByRole("tree", { name: "Synced tests" })).getByRole("treeitem", { name: "CI samples" })).toBeTruthy();
    expect(within(card("Generated")).queryByRole("button", { name: "Sync now" })).toBeNull();

    fireEvent.click(within(card("Generated")).getByRole("button", { name: "Unarchive" }));
    await settle();
    await waitFor(
      () => expect(within(screen.getByRole("tree", { name: "Synced tests" })).getByRole("treeitem", { name: "Generated" })).toBeTruthy(),
      {
        timeout: 5000,
      },
    );
    view.unmount();
  });

  it("edits a link (only what changed is sent) and shows the API's field errors inline", async () => {
    const view = renderHub();
    const ci = await screen.findByRole("region", { name: "CI samples" });
    fireEvent.click(within(ci).getByRole("button", { name: "Edit" }));
    await screen.findByText("Edit CI samples");
    expect((screen.getByLabelText("Display name") as HTMLInputElement).value).toBe("CI samples");
    expect(screen.getByRole("button", { name: "Save" }).getAttribute("aria-disabled")).toBe("true");
    type("Display name", "generated");
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("is already used by another Repos link in this project")).toBeTruthy();
    type("Display name", "Katalon CI");
    type("Repository URL", `${CI_URL}?path=%2Fmissing`);
    expect(await screen.findByText(/folder "\/missing", which does not exist/)).toBeTruthy();
    type("Repository URL", CI_URL);
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByRole("region", { name: "Katalon CI" });
    expect(within(card("Katalon CI")).getByLabelText("Status: Active")).toBeTruthy();
    view.unmount();
  });

  it("members who are not project administrators get a read-only page: links and tests, no actions", async () => {
    // A fresh client (and SDK mock) per user: the app token is cached per frame, and a frame never changes user.
    const as = async (user: keyof typeof DEMO_USERS) => {
      const appToken = await signAppToken(DEMO_USERS[user].id);
      const accessToken = sim.issueAccessToken("fabrikam", DEMO_USERS[user].id, undefined, EXTENSION_SCOPES);
      let fresh!: typeof createApi;
      jest.isolateModules(() => {
        Object.assign((require("./sdkMock") as typeof import("./sdkMock")).sdkMock, { appToken, accessToken });
        fresh = (require("../src/common/api") as typeof import("../src/common/api")).createApi;
      });
      return fresh("https://dev.azure.com/fabrikam/", BASE);
    };
    const view = renderHub(await as("member"));
    const ci = await screen.findByRole("region", { name: "Katalon CI" });
    expect(screen.getByText(/Read-only: only project administrators/)).toBeTruthy();
    // Only the sync report can be opened; nothing that changes the link.
    expect(
      within(ci)
        .getAllByRole("button")
        .map((b) => b.textContent),
    ).toEqual(["Show sync report (0 skipped, 3 warnings)"]);
    expect(screen.getByRole("button", { name: "New Repos link" }).getAttribute("aria-disabled")).toBe("true");
    expect(screen.getByText("Tests")).toBeTruthy();
    // No traceability actions either.
    expect(screen.queryAllByRole("button", { name: /to a Test Case$|^Create Test Cases for / })).toEqual([]);
    view.unmount();

    // An administrator of the project sees the actions and no read-only notice.
    const lead = renderHub(await as("projectAdmin"));
    const card2 = await screen.findByRole("region", { name: "Katalon CI" });
    expect(within(card2).getByRole("button", { name: "Edit" })).toBeTruthy();
    expect(screen.queryByText(/Read-only/)).toBeNull();
    lead.unmount();
  });

  it("creates Test Cases for a folder of Katalon test cases and shows the links (issue 17)", async () => {
    const view = renderHub();
    await screen.findByRole("region", { name: "Katalon CI" });
    const tree = screen.getByRole("tree", { name: "Synced tests" });
    fireEvent.click(within(tree).getByRole("button", { name: "Create Test Cases for Main Test Cases" }));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByText("Create Test Cases for Main Test Cases?")).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await screen.findByText("2 Test Cases created, 0 already linked (Main Test Cases).")).toBeTruthy();
    await waitFor(() => expect(within(tree).getAllByLabelText(/^Linked to Test Case \d+$/)).toHaveLength(2));
    const org = sim.state.orgs.get("fabrikam")!;
    const ids = within(tree)
      .getAllByLabelText(/^Linked to Test Case \d+$/)
      .map((e) => Number(e.getAttribute("aria-label")!.replace(/\D/g, "")));
    expect(ids.map((id) => org.workItems.field(id, "Microsoft.VSTS.TCM.AutomatedTestType"))).toEqual(["Katalon", "Katalon"]);
    // Login (another folder) can still be linked one by one.
    expect(within(tree).getByRole("button", { name: "Link Login to a Test Case" })).toBeTruthy();
    view.unmount();
  });
});
