import "./nodeGlobals";
import * as React from "react";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { BoardsLinks } from "../src/project-settings/boards/BoardsLinks";
import {
  click,
  dropdownValue,
  enabled,
  nextUntil,
  pick,
  renderPage,
  startStack,
  step,
  wizard,
  type Stack,
  openWizardWith,
} from "./boardsHarness";

// What each step offers, per process (read from the simulator's processes through the backend), validation
// messages, and the dry-run preview. Nothing here is saved.
jest.setTimeout(90_000);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

async function openWizard(project?: string) {
  renderPage(<BoardsLinks />);
  await enabled("New Boards link");
  await openWizardWith("New Boards link");
  await waitFor(() => expect(dropdownValue("Project")).toBe("Fabrikam Fiber"));
  if (project) {
    await pick("Project", project);
    await waitFor(() => expect(dropdownValue("Project")).toBe(project));
  }
}

/** [category, state, TestOps status] rows of a type's state table. */
function stateRows(type: string) {
  const table = screen.getByRole("table", { name: `${type} states` });
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((tr) => {
      const [cat, state] = within(tr).getAllByRole("cell");
      return [cat.textContent, state.textContent, (within(tr).getByRole("button") as HTMLInputElement).value];
    });
}
const checkboxes = (group: string) =>
  within(screen.getByRole("group", { name: group }))
    .getAllByRole("checkbox")
    .map((c) => `${c.textContent}${c.getAttribute("aria-checked") === "true" ? " ✓" : ""}`);

test("Agile: User Story and Bug with their states grouped by category, severities, date fields", async () => {
  await openWizard();
  click("Next");
  click("Bug Mapping", "switch");
  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "User Story states" });
  expect(checkboxes("Work item types to sync")).toEqual(["User Story ✓"]);
  expect(stateRows("User Story")).toEqual([
    ["Proposed", "New", "Open"],
    ["In Progress", "Active", "In Progress"],
    ["Resolved", "Resolved", "Resolved"],
    ["Completed", "Closed", "Done"],
    ["Removed", "Removed", "Removed"],
  ]);
  fireEvent.click(await screen.findByRole("button", { name: "Add a release date field" }));
  const options = within(await screen.findByRole("listbox", { name: "Add a release date field" })).getAllByRole("option");
  expect(options.map((o) => o.textContent)).toEqual(
    expect.arrayContaining([expect.stringContaining("Finish Date"), expect.stringContaining("Start Date")]),
  );
  expect(options.some((o) => o.textContent?.includes("Target Date"))).toBe(false); // a CMMI field
  fireEvent.keyDown(document.activeElement ?? document.body, { key: "Escape" });
  await nextUntil("Bugs");
  await screen.findByRole("table", { name: "Bug states" });
  expect(checkboxes("Bug work item types")).toEqual(["Bug ✓"]);
  expect(stateRows("Bug")).toEqual([
    ["Proposed", "New", "Open"],
    ["In Progress", "Active", "In Progress"],
    ["Resolved", "Resolved", "Resolved"],
    ["Completed", "Closed", "Closed"],
  ]);
  const sev = await screen.findByRole("table", { name: "Severity mapping" });
  expect(
    within(sev)
      .getAllByRole("row")
      .slice(1)
      .map((r) => r.textContent),
  ).toEqual(["1 - Critical", "2 - High", "3 - Medium", "4 - Low"]);
  click("Cancel");
});

