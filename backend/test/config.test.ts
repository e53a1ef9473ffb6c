import { ConfigError, loadConfig } from "../src/config";

const gen = {
  extensionSecret: () => "generated-secret-abcdefghijklmnop",
  encryptionKey: () => `g1:${Buffer.alloc(32, 7).toString("base64")}`,
};

describe("loadConfig", () => {
  it("starts with no configuration at all in embedded mode, generating secrets", () => {
    const c = loadConfig({}, gen);
    expect(c.port).toBe(8787);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe(".data");
    expect(c.extensionSecrets).toEqual(["generated-secret-abcdefghijklmnop"]);
    expect(c.encryptionKeys[0].id).toBe("g1");
    expect(c.generatedSecrets).toEqual(["EXTENSION_SECRET", "ENCRYPTION_KEY"]);
    expect(c.publicUrl).toBe("http://localhost:8787");
    expect(c.appTokenLeewaySeconds).toBe(300);
    expect(loadConfig({ APP_TOKEN_LEEWAY_SECONDS: "60" }, gen).appTokenLeewaySeconds).toBe(60);
  });

  it("requires explicit secrets in production (DATABASE_URL), naming each variable", () => {
    try {
      loadConfig({ DATABASE_URL: "postgres://db/x" }, gen);
      throw new Error("should have failed");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain("EXTENSION_SECRET");
      expect(msg).toContain("ENCRYPTION_KEY");
    }
  });

  it.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ PUBLIC_URL: "not a url" }, "PUBLIC_URL"],
    [{ ENCRYPTION_KEY: "k1:dG9vc2hvcnQ=" }, "32 bytes"],
    [{ EXTENSION_SECRET: "short" }, "EXTENSION_SECRET"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ APP_TOKEN_LEEWAY_SECONDS: "-1" }, "APP_TOKEN_LEEWAY_SECONDS"],
    [{ APP_TOKEN_LEEWAY_SECONDS: "7200" }, "APP_TOKEN_LEEWAY_SECONDS"],
  ])("rejects %p with a message naming %s", (env, needle) => {
    expect(() => loadConfig(env as Record<string, string>, gen)).toThrow(needle);
  });

  it("accepts several extension secrets and keys for rotation", () => {
    const k = (n: number) => Buffer.alloc(32, n).toString("base64");
    const c = loadConfig({
      EXTENSION_SECRETS: "secret-number-one-xxxxx, secret-number-two-yyyyy",
      ENCRYPTION_KEY: `new:${k(1)},old:${k(2)}`,
      CORS_ORIGINS: "https://a.example, https://b.example",
    });
    expect(c.extensionSecrets).toHaveLength(2);
    expect(c.encryptionKeys.map((x) => x.id)).toEqual(["new", "old"]);
    expect(c.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
  });
});
