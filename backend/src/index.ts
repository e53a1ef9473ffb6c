export { createApp, type AppType } from "./app";
export { buildBackend, main } from "./server";
export { loadConfig, type Config } from "./config";
