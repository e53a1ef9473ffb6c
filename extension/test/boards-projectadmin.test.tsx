import "./nodeGlobals";
import * as React from "react";
import { screen, waitFor, within } from "@testing-library/react";
import { BoardsLinks } from "../src/project-settings/boards/BoardsLinks";
import { click, dropdownValue, enabled, openWizardWith, pick, renderPage, startStack, wizard, type Stack } from "./boardsHarness";

// Priya Lead administers "Fabrikam Fiber" only: ADO (asked by the backend) decides per project.
jest.setTimeout(90_000);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ user: "projectAdmin" });
});
afterAll(() => stack?.close());

test("a project admin may use the wizard for her project; another project answers 403, shown in the wizard", async () => {
  renderPage(<BoardsLinks />);
  await enabled("New Boards link");
  await openWizardWith("New Boards link");
  await waitFor(() => expect(dropdownValue("Project")).toBe("Fabrikam Fiber"));
  await within(wizard()).findByRole("button", { name: "Team (optional)" });
  await pick("Project", "Scrum Project");
  await within(wizard()).findByText(/Could not load teams from Azure DevOps: Only project administrators/);
  // Still her project's page: it stays editable.
  expect(screen.queryByText(/^Read-only/)).toBeNull();
  await pick("Project", "Fabrikam Fiber");
  await within(wizard()).findByRole("button", { name: "Team (optional)" });
  expect(within(wizard()).queryByText(/Could not load teams/)).toBeNull();
  click("Cancel");
  expect(screen.getByRole("button", { name: "New Boards link" }).getAttribute("aria-disabled")).toBeNull();
  expect((await stack.call("/api/boards/links?includeArchived=true")).links).toEqual([]);
});
