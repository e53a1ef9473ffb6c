// `npm start`: the simulator with the demo organization, the backend on embedded PGlite (.data/), and
// the fake Azure DevOps host showing the production-built extension pages. Ctrl-C stops everything.
import path from "node:path";
import { DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { seedDemoResults } from "./demo";
import { ROOT } from "./manifest";
import { startStack } from "./stack";

async function main() {
  const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const stack = await startStack({
    dataDir: path.join(ROOT, process.env.DATA_DIR ?? ".data"),
    backendPort: port("PORT", 8787),
    hostPort: port("HOST_PORT", 8080),
    extensionPort: port("EXTENSION_PORT", 8081),
    simulatorPort: port("SIMULATOR_PORT", 7070),
    backendLogs: "stdout",
    logLevel: (process.env.LOG_LEVEL as "info") ?? "warn",
    say: (l) => console.log(l),
  });
  const org = "https://dev.azure.com/fabrikam";
  // First start only (the data folder keeps them): a few nightly runs linked to demo user stories.
  const seeded = await seedDemoResults(stack).catch((e: Error) => {
    console.warn(`Demo test results were not added: ${e.message}`);
    return [];
  });
  console.log(
    [
      "",
      "TestOps for Azure DevOps is up.",
      "",
      `  Open the fake Azure DevOps host:  ${stack.urls.host}/`,
      "",
      `  Azure DevOps simulator   ${stack.urls.simulator}  (stands in for https://dev.azure.com/*)`,
      `  Backend API              ${stack.urls.backend}  (data in ${path.relative(process.cwd(), path.join(ROOT, process.env.DATA_DIR ?? ".data")) || "."})`,
      `  Extension files          ${stack.urls.extension}/dist/  (the production build that goes into the .vsix)`,
      "",
      "  In Organization settings › TestOps, connect the organization with:",
      `    Organization URL        ${org}`,
      `    Personal access token   ${DEMO_PATS.admin}   (${DEMO_USERS.admin.displayName}, every scope)`,
      "  Other demo PATs to try:",
      `    read-only scopes        ${DEMO_PATS.readOnly}`,
      `    expired                 ${DEMO_PATS.expired}`,
      `    revoked                 ${DEMO_PATS.revoked}`,
      `    another user (member)   ${DEMO_PATS.member}`,
      "",
      ...(seeded.length
        ? [
            `  Demo test results (3 nightly runs) are linked to user stories ${seeded.join(", ")} (pick the Work item form contribution in the toolbar, then one of them).`,
          ]
        : []),
      `  Switch user (${DEMO_USERS.admin.displayName} is an organization admin, ${DEMO_USERS.member.displayName} is not), project, work item and theme in the host's toolbar.`,
      "  Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping…");
    // A stuck connection must not keep the ports: give up waiting after a few seconds.
    setTimeout(() => process.exit(1), 5_000).unref();
    await stack.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
