/**
 * Hub tests run the REAL backend (PGlite + in-process jobs) inside jsdom. jsdom lacks Node's fetch API,
 * WebCrypto and friends, which the backend and the simulator need: borrow them from Node's own realm.
 * Import this first (before anything that touches those globals at load time).
 */
import vm from "node:vm";
import { pathToFileURL } from "node:url";

const node = vm.runInThisContext("globalThis") as Record<string, unknown>;
// Not MessageChannel & co: React's scheduler would use Node's ports, which keep jest from exiting.
const skip = new Set(["MessageChannel", "MessagePort", "BroadcastChannel", "Worker"]);
for (const k of Object.getOwnPropertyNames(node))
  if (!(k in globalThis) && !skip.has(k)) Object.defineProperty(globalThis, k, { value: node[k], configurable: true, writable: true });
// jsdom's versions of these do not interoperate with Node's fetch/crypto.
for (const k of ["crypto", "URL", "URLSearchParams", "Headers", "AbortController", "AbortSignal", "TextEncoder", "TextDecoder", "Blob"])
  Object.defineProperty(globalThis, k, { value: node[k], configurable: true, writable: true });

// PGlite locates its wasm next to its script via document.currentScript under a DOM; point it at the package.
Object.defineProperty(document, "currentScript", {
  value: { tagName: "SCRIPT", src: pathToFileURL(require.resolve("@electric-sql/pglite")).href },
  configurable: true,
});
require("@electric-sql/pglite");
delete (document as unknown as { currentScript?: unknown }).currentScript;
