import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      "dist-task/",
      "dist-backend/",
      "out/",
      ".data/",
      "e2e/artifacts/",
      "coverage/",
      "**/*.js",
      "scripts/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    files: ["**/test/**", "**/*.test.ts", "**/*.test.tsx", "bench/**", "scripts/**", "e2e/**", "ado-sim/src/cli.ts"],
    rules: { "no-console": "off" },
  },
  // Tests read arbitrary JSON from APIs and fixtures: `any` and require() are fine there.
  {
    files: ["**/test/**", "**/*.test.ts", "**/*.test.tsx"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
);
