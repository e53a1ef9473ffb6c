// One jest run, several projects. Timings never belong in these tests (see bench/).
const swc = [
  "@swc/jest",
  {
    jsc: {
      parser: { syntax: "typescript", tsx: true },
      transform: { react: { runtime: "automatic" } },
      target: "es2022",
    },
    module: { type: "commonjs" },
  },
];
const common = {
  transform: { "^.+\\.(t|j)sx?$": swc },
  moduleNameMapper: {
    "^@testops/backend$": "<rootDir>/backend/src/index.ts",
    "^@testops/backend/(.*)$": "<rootDir>/backend/src/$1",
    "^@testops/ado-sim$": "<rootDir>/ado-sim/src/index.ts",
    "^@testops/ado-sim/(.*)$": "<rootDir>/ado-sim/src/$1",
  },
  rootDir: __dirname,
};
module.exports = {
  // Hooks and tests wait as long as a loaded 2-core CI machine needs (opening a database can take seconds
  // there); a test's claim is never "fast enough" (jest's default 5 s failed whole suites under load).
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: "backend", testEnvironment: "node", roots: ["<rootDir>/backend"] },
    { ...common, displayName: "ado-sim", testEnvironment: "node", roots: ["<rootDir>/ado-sim"] },
    {
      ...common,
      displayName: "extension",
      testEnvironment: "jsdom",
      roots: ["<rootDir>/extension"],
      // azure-devops-ui ships ES modules + CSS imports; the SDK's CJS entry is AMD, so it is mocked.
      transformIgnorePatterns: ["/node_modules/(?!(azure-devops-ui|azure-devops-extension-api)/)"],
      moduleNameMapper: {
        ...common.moduleNameMapper,
        "\\.(css|scss)$": "<rootDir>/extension/test/styleMock.js",
        "\\.(woff2?|ttf|svg|png)$": "<rootDir>/extension/test/fileMock.js",
        "^azure-devops-extension-sdk$": "<rootDir>/extension/test/sdkMock.ts",
      },
      setupFilesAfterEnv: ["<rootDir>/extension/test/setup.ts"],
    },
  ],
};
