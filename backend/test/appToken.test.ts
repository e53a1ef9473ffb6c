import { sign } from "hono/jwt";
import { verifyAppToken } from "../src/auth/appToken";
import { signAppToken, TEST_SECRET } from "./helpers";

describe("verifyAppToken", () => {
  it("accepts a valid token and returns the user id from nameid", async () => {
    const t = await signAppToken("user-1");
    await expect(verifyAppToken(t, [TEST_SECRET])).resolves.toMatchObject({ userId: "user-1" });
  });

  it("accepts any of several secrets (rotation, dev + prod extensions)", async () => {
    const t = await signAppToken("user-1", { secret: "the-other-secret-abcdefghijk" });
    await expect(verifyAppToken(t, [TEST_SECRET, "the-other-secret-abcdefghijk"])).resolves.toMatchObject({ userId: "user-1" });
  });

  it.each([
    ["a bad signature", () => signAppToken("u", { secret: "not-the-right-secret-123456" }), /signature/],
    ["an expired token", () => signAppToken("u", { expInSec: -60 }), /expired/],
    ["a token not valid yet", () => signAppToken("u", { nbfInSec: 600 }), /not valid yet/],
    ["another issuer", () => signAppToken("u", { iss: "evil.example" }), /issued/],
    ["garbage", async () => "not.a.jwt", /invalid|not a JWT/],
    [
      "no nameid",
      () => sign({ iss: "app.vstoken.visualstudio.com", exp: Math.floor(Date.now() / 1000) + 60 }, TEST_SECRET, "HS256"),
      /nameid/,
    ],
    [
      "HS512 instead of HS256",
      () => sign({ nameid: "u", iss: "app.vstoken.visualstudio.com", exp: Math.floor(Date.now() / 1000) + 60 }, TEST_SECRET, "HS512"),
      /HS256/,
    ],
  ])("rejects %s", async (_name, make, reason) => {
    await expect(verifyAppToken(await make(), [TEST_SECRET])).rejects.toThrow(reason);
  });

  it("pins the audience when configured", async () => {
    const t = await signAppToken("u");
    await expect(verifyAppToken(t, [TEST_SECRET], ["ext-aud"])).resolves.toBeTruthy();
    await expect(verifyAppToken(t, [TEST_SECRET], ["other-extension"])).rejects.toThrow(/another extension/);
  });
});
