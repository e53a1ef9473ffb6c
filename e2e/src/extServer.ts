// Serves the extension's addressable files (the manifest's "files" entries: dist/ and
// extension/images) from their own origin, as the Marketplace CDN does. Anything else is a 404 there
// too, so a contribution pointing at a file left out of the .vsix fails here as well.
import { Hono } from "hono";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileResponse, listen, type Listening } from "./http";
import { ROOT } from "./manifest";

export interface ExtServerOptions {
  root?: string;
  /** Tests only: a folder of extra pages served under /test-fixtures/ (with the SDK under /test-fixtures/sdk/). */
  fixturesDir?: string;
  port?: number;
}

export function addressableFolders(root = ROOT): string[] {
  const m = JSON.parse(readFileSync(path.join(root, "vss-extension.json"), "utf8")) as {
    files?: { path: string; addressable?: boolean }[];
  };
  return (m.files ?? []).filter((f) => f.addressable).map((f) => f.path.replace(/\/+$/, ""));
}

export function extApp(o: ExtServerOptions = {}) {
  const root = o.root ?? ROOT;
  const folders = addressableFolders(root);
  const app = new Hono();
  app.get("*", async (c) => {
    const p = decodeURIComponent(new URL(c.req.url).pathname).replace(/^\/+/, "");
    if (o.fixturesDir && p.startsWith("test-fixtures/")) {
      const rest = p.slice("test-fixtures/".length);
      const res = rest.startsWith("sdk/")
        ? await fileResponse(path.join(root, "node_modules/azure-devops-extension-sdk/esm"), rest.slice(4))
        : await fileResponse(o.fixturesDir, rest);
      return res ?? c.text("Not found", 404);
    }
    const folder = folders.find((f) => p === f || p.startsWith(f + "/"));
    const res = folder ? await fileResponse(path.join(root, folder), p.slice(folder.length + 1)) : undefined;
    return res ?? c.text("Not found", 404);
  });
  return app;
}

export function startExtServer(o: ExtServerOptions = {}): Promise<Listening> {
  return listen(extApp(o).fetch, { port: o.port ?? 0, hostname: "127.0.0.1", urlHost: "localhost" });
}