test("Scrum: Product Backlog Item, its Approved/Committed states, and Bug states of the Scrum process", async () => {
  await openWizard("Scrum Project");
  click("Next");
  click("Bug Mapping", "switch");
  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "Product Backlog Item states" });
  expect(checkboxes("Work item types to sync")).toEqual(["Product Backlog Item ✓"]);
  expect(stateRows("Product Backlog Item")).toEqual([
    ["Proposed", "New", "Open"],
    ["", "Approved", "Open"],
    ["In Progress", "Committed", "In Progress"],
    ["Completed", "Done", "Done"],
    ["Removed", "Removed", "Removed"],
  ]);
  await nextUntil("Bugs");
  await screen.findByRole("table", { name: "Bug states" });
  expect(stateRows("Bug").map((r) => r[1])).toEqual(["New", "Approved", "Committed", "Done", "Removed"]);
  expect(stateRows("Bug")[3]).toEqual(["Completed", "Done", "Closed"]);
  click("Cancel");
});

test("the customized process: renamed states sit under their category and get its status; its custom date field is offered", async () => {
  await openWizard("Custom Project");
  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "User Story states" });
  expect(stateRows("User Story")).toEqual([
    ["Proposed", "New", "Open"],
    ["In Progress", "Active", "In Progress"],
    ["", "In Review", "In Progress"],
    ["Resolved", "Ready for QA", "Resolved"],
    ["Completed", "Closed", "Done"],
    ["Removed", "Removed", "Removed"],
  ]);
  await pick("TestOps status for User Story state In Review", "Resolved");
  expect(dropdownValue("TestOps status for User Story state In Review")).toBe("Resolved");
  await pick("Add a release date field", /Release Date/);
  expect(within(screen.getByRole("list", { name: "Release date fields in priority order" })).getByRole("listitem").textContent).toBe(
    "1. Release Date",
  );
  click("Cancel");
});

test("CMMI offers Requirement; Basic offers Issue and no Bug Mapping at all", async () => {
  await openWizard("CMMI Project");
  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "Requirement states" });
  expect(checkboxes("Work item types to sync")).toEqual(["Requirement ✓"]);
  expect(stateRows("Requirement").map((r) => r[1])).toEqual(["Proposed", "Active", "Resolved", "Closed"]);
  click("Cancel");
  await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

  await openWizardWith("New Boards link");
  await waitFor(() => expect(dropdownValue("Project")).toBe("Fabrikam Fiber"));
  await pick("Project", "Basic Project");
  click("Next");
  await screen.findByText(/process has no bug work item type/);
  expect(screen.getByRole("switch", { name: "Bug Mapping" }).getAttribute("aria-checked")).toBe("false");
  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "Issue states" });
  expect(stateRows("Issue")).toEqual([
    ["Proposed", "To Do", "Open"],
    ["In Progress", "Doing", "In Progress"],
    ["Completed", "Done", "Done"],
  ]);
  expect(step().textContent).toBe("Step 5 of 5 · Requirements");
  click("Cancel");
});

test("each step's validation names the field; a team enables the team board", async () => {
  await openWizard();
  // The summary at the top (and the message under the field itself, also an alert).
  const alert = () =>
    within(wizard())
      .getAllByRole("alert")
      .map((a) => a.textContent)
      .join(" | ");
  fireEvent.change(screen.getByLabelText("Description"), { target: { value: "x".repeat(256) } });
  click("Next");
  expect(alert()).toContain("Description: must be at most 255 characters");
  expect(step().textContent).toBe("Step 1 of 5 · Project");
  fireEvent.change(screen.getByLabelText("Description"), { target: { value: "ok" } });
  await pick("Team (optional)", "Web Team");
  click("Next");

  expect(step().textContent).toBe("Step 2 of 5 · What to pull");
  click("Pull Requirements", "switch");
  click("Next");
  expect(alert()).toContain("Pull Requirements: turn on Pull Requirements or Bug Mapping (or both)");
  click("Pull Requirements", "switch");
  click("Next");

  // The team board: only the Web Team's iterations (Sprints 4–6) become sprints, under Release 2.
  await screen.findByRole("tree", { name: "Iteration tree" });
  await screen.findByText(/4 releases, 8 sprints \(2 without dates\)/);
  click("The team board of Web Team (only its iterations)", "radio");
  await screen.findByText(/1 release, 3 sprints/);
  click("Back");
  click("Back");
  await pick("Team (optional)", "No team");
  await nextUntil("Iteration paths");
  const teamBoard = screen.getByRole("radio", { name: "A team board (pick a team in step 1)" });
  expect(teamBoard.getAttribute("aria-disabled")).toBe("true");
  expect(screen.getByRole("radio", { name: "The project's iteration tree" }).getAttribute("aria-checked")).toBe("true");

  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "User Story states" });
  click("User Story", "checkbox");
  expect(step().textContent).toBe("Step 5 of 5 · Requirements");
  click("Preview");
  expect(alert()).toContain("Requirement work item types: pick at least one requirement work item type");
  expect((await stack.call("/api/boards/links")).links).toEqual([]);
  click("Cancel");
});

