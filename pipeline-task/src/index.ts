// TestOpsPublishResults@1: the agent runs this file (Node 20 handler) with its inputs as INPUT_*
// environment variables. Everything about the job comes from Azure DevOps' own variables and the
// job's access token (System.AccessToken), which TestOps checks with Azure DevOps: no secret to set up.
import { readFile } from "node:fs/promises";
import * as tl from "azure-pipelines-task-lib/task";
import { checkTestopsUrl, publish, summaryLines } from "./publish";

/** The task's log is its standard output (the agent shows it as the step's log). */
const print = (line: string) => process.stdout.write(`${line}\n`);

/** The job access token: the SystemVssConnection endpoint every task gets, else System.AccessToken if mapped. */
function accessToken(): string | undefined {
  try {
    const auth = tl.getEndpointAuthorization("SystemVssConnection", true);
    if (auth?.parameters?.AccessToken) return auth.parameters.AccessToken;
  } catch {
    // not given: fall back to the variable
  }
  return tl.getVariable("System.AccessToken");
}

async function run(): Promise<void> {
  const testopsUrl = tl.getInput("testopsUrl", true)!;
  checkTestopsUrl(testopsUrl);
  const patterns = tl.getDelimitedInput("testResultsFiles", "\n", true);
  const searchFolder = tl.getPathInput("searchFolder", false) || tl.getVariable("System.DefaultWorkingDirectory") || process.cwd();
  const token = accessToken();
  if (!token) throw new Error("The job access token is not available to this task (System.AccessToken)");
  const job = {
    accessToken: token,
    collectionUri: tl.getVariable("System.CollectionUri") ?? tl.getVariable("System.TeamFoundationCollectionUri") ?? "",
    projectId: tl.getVariable("System.TeamProjectId") ?? "",
    buildId: tl.getVariable("Build.BuildId") ?? "",
  };
  for (const [k, v] of Object.entries({
    "System.CollectionUri": job.collectionUri,
    "System.TeamProjectId": job.projectId,
    "Build.BuildId": job.buildId,
  }))
    if (!v) throw new Error(`${k} is not set: this task runs in an Azure Pipelines build`);
  const files = tl.findMatch(searchFolder, patterns).filter((f) => tl.stats(f).isFile());
  if (!files.length) {
    tl.warning(`No test result files match ${patterns.join(", ")} in ${searchFolder}`);
    tl.setResult(tl.TaskResult.SucceededWithIssues, "No test result files found");
    return;
  }
  print(`Uploading ${files.length} test result file(s) to ${testopsUrl}`);
  const summary = await publish(
    {
      testopsUrl,
      files,
      runName: tl.getInput("testRunTitle", false) || undefined,
      linkBuildWorkItems: (tl.getInput("linkWorkItems", false) ?? "build") === "build",
      failOnFailedTests: tl.getBoolInput("failTaskOnFailedTests", false),
      push: tl.getBoolInput("pushToTestPlans", false),
    },
    job,
    {
      readFile: async (p) => new Uint8Array(await readFile(p)),
      fetch,
      log: print,
      warn: (l) => tl.warning(l),
    },
  );
  for (const line of summaryLines(summary)) print(line);
  if (summary.failure) tl.setResult(tl.TaskResult.Failed, summary.failure);
  else if (summary.rejected.length)
    tl.setResult(tl.TaskResult.SucceededWithIssues, `${summary.rejected.length} result file(s) could not be used`);
  else tl.setResult(tl.TaskResult.Succeeded, `Published to TestOps: ${summary.webUrl}`);
}

run().catch((e: unknown) => tl.setResult(tl.TaskResult.Failed, (e as Error).message));
