import { isPrivateAddress, parseOrganizationUrl, transportBase } from "../src/ado/urls";

describe("parseOrganizationUrl", () => {
  it.each([
    ["https://dev.azure.com/fabrikam", "https://dev.azure.com/fabrikam", "fabrikam", "cloud"],
    ["https://dev.azure.com/fabrikam/", "https://dev.azure.com/fabrikam", "fabrikam", "cloud"],
    ["  https://dev.azure.com/Fabrikam/Some%20Project/_git/repo ", "https://dev.azure.com/Fabrikam", "Fabrikam", "cloud"],
    ["https://fabrikam.visualstudio.com/", "https://fabrikam.visualstudio.com", "fabrikam", "legacy"],
    ["https://FABRIKAM.visualstudio.com/DefaultCollection", "https://fabrikam.visualstudio.com", "fabrikam", "legacy"],
    ["https://ado.example.com/tfs/DefaultCollection", "https://ado.example.com/tfs/DefaultCollection", "DefaultCollection", "server"],
    ["https://ado.example.com:8443/Collection1/", "https://ado.example.com:8443/Collection1", "Collection1", "server"],
  ])("accepts %s", (input, url, name, kind) => {
    expect(parseOrganizationUrl(input)).toEqual({ ok: true, value: expect.objectContaining({ url, name, kind }) });
  });

  it.each([
    ["", /required/],
    ["dev.azure.com/fabrikam", /not a valid URL/],
    ["http://dev.azure.com/fabrikam", /https/],
    ["ftp://dev.azure.com/fabrikam", /https/],
    ["https://dev.azure.com/", /organization name/],
    ["https://dev.azure.com/bad_name!", /not a valid organization/],
    ["https://user:pw@dev.azure.com/fabrikam", /user name or password/],
    ["https://portal.azure.com/x", /not an Azure DevOps organization/],
    ["https://127.0.0.1/tfs/Default", /private or local/],
    ["https://10.1.2.3/Default", /private or local/],
    ["https://[::1]/Default", /private or local/],
    ["https://localhost/Default", /private or local/],
    ["https://169.254.169.254/latest", /private or local/],
    ["https://ado.example.com/", /collection/],
  ])("rejects %p with a reason", (input, reason) => {
    const r = parseOrganizationUrl(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("lets an operator allow a private on-prem host", () => {
    expect(parseOrganizationUrl("https://10.1.2.3/tfs/Default", ["10.1.2.3"]).ok).toBe(true);
  });

  it("routes to the simulator by organization name when configured", () => {
    const r = parseOrganizationUrl("https://fabrikam.visualstudio.com");
    if (!r.ok) throw new Error(r.reason);
    expect(transportBase(r.value)).toBe("https://fabrikam.visualstudio.com");
    expect(transportBase(r.value, "http://127.0.0.1:7070")).toBe("http://127.0.0.1:7070/fabrikam");
  });

  it.each([
    ["10.0.0.1", true],
    ["172.20.1.1", true],
    ["172.32.1.1", false],
    ["192.168.1.1", true],
    ["8.8.8.8", false],
    ["::ffff:127.0.0.1", true],
    ["fd00::1", true],
    ["2001:db8::1", false],
  ])("isPrivateAddress(%s) = %s", (ip, expected) => expect(isPrivateAddress(ip)).toBe(expected));
});
