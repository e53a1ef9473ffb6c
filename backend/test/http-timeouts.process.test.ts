import { connect } from "node:net";
import { freshDatabase, spawnBackend, type BackendProcess } from "./processes";

jest.setTimeout(120_000);

// Issue #12: a client that trickles its request must not hold a connection forever (real process, real sockets).
describe("backend process cuts slow clients off", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let backend: BackendProcess;
  beforeAll(async () => {
    db = await freshDatabase();
    backend = await spawnBackend({
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 9).toString("base64")}`,
      HEADERS_TIMEOUT_SECONDS: "1",
      REQUEST_TIMEOUT_SECONDS: "2",
    });
  });
  afterAll(async () => {
    await backend?.kill("SIGTERM");
    await db?.drop();
  });

  /** Sends `first` and then nothing more; resolves with what the server answered and when it closed. */
  function trickle(first: string): Promise<{ answer: string; closedAfterMs: number }> {
    const { port } = new URL(backend.url);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let answer = "";
      const socket = connect(Number(port), "127.0.0.1", () => socket.write(first));
      socket.on("data", (d) => (answer += d));
      socket.on("error", reject);
      socket.on("close", () => resolve({ answer, closedAfterMs: Date.now() - started }));
      setTimeout(() => {
        socket.destroy();
        reject(new Error("the server kept the connection open"));
      }, 30_000).unref();
    });
  }

  it("closes a connection whose headers never end (408), and one whose body never comes", async () => {
    const headers = await trickle("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n");
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    const body = await trickle("POST /api/me HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
    expect(body.answer === "" || /^HTTP\/1\.1 (408|4\d\d)/.test(body.answer)).toBe(true);
    // The process still serves everyone else.
    expect((await fetch(`${backend.url}/healthz`)).status).toBe(200);
  });
});
