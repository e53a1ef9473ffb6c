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
    const servers = ["ado.example.com", "ado.example.com:8443"];
    expect(parseOrganizationUrl(input, servers)).toEqual({ ok: true, value: expect.objectContaining({ url, name, kind }) });
  });

  it.each([
    ["https://evil.example/tfs/fabrikam", []],
    ["https://ado.example.com/tfs/DefaultCollection", []],
    ["https://ado.example.com:8443/tfs/DefaultCollection", ["ado.example.com:443"]],
    ["https://ado.example.com.evil.example/tfs/DefaultCollection", ["ado.example.com"]],
    ["https://dev.azure.com.evil.example/fabrikam", ["ado.example.com"]],
    ["https://dev.azure.com./fabrikam", []],
  ])("trusts no Azure DevOps Server host the operator did not list: %s (listed %p)", (input, listed) => {
    const r = parseOrganizationUrl(input, listed);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining("ADO_SERVER_HOSTS") });
  });

  it("matches a listed host with or without its port", () => {
    expect(parseOrganizationUrl("https://ado.example.com:8443/tfs/C", ["ado.example.com"]).ok).toBe(true);
    expect(parseOrganizationUrl("https://ado.example.com:8443/tfs/C", ["ado.example.com:8443"]).ok).toBe(true);
    expect(parseOrganizationUrl("https://ado.example.com/tfs/C", ["ado.example.com:8443"]).ok).toBe(false);
  });

  it.each([
    "https://[::ffff:127.0.0.1]/tfs/C",
    "https://[::ffff:7f00:1]/tfs/C",
    "https://[::ffff:10.0.0.1]/tfs/C",
    "https://[64:ff9b::a00:1]/tfs/C",
    "https://[64:ff9b::8.8.8.8]/tfs/C",
    "https://[::127.0.0.1]/tfs/C",
    "https://[2002:7f00:1::]/tfs/C",
  ])("refuses IPv6 literals that carry an IPv4 address, even when listed: %s", (input) => {
    const host = new URL(input).hostname;
    const r = parseOrganizationUrl(input, [host]);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining("IPv4") });
  });

  it("refuses malformed percent-encodings without throwing", () => {
    expect(parseOrganizationUrl("https://dev.azure.com/%E0%A4%A")).toMatchObject({ ok: false });
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
    const r = parseOrganizationUrl(input, ["ado.example.com"]);
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
    ["::ffff:7f00:1", true],
    ["::ffff:a00:1", true],
    ["::ffff:808:808", false],
    ["64:ff9b::a9fe:a9fe", true],
    ["64:ff9b::808:808", false],
    ["::127.0.0.1", true],
    ["2002:c0a8:101::1", true],
    ["[::1]", true],
    ["::", true],
    ["fe80::1%eth0", true],
    ["ff02::1", true],
    ["fd00::1", true],
    ["2001:db8::1", false],
    ["2606:4700::1111", false],
  ])("isPrivateAddress(%s) = %s", (ip, expected) => expect(isPrivateAddress(ip)).toBe(expected));
});
