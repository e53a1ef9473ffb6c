// node --import tsx ado-sim/src/cli.ts --port 7070 [--host 127.0.0.1] [--seed demo|empty] [--work-items N]
//   [--generated-katalon N] [--traps] [--no-katalon] [--allow-local-hooks]
// --allow-local-hooks: accept webhook targets on loopback/private addresses and basic auth over http
// (dev/demo only; Azure DevOps Services refuses both).
import { DEMO_PATS, DEMO_USERS, startSimulator, type SeedOptions } from "./index";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

async function main() {
  const port = Number(arg("port") ?? 7070);
  const host = arg("host") ?? "127.0.0.1";
  const seedName = arg("seed") ?? "demo";
  let seed: SeedOptions | false = false;
  if (seedName !== "empty") {
    seed = {};
    if (arg("work-items")) seed.workItems = Number(arg("work-items"));
    if (arg("generated-katalon")) seed.generatedKatalon = { testCases: Number(arg("generated-katalon")), traps: flag("traps") };
    if (flag("no-katalon")) seed.katalonRepos = false;
  }
  const started = Date.now();
  const sim = await startSimulator({ port, host, seed, hooks: { allowLocalTargets: flag("allow-local-hooks") } });
  console.log(`ADO simulator listening on ${sim.url} (seeded in ${Date.now() - started} ms)`);
  console.log(`Organizations: ${[...sim.state.orgs.values()].map((o) => `${sim.url}/${o.name}`).join("  ")}`);
  if (seed !== false) {
    console.log("Demo PATs (Basic auth, any user name):");
    for (const [k, v] of Object.entries(DEMO_PATS)) console.log(`  ${k.padEnd(13)} ${v}`);
    console.log("Demo users:");
    for (const [k, u] of Object.entries(DEMO_USERS)) console.log(`  ${k.padEnd(13)} ${u.displayName} <${u.uniqueName}> ${u.id}`);
  }
  console.log(`Control: ${sim.url}/_sim/info  /_sim/requests  /_sim/faults  /_sim/reset  /_sim/tokens  /_sim/deliveries`);
  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