test("Preview shows what a sync would create, sprints without dates flagged, and writes nothing", async () => {
  await openWizard();
  click("Next");
  click("Bug Mapping", "switch");
  await nextUntil("Iteration paths");
  await screen.findByRole("tree", { name: "Iteration tree" });
  click("Release: Fabrikam Fiber\\Release 2", "checkbox");
  click("Release: Fabrikam Fiber\\Release 3", "checkbox");
  await nextUntil("Bugs");
  await screen.findByRole("table", { name: "Severity mapping" });
  click("Preview");
  const preview = await screen.findByLabelText("Preview", {}, { timeout: 30_000 });
  within(preview).getByText("This is a dry run: nothing has been written to TestOps yet.");

  // The same dry run asked of the API directly: the page shows exactly its numbers.
  const cfg = {
    project: stack.project("Fabrikam Fiber"),
    bugMapping: true,
    iterations: { releasePaths: ["Fabrikam Fiber\\Release 2", "Fabrikam Fiber\\Release 3"] },
    requirements: {
      workItemTypes: ["User Story"],
      stateMapping: { "User Story": { New: "Open", Active: "In Progress", Resolved: "Resolved", Closed: "Done", Removed: "Removed" } },
    },
    bugs: {
      workItemTypes: ["Bug"],
      severityMapping: { "1 - Critical": "Critical", "2 - High": "Major", "3 - Medium": "Minor", "4 - Low": "Trivial" },
      stateMapping: { Bug: { New: "Open", Active: "In Progress", Resolved: "Resolved", Closed: "Closed" } },
    },
  };
  const expected = await stack.call("/api/boards/preview", { method: "POST", body: { config: cfg } });
  const releases = within(preview).getByRole("region", { name: "Releases" });
  within(releases).getByText("2 to create");
  within(releases).getByText("Release 2");
  const sprints = within(preview).getByRole("region", { name: "Sprints" });
  within(sprints).getByText("5 to create");
  within(sprints).getByText("2 without dates (flagged below)");
  expect(within(sprints).getAllByText("No dates")).toHaveLength(2);
  const reqs = within(preview).getByRole("region", { name: "Requirements" });
  within(reqs).getByText(`${expected.requirements.create} to create`);
  expect(expected.requirements.create).toBeGreaterThan(0);
  const byStatus = within(reqs).getByLabelText("Requirements by status").textContent!;
  for (const [status, n] of Object.entries(expected.requirements.byStatus)) expect(byStatus).toContain(`${status} ${n}`);
  expect(within(reqs).getAllByRole("row").length).toBe(expected.requirements.sample.length + 1);
  const bugs = within(preview).getByRole("region", { name: "Bugs" });
  within(bugs).getByText(`${expected.bugs.create} to create`);

  // Nothing stored: no link, no releases.
  expect((await stack.call("/api/boards/links?includeArchived=true")).links).toEqual([]);
  expect((await stack.call("/api/boards/plans")).releases).toEqual([]);
  click("Back to settings");
  expect(step().textContent).toBe("Step 6 of 6 · Bugs");
  click("Cancel");
});
