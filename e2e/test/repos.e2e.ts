// Issue 7 in the browser: a project admin links the katalon-ci-samples repository from the Repos tab of
// project settings (the URL checked with Azure DevOps as it is typed), saves and syncs, and sees its 3 test
// cases and 3 suites in the Tests tree. A push renaming one test case reaches the backend as a service hook
// and the tree follows; Archive empties the Tests view and Unarchive brings it back. Screenshots of each
// stage in both themes land in e2e/artifacts/.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEMO_USERS, KATALON_FIXTURE_DIR } from "@testops/ado-sim";
import type { Locator } from "playwright-core";
import type { Stack } from "../src/stack";
import { adminApi, bothThemes, button, HostPage, startConnected, type Browser } from "./harness";

const PROJECT = "Fabrikam Fiber";
const CI_URL = `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples?path=%2F&version=GBmain`;

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  ({ stack, browser } = await startConnected());
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const treeNames = (tree: Locator, level: number) =>
  tree.locator(`[role=treeitem][aria-level="${level}"]`).evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));

/** Types into a labelled text field and leaves it (the URL is checked with Azure DevOps on blur). */
async function type(hub: { getByLabel: Locator["getByLabel"] }, label: string, value: string) {
  const field = hub.getByLabel(label, { exact: true });
  await field.fill(value);
  await field.blur();
}

test("New Repos link → URL checked → Save and sync → 3 test cases and 3 suites; a push renames one; Archive / Unarchive", async () => {
  const host = await HostPage.open(browser.context, stack, { contribution: "project-settings", user: DEMO_USERS.admin.id });
  await host.waitLoaded();
  await host.settled();
  const hub = host.hub();
  await hub.getByRole("tab", { name: "Repos" }).click();
  await hub.getByText("No Repos link yet").waitFor();
  await hub.locator("button.enabled", { hasText: "New Repos link" }).click();

  const panel = hub.getByRole("dialog");
  await panel.getByLabel("Display name", { exact: true }).waitFor();
  // The URL must belong to this organization, and name a branch that exists: Azure DevOps is asked.
  await type(panel, "Repository URL", "https://dev.azure.com/contoso/Contoso%20Web/_git/Contoso%20Web");
  await panel.getByText(/belongs to the organization "contoso", but this project's organization is "fabrikam"/).waitFor();
  await type(panel, "Repository URL", CI_URL.replace("GBmain", "GBnope"));
  await panel.getByText(/names the branch "nope", which does not exist in katalon-ci-samples/).waitFor();
  await type(panel, "Display name", "CI samples");
  await type(panel, "Repository URL", CI_URL);
  await panel.getByText(/Found: katalon-ci-samples · branch main · whole repository \(commit [0-9a-f]{8}\)/).waitFor();
  await type(panel, "Description", "Katalon CI samples");
  await bothThemes(host, "repos-link-panel");

  await button(panel, "Save and sync").click();
  await panel.waitFor({ state: "detached" });
  const card = hub.getByRole("region", { name: "CI samples", exact: true });
  await card.getByLabel(/^Status: Active/).waitFor({ timeout: 90_000 });
  await card
    .getByLabel("Last sync")
    .getByText(/^3 test cases · 3 suites · synced .* · full sync in 3 Azure DevOps requests$/)
    .waitFor();
  await host.assertNoErrorCards();

  // The Tests tree: link → Test Cases / Test Suites → Katalon folders → items, in the order of the repository.
  const tree = hub.getByRole("tree", { name: "Synced tests" });
  await tree.getByRole("treeitem", { name: "TC1_Verify Successful Login", exact: true }).waitFor();
  const testCases = tree.getByRole("treeitem", { name: "Test Cases", exact: true });
  const suites = tree.getByRole("treeitem", { name: "Test Suites", exact: true });
  const names = (under: Locator) => under.locator("[role=treeitem]").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
  expect((await names(testCases)).filter((n) => !n?.endsWith("Test Cases")).sort()).toEqual([
    "Login",
    "TC1_Verify Successful Login",
    "TC2_Verify Successful Appointment",
  ]);
  expect((await names(suites)).filter((n) => n?.startsWith("TS_")).sort()).toEqual([
    "TS_RegressionTest",
    "TS_RegressionTestCollection",
    "TS_RegressionTestCollectionParallel",
  ]);
  // A suite opens onto its ordered test case links.
  await tree.getByRole("button", { name: "Expand TS_RegressionTest", exact: true }).click();
  expect(await hub.getByRole("list", { name: "Members of TS_RegressionTest" }).getByRole("listitem").allInnerTexts()).toEqual([
    "TC1_Verify Successful Login",
    "TC2_Verify Successful Appointment",
  ]);
  await bothThemes(host, "repos-link-synced");

  // A push renaming Login reaches the backend as a git.push service hook; the hub picks the change up by itself.
  const original = readFileSync(path.join(KATALON_FIXTURE_DIR, "Test Cases/Common Test Cases/Login.tc"), "utf8");
  stack.sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
    branch: "main",
    comment: "Rename Login to Sign in",
    changes: [
      {
        changeType: "rename",
        sourcePath: "/Test Cases/Common Test Cases/Login.tc",
        path: "/Test Cases/Common Test Cases/Sign in.tc",
        content: original.replace("<name>Login</name>", "<name>Sign in</name>"),
      },
    ],
  });
  await tree.getByRole("treeitem", { name: "Sign in", exact: true }).waitFor({ timeout: 60_000 });
  expect(await tree.getByRole("treeitem", { name: "Login", exact: true }).count()).toBe(0);
  await card
    .getByLabel("Last sync")
    .getByText(/^3 test cases · 3 suites · .* · incremental sync in \d Azure DevOps requests$/)
    .waitFor();
  // Same test case, new name: its identity (Katalon GUID) survived the rename.
  const view = await adminApi(stack, `/api/repos/tests?projectId=${encodeURIComponent(projectId())}`);
  const signIn = view.testCases.find((t: { name: string }) => t.name === "Sign in");
  expect(signIn).toMatchObject({ guid: "dc59940a-fb78-4da3-82c6-7ff4bffcfd97", path: "/Test Cases/Common Test Cases/Sign in.tc" });

  // Archive takes the link's tests out of the Tests view; Unarchive brings them back.
  await button(card, "Archive").click();
  const confirm = hub.getByRole("dialog");
  await confirm.getByText("Archive CI samples?").waitFor();
  await button(confirm, "Archive").click();
  await card.getByLabel("Status: Archived").waitFor();
  await hub.getByText(/No synced test cases yet/).waitFor();
  await bothThemes(host, "repos-link-archived");
  await button(card, "Unarchive").click();
  await tree.getByRole("treeitem", { name: "Sign in", exact: true }).waitFor();
  expect(await treeNames(tree, 1)).toEqual(["CI samples"]);
  await host.assertNoErrorCards();
  await host.close();
});

/** Fabrikam Fiber's id in the simulator (what the hub sends as projectId). */
const projectId = () => stack.sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!.id;
