import { sign } from "hono/jwt";
import { mintAppToken } from "../../e2e/src/tokens";
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
    ["a token expired 10 minutes ago", () => signAppToken("u", { expInSec: -600 }), /expired/],
    ["a token not valid yet, beyond the leeway", () => signAppToken("u", { nbfInSec: 301 }), /not valid yet/],
    ["a token expired beyond the leeway", () => signAppToken("u", { expInSec: -300 }), /expired/],
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

  it("allows Azure DevOps' clock to be a few minutes off ours (configurable leeway on nbf and exp)", async () => {
    // Minted by the fake host with ADO's clock 4 minutes ahead of ours, then 4 minutes behind and 66 minutes later.
    const ahead = await mintAppToken({ userId: "u", secret: TEST_SECRET, audience: "a", clockSkewSec: 240 });
    await expect(verifyAppToken(ahead, [TEST_SECRET])).resolves.toMatchObject({ userId: "u" });
    await expect(verifyAppToken(ahead, [TEST_SECRET], [], 0)).rejects.toThrow(/not valid yet/);
    const behind = await mintAppToken({ userId: "u", secret: TEST_SECRET, audience: "a", clockSkewSec: -240, lifetimeSec: 60 });
    await expect(verifyAppToken(behind, [TEST_SECRET])).resolves.toMatchObject({ userId: "u" });
    await expect(verifyAppToken(behind, [TEST_SECRET], [], 120)).rejects.toThrow(/expired/);
    await expect(verifyAppToken(behind, [TEST_SECRET], [], 300, Math.floor(Date.now() / 1000) + 180)).rejects.toThrow(/expired/);
  });

  it("pins the audience when configured", async () => {
    const t = await signAppToken("u");
    await expect(verifyAppToken(t, [TEST_SECRET], ["ext-aud"])).resolves.toBeTruthy();
    await expect(verifyAppToken(t, [TEST_SECRET], ["other-extension"])).rejects.toThrow(/another extension/);
  });
});
