// Browser journeys: the production bundle in Debian's Chromium inside the fake Azure DevOps host.
// Run by `npm test` (scripts/test-all.mjs) with --runInBand: each file starts its own stack.
const root = require("path").resolve(__dirname, "..");
module.exports = {
  rootDir: root,
  displayName: "e2e",
  testEnvironment: "node",
  testMatch: ["<rootDir>/e2e/test/**/*.e2e.ts"],
  transform: {
    "^.+\\.(t|j)sx?$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript", tsx: true }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  moduleNameMapper: {
    "^@testops/backend$": "<rootDir>/backend/src/index.ts",
    "^@testops/backend/(.*)$": "<rootDir>/backend/src/$1",
    "^@testops/ado-sim$": "<rootDir>/ado-sim/src/index.ts",
    "^@testops/ado-sim/(.*)$": "<rootDir>/ado-sim/src/$1",
  },
  // A browser, a backend and a simulator per file: generous, but a hung page still fails.
  testTimeout: 180_000,
};
