/** @jest-environment node */
// The hubs import the backend's schemas (one contract, never copied), so whatever those modules import
// ships in the browser bundle: server-only libraries there cost hundreds of KB (@hono/zod-openapi did).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const schemas = path.resolve(__dirname, "../../backend/src/schemas");

it("backend schemas shared with the hubs import only zod and each other", () => {
  const imports = readdirSync(schemas)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...readFileSync(path.join(schemas, f), "utf8").matchAll(/from\s+"([^"]+)"/g)].map((m) => `${f}: ${m[1]}`));
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((i) => !/: (zod|\.\/[\w-]+)$/.test(i))).toEqual([]);
});
