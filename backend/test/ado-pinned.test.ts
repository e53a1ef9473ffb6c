import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { guardedLookup, publicOnlyFetch } from "../src/ado/pinned";

type Addr = { address: string; family: number };

/** A resolver answering from a script, one answer per call (so a test can rebind a name between calls). */
function scripted(...answers: Addr[][]) {
  let i = 0;
  return (_h: string, _o: unknown, cb: (e: NodeJS.ErrnoException | null, a: Addr[]) => void) =>
    cb(null, answers[Math.min(i++, answers.length - 1)]);
}
const ask = (lookup: ReturnType<typeof guardedLookup>, all: boolean) =>
  new Promise<{ err: (Error & { code?: string }) | null; result: unknown }>((resolve) =>
    (lookup as unknown as (h: string, o: object, cb: (...a: unknown[]) => void) => void)("ado.example.com", { all }, (err, a, f) =>
      resolve({ err: err as Error | null, result: all ? a : [a, f] }),
    ),
  );

const PUBLIC = { address: "20.37.158.1", family: 4 };
const PUBLIC6 = { address: "2603:1030::1", family: 6 };

describe("connections to Azure DevOps Server hosts reach only public addresses", () => {
  it.each([
    ["a public address", [PUBLIC], null],
    ["public v4 and v6", [PUBLIC, PUBLIC6], null],
    ["loopback", [{ address: "127.0.0.1", family: 4 }], "127.0.0.1"],
    ["a private address among public ones", [PUBLIC, { address: "10.1.2.3", family: 4 }], "10.1.2.3"],
    ["link-local (cloud metadata)", [{ address: "169.254.169.254", family: 4 }], "169.254.169.254"],
    ["IPv6 unique-local", [{ address: "fd00::1", family: 6 }], "fd00::1"],
    ["IPv4-mapped loopback", [{ address: "::ffff:127.0.0.1", family: 6 }], "::ffff:127.0.0.1"],
  ])("%s", async (_name, addrs, refused) => {
    for (const all of [true, false]) {
      const { err, result } = await ask(guardedLookup(scripted(addrs)), all);
      if (refused) {
        expect(err).toMatchObject({ code: "EPRIVATEADDRESS", message: expect.stringContaining(refused) });
      } else {
        expect(err).toBeNull();
        expect(result).toEqual(all ? addrs : [addrs[0].address, addrs[0].family]);
      }
    }
  });

  it("checks every connection's own lookup: a name that rebinds to a private address after a first check is refused", async () => {
    const lookup = guardedLookup(scripted([PUBLIC], [{ address: "10.0.0.5", family: 4 }]));
    expect((await ask(lookup, true)).err).toBeNull();
    expect((await ask(lookup, true)).err).toMatchObject({ code: "EPRIVATEADDRESS" });
  });

  describe("over real sockets", () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer((_req, res) => res.end("reached"));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("a host name resolving to this machine is never dialled; plain fetch would have reached it", async () => {
      expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe("reached");
      const e = await publicOnlyFetch()(`http://localhost:${port}/`).then(
        () => null,
        (err: Error) => err,
      );
      expect((e?.cause as { code?: string } | undefined)?.code).toBe("EPRIVATEADDRESS");
    });
  });
});

describe("IP literals, which are dialled without a lookup", () => {
  let server: Server;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each(["127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"])("refuses %s before connecting", async (host) => {
    const port = (server.address() as AddressInfo).port;
    const e = (await publicOnlyFetch()(`http://${host}:${port}/_apis/projects`).catch((x: unknown) => x)) as Error & {
      cause?: { code?: string };
    };
    expect(e).toBeInstanceOf(TypeError);
    expect(e.cause?.code).toBe("EPRIVATEADDRESS");
    expect(hits).toBe(0);
  });
});
