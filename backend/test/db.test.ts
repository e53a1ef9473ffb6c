import { eq } from "drizzle-orm";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrate, MIGRATIONS_DIR, openDatabase } from "../src/db/client";
import { auditLog, organizations } from "../src/db/schema";
import { listAudit, recordAudit } from "../src/lib/audit";
import { DB_KINDS, openTestDatabase } from "./helpers";

describe.each(DB_KINDS)("database on %s", (kind) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database.drop());

  it("applies every migration once, and again is a no-op", async () => {
    const first = await migrate(database);
    expect(first.length).toBeGreaterThan(0);
    await migrate(database);
    const rows = await database.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
    expect(rows.map((r) => r.name)).toEqual(first);
  });

  it("drizzle definitions match the SQL schema (insert + read through both)", async () => {
    await database.db.insert(organizations).values({ id: "org-1", name: "fabrikam", url: "https://dev.azure.com/fabrikam" });
    await recordAudit(database.db, {
      orgId: "org-1",
      actorId: "u1",
      action: "connection.created",
      targetType: "connection",
      targetId: "c1",
      details: { name: "x" },
    });
    const raw = await database.query<{ action: string; details: unknown }>("SELECT action, details FROM audit_log WHERE org_id = $1", [
      "org-1",
    ]);
    expect(raw).toEqual([{ action: "connection.created", details: { name: "x" } }]);
    const listed = await listAudit(database.db, "org-1");
    expect(listed[0]).toMatchObject({ actorId: "u1", targetId: "c1" });
    expect(await listAudit(database.db, "another-org")).toEqual([]);
    const [org] = await database.db.select().from(organizations).where(eq(organizations.id, "org-1"));
    expect(org.createdAt).toBeInstanceOf(Date);
    await expect(
      database.db.insert(auditLog).values({ orgId: "missing-org", actorId: "u", action: "a", targetType: "t", targetId: "x" }),
    ).rejects.toThrow();
  });
});

// The embedded database on disk: a new data directory is made (initdb) and migrated by a child process, whose
// WebAssembly memory goes away with it; this process opens it ready, and its own migrate is a no-op.
it("creates and migrates a new embedded data directory in a child process", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "testops-db-"));
  try {
    const database = await openDatabase({ dataDir: dir, migrationsDir: MIGRATIONS_DIR });
    try {
      const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"));
      const applied = await database.query<{ name: string; at: Date }>(
        `SELECT name, applied_at AS at FROM schema_migrations ORDER BY name`,
      );
      expect(applied.map((r) => r.name)).toEqual(files.sort());
      expect(await migrate(database)).toEqual(files);
      const again = await database.query<{ name: string; at: Date }>(`SELECT name, applied_at AS at FROM schema_migrations ORDER BY name`);
      expect(again).toEqual(applied);
    } finally {
      await database.close();
    }
    // Opened again (an existing directory): nothing is redone in a child.
    const reopened = await openDatabase({ dataDir: dir, migrationsDir: MIGRATIONS_DIR });
    expect((await reopened.query(`SELECT name FROM schema_migrations`)).length).toBe(
      readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length,
    );
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
