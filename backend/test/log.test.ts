import { memoryLogger, registerSecret } from "../src/log";

describe("structured logs", () => {
  it("writes one JSON object per line with level, message and fields", () => {
    const log = memoryLogger("info");
    log.debug("hidden");
    log.child({ requestId: "r1" }).info("request", { path: "/api/connections", status: 200 });
    expect(log.lines).toHaveLength(1);
    expect(JSON.parse(log.lines[0])).toMatchObject({
      level: "info",
      msg: "request",
      requestId: "r1",
      path: "/api/connections",
      status: 200,
    });
  });

  it("redacts secrets by field name, by header shape and by registered value", () => {
    const log = memoryLogger();
    registerSecret("super-secret-pat-value-123");
    log.info("x", {
      pat: "abc",
      accessToken: "def",
      headers: { Authorization: "Basic OnBhdA==" },
      note: "called with Bearer eyJhbGciOi.payload.sig",
      err: new Error("ADO rejected super-secret-pat-value-123"),
      path: "/hooks/ado/1",
    });
    const line = log.lines[0];
    for (const leaked of ["abc", "def", "OnBhdA==", "eyJhbGciOi", "super-secret-pat-value-123"]) expect(line).not.toContain(leaked);
    expect(JSON.parse(line).path).toBe("/hooks/ado/1");
  });
});
