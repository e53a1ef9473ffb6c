import { DEMO_PATS, DEMO_USERS, SECURITY_NAMESPACES } from "../src/index";
import { basic, client, demoSim, ORG } from "./helpers";

describe("authentication and authorization", () => {
  const sim = demoSim();
  const admin = client(sim);

  test("anonymous → 401 TF400813 anonymous message", async () => {
    const res = await sim.fetch(`${ORG}/_apis/projects?api-version=7.1`);
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.message).toMatch(/^TF400813: Resource not available for anonymous access/);
    expect(body.typeKey).toBe("UnauthorizedRequestException");
  });

  test.each(["expired", "revoked"] as const)("%s PAT → 401 with Suppress, 203 HTML sign-in page without", async (k) => {
    const suppressed = await client(sim, DEMO_PATS[k]).get("/_apis/projects");
    expect(suppressed.status).toBe(401);
    const res = await sim.fetch(`${ORG}/_apis/projects?api-version=7.1`, { headers: { Authorization: basic(DEMO_PATS[k]).Authorization } });
    expect(res.status).toBe(203);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
  });

  test("unknown PAT and a PAT of another organization are rejected", async () => {
    expect((await client(sim, "nope").get("/_apis/projects")).status).toBe(401);
    const contosoOnFabrikam = await client(sim, DEMO_PATS.contoso).get("/_apis/projects");
    expect(contosoOnFabrikam.status).toBe(401);
    const ok = await client(sim, DEMO_PATS.contoso).get("https://dev.azure.com/contoso/_apis/projects");
    expect(ok.status).toBe(200);
    expect(ok.json.value.map((p: { name: string }) => p.name)).toEqual(["Contoso Web"]);
  });

  test("a PAT whose user left the organization → the user-shaped TF400813 everywhere, even on connectionData", async () => {
    const other = demoSim();
    const pat = other.addPat({ userId: DEMO_USERS.member.id, org: "fabrikam", scopes: ["vso.project"] });
    const c = client(other, pat.token);
    expect((await c.get("/_apis/connectionData")).status).toBe(200);
    expect((await c.get("/Fabrikam Fiber/_apis/wit/workitemtypes")).json.message).toMatch(/^TF400813: The user '.*' is not authorized/);
    other.state.orgs.get("fabrikam")!.members.delete(DEMO_USERS.member.id);
    for (const path of ["/_apis/connectionData", "/_apis/projects"]) {
      const res = await c.get(path);
      expect(res.status).toBe(401);
      expect(res.json.message).toBe(`TF400813: The user '${DEMO_USERS.member.id}' is not authorized to access this resource.`);
    }
  });

  test("any user name works with Basic auth", async () => {
    const res = await sim.fetch(`${ORG}/_apis/projects?api-version=7.1`, {
      headers: { Authorization: `Basic ${Buffer.from(`whoever:${DEMO_PATS.admin}`).toString("base64")}` },
    });
    expect(res.status).toBe(200);
  });

  test("missing scope → 401 with the exact TF400813 JSON body", async () => {
    const ro = client(sim, DEMO_PATS.readOnly);
    const res = await ro.get("/Fabrikam Fiber/_apis/test/runs");
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      $id: "1",
      innerException: null,
      message: `TF400813: The user '${DEMO_USERS.admin.id}' is not authorized to access this resource.`,
      typeName: "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server",
      typeKey: "UnauthorizedRequestException",
      errorCode: 0,
      eventId: 3000,
    });
    // Reads with the granted scopes work; writes need X_write.
    expect((await ro.get("/Fabrikam Fiber/_apis/wit/workitemtypes")).status).toBe(200);
    const write = await ro.jsonPatch("PATCH", "/_apis/wit/workitems/1", [{ op: "add", path: "/fields/System.Title", value: "x" }]);
    expect(write.status).toBe(401);
  });

  test("X_write implies X", async () => {
    const pat = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ["vso.work_write"] });
    const c = client(sim, pat.token);
    expect((await c.get("/_apis/wit/workitems/1")).status).toBe(200);
    expect((await c.get("/Fabrikam Fiber/_apis/git/repositories")).status).toBe(401);
  });

  test("connectionData identifies the user and the organization", async () => {
    const res = await admin.get("/_apis/connectionData");
    expect(res.status).toBe(200);
    expect(res.json.authenticatedUser.id).toBe(DEMO_USERS.admin.id);
    expect(res.json.authenticatedUser.providerDisplayName).toBe("Ada Admin");
    expect(res.json.authenticatedUser.properties.Account.$value).toBe(DEMO_USERS.admin.uniqueName);
    expect(res.json.instanceId).toBe(sim.state.orgs.get("fabrikam")!.id);
    const contoso = await client(sim, DEMO_PATS.contoso).get("https://dev.azure.com/contoso/_apis/connectionData");
    expect(contoso.json.instanceId).not.toBe(res.json.instanceId);
  });

  test("Bearer user access tokens carry full user rights and are org-bound", async () => {
    const token = sim.issueAccessToken("fabrikam", DEMO_USERS.member.id);
    const res = await sim.fetch(`${ORG}/_apis/connectionData`, {
      headers: { Authorization: `Bearer ${token}`, "X-TFS-FedAuthRedirect": "Suppress" },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).authenticatedUser.id).toBe(DEMO_USERS.member.id);
    const other = await sim.fetch("https://dev.azure.com/contoso/_apis/connectionData", {
      headers: { Authorization: `Bearer ${token}`, "X-TFS-FedAuthRedirect": "Suppress" },
    });
    expect(other.status).toBe(401);
    const ctl = await sim.fetch("http://x/_sim/tokens", {
      method: "POST",
      body: JSON.stringify({ org: "fabrikam", userId: DEMO_USERS.admin.id }),
    });
    expect((await ctl.json()).token).toEqual(expect.any(String));
  });

  test("permissionevaluationbatch answers by role", async () => {
    const fiber = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Fabrikam Fiber")!;
    const scrum = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Scrum Project")!;
    const body = {
      alwaysAllowAdministrators: false,
      evaluations: [
        { securityNamespaceId: SECURITY_NAMESPACES.collection, token: "NAMESPACE:", permissions: 2 },
        {
          securityNamespaceId: SECURITY_NAMESPACES.project,
          token: `$PROJECT:vstfs:///Classification/TeamProject/${fiber.id}`,
          permissions: 2,
        },
        {
          securityNamespaceId: SECURITY_NAMESPACES.project,
          token: `$PROJECT:vstfs:///Classification/TeamProject/${scrum.id}`,
          permissions: 2,
        },
      ],
    };
    const values = async (pat: string) =>
      (await client(sim, pat).post("/_apis/security/permissionevaluationbatch", body)).json.evaluations.map(
        (e: { value: boolean }) => e.value,
      );
    expect(await values(DEMO_PATS.admin)).toEqual([true, true, true]);
    expect(await values(DEMO_PATS.projectAdmin)).toEqual([false, true, false]);
    expect(await values(DEMO_PATS.member)).toEqual([false, false, false]);
  });

  test("api-version: optional on GET, required on POST, range-checked, accepted from Accept header", async () => {
    const noVersionGet = await admin.get("/_apis/projects", { "x-no-version": "1" });
    expect(noVersionGet.status).toBe(200);
    const noVersionPost = await admin.post(
      "/Fabrikam Fiber/_apis/wit/wiql",
      { query: "SELECT [System.Id] FROM WorkItems" },
      { "x-no-version": "1" },
    );
    expect(noVersionPost.status).toBe(400);
    expect(noVersionPost.json.typeKey).toBe("VssVersionNotSpecifiedException");
    const future = await admin.get("/_apis/projects?api-version=9.0");
    expect(future.status).toBe(400);
    expect(future.json.typeKey).toBe("VssVersionOutOfRangeException");
    const viaAccept = await admin.post(
      "/Fabrikam Fiber/_apis/wit/wiql",
      { query: "SELECT [System.Id] FROM WorkItems WHERE [System.Id] = 1" },
      { "x-no-version": "1", accept: "application/json;api-version=7.1" },
    );
    expect(viaAccept.status).toBe(200);
  });

  test("X-HTTP-Method-Override turns a POST into a PATCH", async () => {
    const res = await admin.post("/_apis/wit/workitems/2", [{ op: "add", path: "/fields/System.Title", value: "Overridden" }], {
      "content-type": "application/json-patch+json",
      "X-HTTP-Method-Override": "PATCH",
    });
    expect(res.status).toBe(200);
    expect(res.json.fields["System.Title"]).toBe("Overridden");
  });

  test("projects and teams resolve by name (any case, encoded spaces) and by id", async () => {
    const byName = await admin.get("/_apis/projects/fabrikam%20fiber");
    expect(byName.status).toBe(200);
    expect(byName.json.capabilities.processTemplate.templateName).toBe("Agile");
    const byId = await admin.get(`/${byName.json.id}/_apis/wit/workitemtypes`);
    expect(byId.status).toBe(200);
    const missing = await admin.get("/Nope/_apis/wit/workitemtypes");
    expect(missing.status).toBe(404);
    expect(missing.json.message).toMatch(/^TF200016/);
  });

  // The security reads declare no OAuth scope in ../shared/ado-rest-specs/security/7.1/security.json
  // (only the PAT scheme): an extension's scoped access token is refused; a PAT reads them.
  test("the extension's access token cannot read permissions; an admin's PAT reads a member's effective rights", async () => {
    const scoped = sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id, undefined, ["vso.profile", "vso.project", "vso.work"]);
    const bearer = { Authorization: `Bearer ${scoped}`, "X-TFS-FedAuthRedirect": "Suppress" };
    const batch = { evaluations: [{ securityNamespaceId: SECURITY_NAMESPACES.collection, token: "NAMESPACE:", permissions: 2 }] };
    const refused = await admin.post("/_apis/security/permissionevaluationbatch", batch, bearer);
    expect(refused.status).toBe(401);
    expect(refused.json.message).toMatch(/^TF400813/);
    expect((await admin.get("/_apis/projects", bearer)).status).toBe(200); // within its scopes
    expect((await admin.post("/_apis/security/permissionevaluationbatch", batch)).json.evaluations[0].value).toBe(true);

    const who = async (pat: string) => (await client(sim, pat).get("/_apis/connectionData")).json.authenticatedUser.descriptor as string;
    const memberDescriptor = await who(DEMO_PATS.member);
    const acl = (pat: string, headers?: Record<string, string>) =>
      client(sim, pat).get(
        `/_apis/accesscontrollists/${SECURITY_NAMESPACES.collection}?token=NAMESPACE:&descriptors=${encodeURIComponent(`${memberDescriptor},${DEMO_USERS.admin.id}`)}&includeExtendedInfo=true`,
        headers,
      );
    const read = await acl(DEMO_PATS.admin);
    expect(read.status).toBe(200);
    expect(read.json.count).toBe(1);
    const aces = read.json.value[0].acesDictionary;
    expect(Object.keys(aces)).toEqual([memberDescriptor]); // an unknown descriptor has no entry
    expect(aces[memberDescriptor].extendedInfo.effectiveAllow & 2).toBe(0); // a member does not administer
    expect(aces[memberDescriptor].extendedInfo.effectiveAllow & 1).toBe(1);
    const adminRead = await client(sim, DEMO_PATS.admin).get(
      `/_apis/accesscontrollists/${SECURITY_NAMESPACES.collection}?token=NAMESPACE:&descriptors=${encodeURIComponent(await who(DEMO_PATS.admin))}&includeExtendedInfo=true`,
    );
    expect(
      Object.values(adminRead.json.value[0].acesDictionary as Record<string, { extendedInfo: { effectiveAllow: number } }>)[0].extendedInfo
        .effectiveAllow & 2,
    ).toBe(2);
    expect((await acl(DEMO_PATS.member)).status).toBe(403); // reading others' permissions is an administrator's
    expect((await acl(DEMO_PATS.readOnly)).status).toBe(401); // a scoped PAT needs the security scope
    expect((await acl(DEMO_PATS.admin, bearer)).status).toBe(401);
  });
});
