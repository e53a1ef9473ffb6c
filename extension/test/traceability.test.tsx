import "./nodeGlobals";
import * as React from "react";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { TraceabilityView } from "../src/plans/TraceabilityView";
import { enabled, pick, renderPage, startStack, type Stack } from "./boardsHarness";

// Plans → Traceability against the real backend and the simulator: a sprint's requirements, gaps, and test cases
// generated from a WIQL query (issue 17).
jest.setTimeout(90_000);
let stack: Stack;
let story: number;
let other: number;
const SPRINT = "Fabrikam Fiber\\Release 1\\Sprint 2";

beforeAll(async () => {
  stack = await startStack();
  story = stack.sim.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", {
    "System.Title": "Pay by card",
    "System.IterationPath": SPRINT,
    "System.Tags": "checkout",
    "Microsoft.VSTS.Common.AcceptanceCriteria": "<p>The card is charged once.</p>",
  }).id;
  other = stack.sim.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", {
    "System.Title": "Pay later",
    "System.IterationPath": SPRINT,
  }).id;
  await stack.call("/api/boards/links", {
    method: "POST",
    body: {
      proceed: true,
      config: {
        project: stack.project("Fabrikam Fiber"),
        iterations: { releasePaths: ["Fabrikam Fiber\\Release 1"] },
        requirements: {
          workItemTypes: ["User Story"],
          stateMapping: { "User Story": { New: "Open", Active: "In Progress", Resolved: "Resolved", Closed: "Done", Removed: "Removed" } },
        },
      },
    },
  });
  await stack.backend.deps.jobs.idle();
});
afterAll(() => stack?.close());

test("a sprint's requirements with their gaps; test cases generated for a WIQL query's requirements only", async () => {
  renderPage(<TraceabilityView />);
  await screen.findByText(/to see its requirements, their test cases/);
  await pick("Release or sprint", "Release 1 › Sprint 2");
  const table = await screen.findByRole("table", { name: "Traceability of Sprint 2" });
  const row = (name: string) => within(table).getByRole("row", { name });
  await waitFor(() => within(row(`${story} Pay by card`)).getByText("Requirement without tests"));

  fireEvent.click(await enabled("Generate test cases"));
  const dialog = await screen.findByRole("dialog");
  fireEvent.click(within(dialog).getByRole("checkbox", { name: /Use the requirements of a WIQL query/ }));
  fireEvent.change(within(dialog).getByLabelText("WIQL query"), {
    target: { value: "SELECT [System.Id] FROM WorkItems WHERE [System.Tags] CONTAINS 'checkout'" },
  });
  fireEvent.click(within(dialog).getByRole("checkbox", { name: /Also create Azure DevOps Test Cases/ }));
  fireEvent.click(within(dialog).getByRole("button", { name: "Generate" }));
  await screen.findByText("1 test case generated, 0 already existed (1 requirement of the query).");
  await waitFor(() => within(row(`${story} Pay by card × Pay by card`)).getByText(/^TestOps only/));
  within(row(`${story} Pay by card × Pay by card`)).getByText("Test case without automation");
  // The other requirement was not in the query.
  within(row(`${other} Pay later`)).getByText("Requirement without tests");
});
