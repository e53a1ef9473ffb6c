// One entry per contribution folder in extension/src (the official sample's layout): each becomes
// dist/<name>/<name>.{html,js,css}. Production builds extract and minify CSS.
const fs = require("fs");
const path = require("path");
const webpack = require("webpack");
const HtmlWebpackPlugin = require("html-webpack-plugin");
const MiniCssExtractPlugin = require("mini-css-extract-plugin");
const CssMinimizerPlugin = require("css-minimizer-webpack-plugin");

const SRC = path.resolve(__dirname, "extension/src");
const contributions = fs
  .readdirSync(SRC, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(SRC, d.name, `${d.name}.tsx`)))
  .map((d) => d.name);
// A dashboard widget's folder also holds its configuration page (<name>-config.tsx): a page of its own,
// dist/<name>-config/, so each page's first load (and bundle budget) stays separate.
const pages = contributions.flatMap((c) =>
  fs.existsSync(path.join(SRC, c, `${c}-config.tsx`))
    ? [
        { name: c, dir: c },
        { name: `${c}-config`, dir: c },
      ]
    : [{ name: c, dir: c }],
);

module.exports = (_env, argv) => {
  const production = argv.mode !== "development";
  return {
    mode: production ? "production" : "development",
    target: "web",
    devtool: production ? false : "inline-source-map",
    entry: Object.fromEntries(pages.map((p) => [p.name, path.join(SRC, p.dir, `${p.name}.tsx`)])),
    output: {
      path: path.resolve(__dirname, "dist"),
      filename: "[name]/[name].js",
      publicPath: "auto",
      assetModuleFilename: "assets/[hash][ext]",
      clean: true,
    },
    resolve: {
      extensions: [".ts", ".tsx", ".js"],
      alias: {
        // Exactly one SDK copy: the SDK complains when two load in a frame.
        "azure-devops-extension-sdk": path.resolve(__dirname, "node_modules/azure-devops-extension-sdk"),
        "@testops/backend": path.resolve(__dirname, "backend/src"),
      },
    },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: "swc-loader",
            options: {
              jsc: { parser: { syntax: "typescript", tsx: true }, transform: { react: { runtime: "automatic" } }, target: "es2020" },
            },
          },
        },
        { test: /\.css$/, use: [MiniCssExtractPlugin.loader, "css-loader"] },
        { test: /\.(woff2?|ttf|eot|svg|png)$/, type: "asset/resource" },
      ],
    },
    plugins: [
      new MiniCssExtractPlugin({ filename: "[name]/[name].css" }),
      new webpack.DefinePlugin({
        "process.env.TESTOPS_API_URL": JSON.stringify(process.env.TESTOPS_API_URL || "http://localhost:8787"),
        "process.env.NODE_ENV": JSON.stringify(production ? "production" : "development"),
      }),
      ...pages.map(
        ({ name }) =>
          new HtmlWebpackPlugin({
            filename: `${name}/${name}.html`,
            template: path.join(SRC, "common/page.html"),
            chunks: [name],
            title: name,
          }),
      ),
    ],
    optimization: { minimize: production, minimizer: ["...", new CssMinimizerPlugin()] },
    performance: { hints: false },
    stats: "errors-warnings",
  };
};
