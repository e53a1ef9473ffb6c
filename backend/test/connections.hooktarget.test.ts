// Azure DevOps Services refuses service-hook targets on local addresses and basic auth over http:
// a backend whose PUBLIC_URL is http://localhost still connects, and the hub says what to change.
import { createSimulator, DEMO_USERS } from "@testops/ado-sim";
import { ALL_SCOPES } from "@testops/ado-sim/auth";
import { authHeaders, testBackend } from "./helpers";

jest.setTimeout(60_000);

describe("service hooks on a backend Azure DevOps Services cannot reach", () => {
  it.each([
    ["http://localhost:8787", /can't target localhost/],
    ["http://testops.example.com", /Basic authentication requires an HTTPS URL/],
  ])("PUBLIC_URL %s: Active, no hooks, and hooks.error explains the refusal and the fix", async (publicUrl, refusal) => {
    const sim = createSimulator({ hooks: { retryDelaysMs: [] } });
    const backend = await testBackend({ fetch: sim.fetch, env: { PUBLIC_URL: publicUrl } });
    try {
      const pat = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token;
      const res = await backend.app.request("/api/connections", {
        method: "POST",
        headers: { ...(await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id)), "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Main", organizationUrl: "https://dev.azure.com/fabrikam", pat }),
      });
      const body = await res.json();
      expect(res.status).toBe(201);
      expect(body.status).toBe("Active");
      expect(body.hooks.count).toBe(0);
      expect(body.hooks.error).toMatch(refusal);
      expect(body.hooks.error).toContain(`TestOps receives service hooks at ${publicUrl} (PUBLIC_URL)`);
      expect(body.hooks.error).toMatch(/public https URL \(for local development, a tunnel to it\)/);
      expect(sim.state.orgs.get("fabrikam")!.hooks.subscriptions).toHaveLength(0);
    } finally {
      await backend.close();
    }
  });
});
