// The production entry (bundled to dist-backend/server.js by backend/webpack.config.js).
import { start } from "./server";

start();
