// What other features use from test results (Repos: link synced Katalon test cases to stored results).
export { findResultsByPathAndName, linkResultsToWorkItem, splitKatalonId, type StoredResultRef } from "./store";
