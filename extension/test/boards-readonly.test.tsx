import "./nodeGlobals";
import * as React from "react";
import { fireEvent, screen, within } from "@testing-library/react";
import { BoardsLinks } from "../src/project-settings/boards/BoardsLinks";
import { PlansView } from "../src/plans/PlansView";
import { renderPage, startStack, type Stack } from "./boardsHarness";

// Mo Member is no project administrator in ADO: the backend refuses changes (403) and the hub is read-only.
jest.setTimeout(90_000);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ user: "member" });
  await stack.call("/api/boards/links", {
    method: "POST",
    body: { config: { project: stack.project("Fabrikam Fiber"), requirements: { workItemTypes: ["User Story"] } }, proceed: true },
  });
  await stack.backend.deps.jobs.idle();
});
afterAll(() => stack?.close());

test("a member sees the links and their status, read-only, with the reason", async () => {
  renderPage(<BoardsLinks />);
  const card = await screen.findByLabelText("Boards link Fabrikam Fiber");
  within(card).getByLabelText(/^Status: Active/);
  await screen.findByText(/^Read-only: Only project administrators can change this project's links/);
  expect(screen.getByRole("button", { name: "New Boards link" }).getAttribute("aria-disabled")).toBe("true");
  for (const action of ["Edit", "Sync", "Archive"])
    expect(within(card).queryByRole("button", { name: `${action} Fabrikam Fiber` })).toBeNull();
});

test("a member can read Plans; Sync answers 403 and says who may sync", async () => {
  renderPage(<PlansView />);
  await screen.findByRole("region", { name: "Release Release 1" });
  fireEvent.click(screen.getByRole("button", { name: "Sync" }));
  await screen.findByText(/^Only project administrators can start a sync/);
  const { links } = await stack.call("/api/boards/links");
  expect(links[0].activeJobId).toBeNull();
});
