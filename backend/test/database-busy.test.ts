// When every connection of the Postgres pool is taken (a burst of slow requests) a request waits for the
// pool's connection timeout and is then answered 503 with Retry-After (the client may try again), not 500.
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { sql } from "drizzle-orm";
import { authHeaders, connectOrg, testBackend } from "./helpers";

jest.setTimeout(60_000);

it("answers 503 with Retry-After while the database pool is exhausted, and 200 once it is free", async () => {
  const sim = createSimulator({ seed: { workItems: 0 } });
  const backend = await testBackend({ kind: "postgres", fetch: sim.fetch, env: { ADO_SIMULATOR_URL: "http://ado-sim.test" } });
  try {
    const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    const call = () => backend.app.request("/api/widgets/pass-rate?project=Fabrikam%20Fiber", { headers: admin });
    expect((await call()).status).toBe(200);

    // Hold all ten connections in open transactions.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let open = 0;
    const holders = Array.from({ length: 10 }, () =>
      backend.deps.database.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT 1`);
        open++;
        await held;
      }),
    );
    while (open < 10) await new Promise((r) => setTimeout(r, 20));

    const busy = await call();
    expect(busy.status).toBe(503);
    expect(busy.headers.get("Retry-After")).toBe("2");
    expect(await busy.json()).toEqual({ error: "unavailable", message: expect.stringContaining("try again") });
    expect(backend.log.lines.some((l) => l.includes("database busy or unreachable"))).toBe(true);

    release();
    await Promise.all(holders);
    expect((await call()).status).toBe(200);
  } finally {
    await backend.close();
  }
});
