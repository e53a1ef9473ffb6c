// The pipeline task's handler as one file (dist-task/TestOpsPublishResults/index.js) with task.json, so
// the .vsix carries no node_modules. Its version follows the extension's (see version.js).
const fs = require("fs");
const path = require("path");
const CopyPlugin = require("copy-webpack-plugin");
const { taskVersionFor } = require("./version");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "dist-task/TestOpsPublishResults");

module.exports = (_env, argv) => ({
  mode: argv.mode === "development" ? "development" : "production",
  target: "node20",
  entry: path.join(__dirname, "src/index.ts"),
  output: { path: OUT, filename: "index.js", clean: true },
  // The task library reads its messages (lib.json) next to itself.
  node: { __dirname: false, __filename: false },
  resolve: { extensions: [".ts", ".js"] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: { loader: "swc-loader", options: { jsc: { parser: { syntax: "typescript" }, target: "es2022" } } },
      },
      { test: /azure-pipelines-task-lib[\\/]internal\.js$/, use: path.join(__dirname, "require-json-loader.js") },
    ],
  },
  plugins: [
    new CopyPlugin({
      patterns: [
        {
          from: path.join(__dirname, "task/task.json"),
          to: "task.json",
          transform: (content) => {
            const task = JSON.parse(content.toString());
            const ext = JSON.parse(fs.readFileSync(path.join(ROOT, "vss-extension.json"), "utf8"));
            task.version = taskVersionFor(ext.version, task.version.Major);
            return JSON.stringify(task, null, 2);
          },
        },
        { from: path.join(__dirname, "task/icon.png"), to: "icon.png" },
        { from: path.join(ROOT, "node_modules/azure-pipelines-task-lib/lib.json"), to: "lib.json" },
        { from: path.join(ROOT, "node_modules/azure-pipelines-task-lib/Strings"), to: "Strings" },
      ],
    }),
  ],
  optimization: { minimize: false },
  performance: { hints: false },
  stats: "errors-warnings",
});
