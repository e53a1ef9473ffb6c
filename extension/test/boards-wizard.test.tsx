import "./boardsNodeGlobals";
import * as React from "react";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { BoardsLinks } from "../src/project-settings/boards/BoardsLinks";
import { click, dropdownValue, enabled, pick, renderPage, startStack, step, wizard, type Stack } from "./boardsHarness";

jest.setTimeout(90_000);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

test("Save: the six steps store a link (Inactive, nothing synced) with what was picked from Azure DevOps", async () => {
  renderPage(<BoardsLinks />);
  await screen.findByText("No Boards link yet");
  await enabled("New Boards link");
  click("New Boards link");
  expect(step().textContent).toBe("Step 1 of 5 · Project");
  await waitFor(() => expect(dropdownValue("Project")).toBe("Fabrikam Fiber"));
  fireEvent.change(screen.getByLabelText("Description"), { target: { value: "Fiber releases" } });
  click("Next");

  expect(step().textContent).toBe("Step 2 of 5 · What to pull");
  click("Bug Mapping", "switch");
  await waitFor(() => expect(step().textContent).toBe("Step 2 of 6 · What to pull"));
  click("Next");

  expect(step().textContent).toBe("Step 3 of 6 · Iteration paths");
  await screen.findByRole("tree", { name: "Iteration tree" });
  click("Release: Fabrikam Fiber\\Release 1", "checkbox");
  click("Release: Fabrikam Fiber\\Release 3", "checkbox");
  await screen.findByText(/2 releases, 5 sprints \(2 without dates\)/);
  click("Next");

  expect(step().textContent).toBe("Step 4 of 6 · Priority");
  await pick("TestOps priority for ADO priority 4", "Lowest");
  click("Next");

  expect(step().textContent).toBe("Step 5 of 6 · Requirements");
  const story = await screen.findByRole("checkbox", { name: "User Story" });
  expect(story.getAttribute("aria-checked")).toBe("true");
  const states = screen.getByRole("table", { name: "User Story states" });
  expect(dropdownValue("TestOps status for User Story state Resolved", states)).toBe("Resolved");
  await pick("Add a release date field", "Finish Date");
  await pick("Add a release date field", "Start Date");
  click("Move Start Date up");
  click("Next");

  expect(step().textContent).toBe("Step 6 of 6 · Bugs");
  await screen.findByRole("table", { name: "Severity mapping" });
  expect(dropdownValue("TestOps severity for 1 - Critical")).toBe("Critical");
  await pick("TestOps severity for 1 - Critical", "Blocker");
  click("Save");

  await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  const card = await screen.findByLabelText("Boards link Fabrikam Fiber");
  within(card).getByLabelText(/^Status: Inactive/);
  const { links } = await stack.call(`/api/boards/links?projectId=${stack.project("Fabrikam Fiber").id}`);
  expect(links).toHaveLength(1);
  const c = links[0].config;
  expect(links[0].status).toBe("Inactive");
  expect(links[0].activeJobId).toBeNull();
  expect(c.description).toBe("Fiber releases");
  expect(c.iterations.releasePaths).toEqual(["Fabrikam Fiber\\Release 1", "Fabrikam Fiber\\Release 3"]);
  expect(c.priorityMapping["4"]).toBe("Lowest");
  expect(c.requirements.workItemTypes).toEqual(["User Story"]);
  expect(c.requirements.releaseDateFields).toEqual(["Microsoft.VSTS.Scheduling.StartDate", "Microsoft.VSTS.Scheduling.FinishDate"]);
  expect(c.requirements.stateMapping["User Story"]).toEqual({
    New: "Open",
    Active: "In Progress",
    Resolved: "Resolved",
    Closed: "Done",
    Removed: "Removed",
  });
  expect(c.bugs.workItemTypes).toEqual(["Bug"]);
  expect(c.bugs.severityMapping).toEqual({ "1 - Critical": "Blocker", "2 - High": "Major", "3 - Medium": "Minor", "4 - Low": "Trivial" });
  const plans = await stack.call(`/api/boards/plans?projectId=${stack.project("Fabrikam Fiber").id}`);
  expect(plans.releases).toEqual([]);
});
