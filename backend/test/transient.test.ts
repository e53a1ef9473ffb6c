import { isDatabaseUnavailable, isTransient } from "../src/jobs/transient";

const pgError = (code: string, message = "x") => Object.assign(new Error(message), { code, severity: "ERROR" });

describe("which failures are retried", () => {
  it.each([
    ["connection failure (08006)", pgError("08006"), true],
    ["cannot connect now (57P03)", pgError("57P03"), true],
    ["admin shutdown (57P01)", pgError("57P01"), true],
    ["deadlock (40P01)", pgError("40P01"), true],
    ["serialization failure (40001)", pgError("40001"), true],
    ["out of memory (53200)", pgError("53200"), true],
    ["protocol violation, e.g. too many bind parameters (08P01)", pgError("08P01", "bind message has 70000 parameter formats"), false],
    ["unique violation (23505)", pgError("23505"), false],
    ["syntax error (42601)", pgError("42601"), false],
    ["pool timeout", new Error("timeout exceeded when trying to connect"), true],
    ["socket reset", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), true],
    ["a wrapped deadlock", new Error("The sync failed", { cause: pgError("40P01") }), true],
    ["a plain bug", new TypeError("x is undefined"), false],
  ])("%s → %p", (_, e, transient) => {
    expect(isTransient(e)).toBe(transient);
    expect(isDatabaseUnavailable(e)).toBe(transient);
  });
});
