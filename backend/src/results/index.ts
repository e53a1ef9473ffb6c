// What other features use from test results (Repos: link synced Katalon test cases to stored results;
// Plans reads the per work item × test summary, work_item_tests, directly).
export { findResultsByPathAndName, linkResultsToWorkItem, splitKatalonId, type StoredResultRef } from "./store";
// Every way results enter (upload route, CI keys, pipeline task) stores a report through this.
export { ingestJUnit, type IngestOptions, type IngestResult, type UploadBody } from "./ingest";
export { JUnitParseError, JUnitReader, parseJUnit } from "./junit";
