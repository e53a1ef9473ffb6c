import { createSecretBox } from "../src/crypto/secrets";

const key = (n: number) => Buffer.alloc(32, n);

describe("secret box (AES-256-GCM)", () => {
  const box = createSecretBox([{ id: "k1", key: key(1) }]);

  it("round-trips and never contains the plaintext", () => {
    const sealed = box.encrypt("my-very-secret-pat", "connection:1");
    expect(sealed).not.toContain("my-very-secret-pat");
    expect(sealed.startsWith("v1.k1.")).toBe(true);
    expect(box.decrypt(sealed, "connection:1")).toBe("my-very-secret-pat");
  });

  it("uses a fresh IV each time", () => {
    expect(box.encrypt("x", "a")).not.toBe(box.encrypt("x", "a"));
  });

  it("refuses a value moved to another row (AAD) or tampered with", () => {
    const sealed = box.encrypt("pat", "connection:1");
    expect(() => box.decrypt(sealed, "connection:2")).toThrow();
    const parts = sealed.split(".");
    parts[4] = Buffer.from("tampered").toString("base64url");
    expect(() => box.decrypt(parts.join("."), "connection:1")).toThrow();
  });

  it("decrypts with old keys after rotation and encrypts with the new one", () => {
    const oldSealed = box.encrypt("pat", "c");
    const rotated = createSecretBox([
      { id: "k2", key: key(2) },
      { id: "k1", key: key(1) },
    ]);
    expect(rotated.decrypt(oldSealed, "c")).toBe("pat");
    expect(rotated.keyIdOf(rotated.encrypt("pat", "c"))).toBe("k2");
    const withoutOld = createSecretBox([{ id: "k2", key: key(2) }]);
    expect(() => withoutOld.decrypt(oldSealed, "c")).toThrow(/k1/);
  });
});
