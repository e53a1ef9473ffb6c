import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { MIGRATIONS_DIR } from "../src/db/client";
import { BACKEND_NODE_FLAGS, EMBEDDED_NODE_FLAGS, ensureBackendBuilt, freshDatabase, spawnBackend } from "./processes";

// The production bundle (dist-backend/server.js, plain `node`, no TypeScript loader) is what the README's
// production instructions run: it must start on both databases with every migration it carries.
const migrations = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length;

beforeAll(() => ensureBackendBuilt(), 120_000);

describe("production bundle (node dist-backend/server.js)", () => {
  it("is started the same way by `npm run serve`, the README and these tests (the flags the memory figures assume)", () => {
    const root = path.resolve(__dirname, "../..");
    const postgres = `node ${BACKEND_NODE_FLAGS.join(" ")} dist-backend/server.js`;
    const embedded = `node ${EMBEDDED_NODE_FLAGS.join(" ")} dist-backend/server.js`;
    expect(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts.serve).toBe(embedded);
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    expect(readme).toContain(postgres);
    expect(readme).toContain(embedded);
  });

  it("starts on embedded PGlite from an empty directory, then again on the data it made", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "testops-bundle-"));
    try {
      for (const run of ["fresh", "restart"]) {
        const b = await spawnBackend({ DATA_DIR: path.join(cwd, ".data") }, { cwd, bundle: true, timeoutMs: 150_000 });
        try {
          expect(await (await fetch(`${b.url}/readyz`)).json()).toMatchObject({ status: "ready", database: "pglite" });
          expect((await fetch(`${b.url}/api/me`)).status).toBe(401);
          expect(b.output()).toContain(run === "fresh" ? "using generated secrets" : '"msg":"backend listening"');
        } finally {
          await b.kill("SIGTERM");
        }
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 360_000);

  it("starts on a brand-new Postgres database and applies every migration", async () => {
    const db = await freshDatabase();
    try {
      const b = await spawnBackend(
        { DATABASE_URL: db.url, ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString("base64")}` },
        { bundle: true },
      );
      try {
        expect(await (await fetch(`${b.url}/readyz`)).json()).toMatchObject({ status: "ready", database: "postgres" });
        const c = new Client({ connectionString: db.url });
        await c.connect();
        const { rows } = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
        await c.end();
        expect(rows[0].n).toBe(migrations);
      } finally {
        await b.kill("SIGTERM");
      }
    } finally {
      await db.drop();
    }
  }, 180_000);
});
