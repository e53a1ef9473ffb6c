import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM envelope for secrets at rest (PATs). Stored as "v1.<keyId>.<iv>.<tag>.<ciphertext>"
 * (base64url parts) so that the key that encrypted a value is known and keys can be rotated:
 * the first configured key encrypts, every configured key decrypts.
 */
export interface SecretBox {
  encrypt(plaintext: string, aad: string): string;
  decrypt(sealed: string, aad: string): string;
  /** Id of the key that sealed a value (for re-encryption after rotation). */
  keyIdOf(sealed: string): string;
  currentKeyId: string;
}

export function createSecretBox(keys: { id: string; key: Buffer }[]): SecretBox {
  if (keys.length === 0) throw new Error("at least one encryption key is required");
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  const current = keys[0];
  const b64 = (b: Buffer) => b.toString("base64url");
  const split = (sealed: string) => {
    const parts = sealed.split(".");
    if (parts.length !== 5 || parts[0] !== "v1") throw new Error("not a sealed secret");
    return {
      keyId: parts[1],
      iv: Buffer.from(parts[2], "base64url"),
      tag: Buffer.from(parts[3], "base64url"),
      ct: Buffer.from(parts[4], "base64url"),
    };
  };
  return {
    currentKeyId: current.id,
    // aad binds the ciphertext to its row (e.g. the connection id) so a value copied elsewhere fails.
    encrypt(plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current.key, iv);
      cipher.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return ["v1", current.id, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join(".");
    },
    decrypt(sealed, aad) {
      const { keyId, iv, tag, ct } = split(sealed);
      const key = byId.get(keyId);
      if (!key) throw new Error(`encryption key "${keyId}" is not configured`);
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    },
    keyIdOf: (sealed) => split(sealed).keyId,
  };
}

export const generateKeySpec = (id = "k1") => `${id}:${randomBytes(32).toString("base64")}`;
