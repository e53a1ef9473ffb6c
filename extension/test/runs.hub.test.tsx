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

// The Test runs tab against the real backend (in-process, PGlite) and the simulator.
describe("Test runs tab of the project settings hub", () => {
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
    await connectOrg(backend.app, await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id), "fabrikam", DEMO_PATS.admin);
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

  it("a project administrator creates a key, sees its secret once, and revokes it", async () => {
    await as(DEMO_USERS.projectAdmin.id);
    const view = renderHub();
    fireEvent.change(await screen.findByLabelText("New key name"), { target: { value: "GitLab" } });
    fireEvent.click(screen.getByRole("button", { name: "Create key" }));
    const secret = (await screen.findByLabelText("New key")).textContent!;
    expect(secret).toMatch(/^tok_/);
    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    const keys = await screen.findByRole("list", { name: "Upload keys" });
    expect(keys.textContent).toContain("GitLab");
    expect(keys.textContent).not.toContain(secret);
    fireEvent.click(within(keys).getByRole("button", { name: "Revoke GitLab" }));
    await waitFor(() => expect(screen.getByRole("list", { name: "Upload keys" }).textContent).toMatch(/revoked/));
    view.unmount();
  });
});
