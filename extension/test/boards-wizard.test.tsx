import "./nodeGlobals";
import * as React from "react";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { BoardsLinks } from "../src/project-settings/boards/BoardsLinks";
import { DEMO_PATS } from "@testops/ado-sim";
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

// One journey over one backend: Save, Edit, Proceed (live status), a failing sync, Archive/Unarchive.
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
  await openWizardWith("New Boards link");
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

const fiberCard = () => screen.findByLabelText("Boards link Fabrikam Fiber");
const links = async () =>
  (await stack.call(`/api/boards/links?projectId=${stack.project("Fabrikam Fiber").id}&includeArchived=true`)).links;

test("a second link for the same project and team is refused with the backend's reason; nothing is stored", async () => {
  renderPage(<BoardsLinks />);
  await fiberCard();
  await enabled("New Boards link");
  await openWizardWith("New Boards link");
  await waitFor(() => expect(dropdownValue("Project")).toBe("Fabrikam Fiber"));
  await nextUntil("Requirements");
  await screen.findByRole("table", { name: "User Story states" });
  click("Save");
  await within(wizard()).findByText(/Fabrikam Fiber already has a Boards link; edit it or archive it first/);
  expect(step().textContent).toBe("Step 5 of 5 · Requirements");
  expect(await links()).toHaveLength(1);
  click("Cancel");
});

test("Edit reopens the wizard with the stored config and stores the change", async () => {
  renderPage(<BoardsLinks />);
  await fiberCard();
  await enabled("Edit Fabrikam Fiber");
  await openWizardWith("Edit Fabrikam Fiber");
  within(wizard()).getByText("Edit Boards link · Fabrikam Fiber");
  await waitFor(() => expect(dropdownValue("Project")).toBe("Fabrikam Fiber"));
  expect(screen.getByRole("button", { name: "Project" }).getAttribute("aria-disabled")).toBe("true");
  expect((screen.getByLabelText("Description") as HTMLTextAreaElement).value).toBe("Fiber releases");
  await nextUntil("Iteration paths");
  await screen.findByRole("tree", { name: "Iteration tree" });
  expect(screen.getByRole("checkbox", { name: "Release: Fabrikam Fiber\\Release 1" }).getAttribute("aria-checked")).toBe("true");
  expect(screen.getByRole("checkbox", { name: "Release: Fabrikam Fiber\\Release 2" }).getAttribute("aria-checked")).toBe("false");
  await nextUntil("Requirements");
  const dates = screen.getByRole("list", { name: "Release date fields in priority order" });
  expect(
    within(dates)
      .getAllByRole("listitem")
      .map((li) => li.textContent),
  ).toEqual(["1. Start Date", "2. Finish Date"]);
  await nextUntil("Bugs");
  await waitFor(() => expect(dropdownValue("TestOps severity for 1 - Critical")).toBe("Blocker"));
  click("1. Project");
  fireEvent.change(screen.getByLabelText("Description"), { target: { value: "Fiber releases, edited" } });
  await nextUntil("Bugs");
  click("Save");
  await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  // The page reloads its list after a save: wait for the card to show the change before asking the API.
  await screen.findByText("Fiber releases, edited");
  const [l] = await links();
  expect(l.description).toBe("Fiber releases, edited");
  expect(l.config.bugs.severityMapping["1 - Critical"]).toBe("Blocker");
  expect(l.status).toBe("Inactive");
});

test("Proceed stores and syncs: the card shows the sync's progress, then Active with what was synced", async () => {
  // Slow ADO down so the running sync can be watched.
  stack.sim.faults.set({ latencyMs: 400, match: "workitemrevisions" });
  renderPage(<BoardsLinks />);
  await fiberCard();
  await enabled("Edit Fabrikam Fiber");
  await openWizardWith("Edit Fabrikam Fiber");
  await nextUntil("Bugs");
  await screen.findByRole("table", { name: "Severity mapping" });
  click("Proceed");
  await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  const card = await fiberCard();
  await within(card).findByLabelText(/^Status: Syncing/);
  within(card).getByRole("progressbar");
  stack.sim.faults.clear();
  await within(card).findByLabelText(/^Status: Active/, {}, { timeout: 30_000 });
  expect(within(card).queryByRole("progressbar")).toBeNull();
  await within(card).findByText(/2 releases, 5 sprints, \d+ requirements?, \d+ bugs?/);
  const [l] = await links();
  expect(l.status).toBe("Active");
  expect(l.lastSync.releases.created).toBe(2);
  const plans = await stack.call(`/api/boards/plans?projectId=${stack.project("Fabrikam Fiber").id}`);
  expect(plans.releases.map((r: { name: string }) => r.name)).toEqual(["Release 1", "Release 3"]);
});

test("a failed sync turns the link to Error with the reason", async () => {
  // The connection's PAT is revoked in ADO: the connection and the link both say so.
  stack.sim.state.pats.get(DEMO_PATS.admin)!.revoked = true;
  renderPage(<BoardsLinks />);
  const card = await fiberCard();
  await enabled("Sync Fabrikam Fiber");
  click("Sync Fabrikam Fiber");
  await within(card).findByLabelText(/^Status: Error/, {}, { timeout: 30_000 });
  within(card).getByText(/no active Azure DevOps connection|rejected the connection's PAT/);
  const [l] = await links();
  expect(l.status).toBe("Error");
  expect(l.statusReason).toMatch(/connection|PAT/);
  // The data of the last good sync is still there.
  expect((await stack.call(`/api/boards/plans?projectId=${stack.project("Fabrikam Fiber").id}`)).releases).toHaveLength(2);

  // The admin fixes the connection with a working PAT.
  stack.sim.state.pats.get(DEMO_PATS.admin)!.revoked = false;
  const { connections } = await stack.call("/api/connections");
  await stack.call(`/api/connections/${connections[0].id}`, { method: "PATCH", body: { pat: DEMO_PATS.admin } });
});

test("Archive asks first; an archived link leaves the list and Plans, Unarchive brings it back", async () => {
  renderPage(<BoardsLinks />);
  await fiberCard();
  await enabled("Archive Fabrikam Fiber");
  click("Archive Fabrikam Fiber");
  const dialog = await screen.findByRole("dialog");
  within(dialog).getByText("Archive this Boards link?");
  fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
  await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  expect((await links())[0].archived).toBe(false);

  click("Archive Fabrikam Fiber");
  fireEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Archive" }));
  await screen.findByText("No Boards link yet");
  expect((await links())[0].archived).toBe(true);
  expect((await stack.call(`/api/boards/plans?projectId=${stack.project("Fabrikam Fiber").id}`)).releases).toEqual([]);

  click("Show archived", "switch");
  const card = await fiberCard();
  within(card).getByText("Archived");
  fireEvent.click(within(card).getByRole("button", { name: "Unarchive Fabrikam Fiber" }));
  await waitFor(async () => expect((await links())[0].archived).toBe(false));
  await within(await fiberCard()).findByRole("button", { name: "Archive Fabrikam Fiber" });
});
