import dns, { type LookupAddress, type LookupAllOptions, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { isPrivateAddress } from "./urls";

type Resolve = (host: string, options: LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, addrs: LookupAddress[]) => void) => void;

/**
 * A `dns.lookup` for sockets that refuses private addresses. Checking the name once before fetching
 * leaves a window (DNS rebinding: public at the check, 10.x when dialled); checking inside the
 * connection's own lookup means the address checked is the address dialled.
 */
export function guardedLookup(resolve: Resolve = dns.lookup): LookupFunction {
  return ((host: string, options: LookupOptions, cb: (...a: unknown[]) => void) => {
    resolve(host, { ...options, all: true }, (err, addrs) => {
      if (err) return cb(err);
      const bad = addrs.find((a) => isPrivateAddress(a.address));
      if (bad || addrs.length === 0) {
        const e = Object.assign(
          new Error(`${host} resolves to a private address${bad ? ` (${bad.address})` : ""}; an operator must list it in ADO_SERVER_HOSTS`),
          { code: "EPRIVATEADDRESS" },
        );
        return cb(e);
      }
      if (options.all) cb(null, addrs);
      else cb(null, addrs[0].address, addrs[0].family);
    });
  }) as LookupFunction;
}

let shared: typeof fetch | undefined;

/** fetch whose connections only ever reach public addresses (for Azure DevOps Server hosts an operator has not allowed). */
export function publicOnlyFetch(): typeof fetch {
  if (!shared) {
    const dispatcher = new Agent({ connect: { lookup: guardedLookup() } });
    shared = ((input: RequestInfo | URL, init?: RequestInit) => {
      // An IP literal is dialled without a lookup, so the lookup's check never sees it: check it here.
      const host = new URL(input instanceof Request ? input.url : String(input)).hostname.replace(/^\[|\]$/g, "");
      if (isIP(host) && isPrivateAddress(host))
        return Promise.reject(
          new TypeError("fetch failed", {
            cause: Object.assign(new Error(`${host} is a private address; an operator must list it in ADO_SERVER_HOSTS`), {
              code: "EPRIVATEADDRESS",
            }),
          }),
        );
      return undiciFetch(
        input as Parameters<typeof undiciFetch>[0],
        { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1],
      );
    }) as unknown as typeof fetch;
  }
  return shared;
}
