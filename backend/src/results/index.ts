// What other features use from test results (Repos: link synced Katalon test cases to stored results;
// Plans: the latest outcome of each test linked to a requirement).
export { findResultsByPathAndName, latestOutcomesSql, linkResultsToWorkItem, splitKatalonId, type StoredResultRef } from "./store";
