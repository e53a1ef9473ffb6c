// Small helpers shared by the harness servers: listen on a port and serve files from disk.
import { createAdaptorServer } from "@hono/node-server";
import { readFile, stat } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on hostname:port (0 = any free port); rejects with the real error, e.g. EADDRINUSE. */
export function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  o: { port?: number; hostname: string; urlHost?: string },
): Promise<Listening> {
  const server = createAdaptorServer({ fetch }) as Server;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, o.hostname, () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : (o.port ?? 0);
      resolve({
        url: `http://${o.urlHost ?? o.hostname}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
};

/** A file under `dir` (never outside it), or undefined. No caching: rebuilt bundles show up on reload. */
export async function fileResponse(dir: string, relative: string, headers: Record<string, string> = {}): Promise<Response | undefined> {
  const base = path.resolve(dir);
  const file = path.resolve(base, "." + path.posix.normalize("/" + decodeURIComponent(relative)));
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  try {
    if (!(await stat(file)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const body = await readFile(file);
  return new Response(body, {
    headers: { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store", ...headers },
  });
}
