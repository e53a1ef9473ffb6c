// Runs the real backend (PGlite) and the ADO simulator inside the jsdom test environment, so the
// Repos hub is tested against the real API. Import this file first: it must run before PGlite loads.
import vm from "node:vm";
import { pathToFileURL } from "node:url";

// jsdom replaces Node's globals (TextEncoder, Request, crypto, …) with its own or none: take Node's.
const node = vm.runInThisContext("globalThis") as Record<string, unknown>;
for (const k of Object.getOwnPropertyNames(node))
  if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: node[k], configurable: true, writable: true });
for (const k of ["crypto", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "Blob"])
  Object.defineProperty(globalThis, k, { value: node[k], configurable: true, writable: true });
// PGlite finds its wasm next to its script; under jsdom it would look at http://localhost/.
Object.defineProperty(document, "currentScript", {
  value: { tagName: "SCRIPT", src: pathToFileURL(require.resolve("@electric-sql/pglite")).href },
  configurable: true,
});
require("@electric-sql/pglite");
delete (document as { currentScript?: unknown }).currentScript;
