import "./nodeGlobals";
import * as React from "react";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { authHeaders, connectOrg, EXTENSION_SCOPES, signAppToken, testBackend } from "../../backend/test/helpers";
import { createApi } from "../src/common/api";
import { RunsHub } from "../src/project-settings/runs/RunsTab";
import { sdkMock } from "./sdkMock";

jest.setTimeout(90_000);

const PROJECT = "Fabrikam Fiber";
const BASE = "https://testops.test";

// The Test runs tab for a project member (read-only for keys and the import), against the real backend and the simulator.
// A file of its own: the page caches its app token, so one user per file.
describe("Test runs tab of the project settings hub, as a member", () => {
  const sim = createSimulator({ seed: { workItems: 0 } });
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const realFetch = global.fetch;
  const as = async (userId: string) => {
    sdkMock.appToken = await signAppToken(userId);
    sdkMock.accessToken = sim.issueAccessToken("fabrikam", userId, undefined, EXTENSION_SCOPES);
  };

  beforeAll(async () => {
    backend = await testBackend({ fetch: sim.fetch });
    // Members' roles are read with the organization connection's PAT (docs/ado-fidelity.md, point 10).
    const connectionId = await connectOrg(
      backend.app,
      await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id),
      "fabrikam",
      DEMO_PATS.admin,
    );
    // Disconnected: roles are still read with its PAT, but nothing is pushed.
    await backend.app.request(`/api/connections/${connectionId}/disconnect`, {
      method: "POST",
      headers: await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id),
    });
    const headers = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    const up = await backend.app.request(`/api/results/junit?project=${encodeURIComponent(PROJECT)}&runName=Nightly%207`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/xml" },
      body: `<testsuite name="S"><testcase classname="Cart" name="adds"/><testcase classname="Cart" name="removes"><failure message="kept the item">stack here</failure></testcase></testsuite>`,
    });
    expect(up.status).toBe(201);
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

  const renderHub = () =>
    render(<RunsHub api={createApi("https://dev.azure.com/fabrikam/", BASE)} projectId={project.id} projectName={PROJECT} pollMs={50} />);

  it("a member sees the runs and a run's failures; keys and the import switch are for project administrators", async () => {
    await as(DEMO_USERS.member.id);
    const view = renderHub();
    const runs = await screen.findByRole("list", { name: "Test runs" });
    const row = within(runs).getByRole("listitem");
    expect(row.textContent).toContain("Upload");
    expect(row.textContent).toContain("1 passed · 1 failed");
    expect(row.textContent).toContain("Not pushed");
    expect(await screen.findByText(/Project administrators create upload keys/)).toBeTruthy();
    expect((await screen.findByRole("switch", { name: "Import pipeline test runs" })).getAttribute("aria-disabled")).toBe("true");

    fireEvent.click(within(row).getByRole("button", { name: "Nightly 7" }));
    const results = await screen.findByRole("list", { name: "Results" });
    // Failures open with their message and stack.
    await waitFor(() => expect(results.textContent).toContain("kept the item"));
    fireEvent.click(screen.getByRole("tab", { name: "Passed (1)" }));
    await waitFor(() => expect(screen.getByRole("list", { name: "Results" }).textContent).toContain("adds"));
    expect(screen.getByRole("list", { name: "Results" }).textContent).not.toContain("removes");
    // No organization connection: the push says why.
    fireEvent.click(screen.getByRole("button", { name: "Push to Azure Test Plans" }));
    expect(await screen.findByText(/connect the organization first/)).toBeTruthy();
    view.unmount();
  });
});
