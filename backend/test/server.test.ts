import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
// Absolute loader path: the child runs in an empty directory where "tsx" would not resolve.
const TSX = path.join(root, "node_modules/tsx/dist/loader.mjs");

describe("backend process", () => {
  it("starts with no configuration at all (embedded PGlite) and answers health and readiness", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "testops-empty-"));
    // Only PATH: no PORT, no DATABASE_URL, no secrets.
    const child = spawn(process.execPath, ["--import", TSX, path.join(root, "backend/src/server.ts")], {
      cwd,
      env: { PATH: process.env.PATH ?? "" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 150_000);
        child.stdout.on("data", () => {
          const m = /"msg":"backend listening","url":"([^"]+)"/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]);
          }
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      expect(url).toBe("http://127.0.0.1:8787");
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: "ok" });
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: "ready", database: "pglite" });
      const unauth = await fetch(`${url}/api/me`);
      expect(unauth.status).toBe(401);
      // Generated secrets live in DATA_DIR with owner-only permissions and are announced (not printed).
      const secret = readFileSync(path.join(cwd, ".data/extension-secret"), "utf8").trim();
      expect(out).toContain("using generated secrets");
      expect(out).not.toContain(secret);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.on("exit", r));
      }
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 180_000);

  it("refuses to start with invalid configuration and names the variable", async () => {
    const child = spawn(process.execPath, ["--import", TSX, path.join(root, "backend/src/server.ts")], {
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: "postgresql://127.0.0.1/test", PORT: "nope" },
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(2);
    expect(err).toContain("PORT");
  }, 60_000);
});
