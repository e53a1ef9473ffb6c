// The backend for production as plain JavaScript (dist-backend/server.js, run with `node`): no TypeScript
// loader in the running process (tsx and its compiled-module caches cost about 50 MB of resident memory,
// bench/pglite-memory.ts). Packages stay in node_modules (required at run time, not bundled); only our
// own TypeScript (backend/src) is compiled in, with the SQL migrations copied next to it.
const path = require("path");
const CopyPlugin = require("copy-webpack-plugin");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "dist-backend");

module.exports = (_env, argv) => ({
  mode: argv.mode === "development" ? "development" : "production",
  target: "node20",
  entry: { server: path.join(__dirname, "src/start.ts") },
  output: { path: OUT, filename: "[name].js", library: { type: "commonjs2" }, clean: true },
  // __dirname is dist-backend at run time, where the migrations are copied (db/client.ts reads them from there).
  node: { __dirname: false, __filename: false },
  resolve: { extensions: [".ts", ".js"] },
  // Every bare import is a package in node_modules: required at run time as is (PGlite loads its
  // WebAssembly from its own folder, pg-boss and pg keep their files).
  externals: [({ request }, callback) => (/^[^./]/.test(request) ? callback(null, `commonjs ${request}`) : callback())],
  module: {
    // createRequire(__filename).resolve stays Node's: the initdb child needs PGlite's real path.
    parser: { javascript: { createRequire: false } },
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: { loader: "swc-loader", options: { jsc: { parser: { syntax: "typescript" }, target: "es2022" } } },
      },
    ],
  },
  plugins: [new CopyPlugin({ patterns: [{ from: path.join(__dirname, "src/db/migrations"), to: "migrations" }] })],
  optimization: { minimize: false },
  performance: { hints: false },
  stats: "errors-warnings",
});
