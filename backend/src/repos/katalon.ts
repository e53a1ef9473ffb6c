// Pure parsers for the Katalon Studio files a Repos link syncs (.tc, .ts, .prj). They never throw:
// a bad file yields { ok: false, reason } so one file can be reported and skipped.
import { XMLParser, XMLValidator } from "fast-xml-parser";

export interface TcVariable {
  id: string;
  name: string;
  defaultValue: string;
  description: string;
  masked: boolean;
}

export interface ParsedTestCase {
  type: "testCase";
  /** The `<name>` element (Katalon shows the file name; see discover.ts). */
  name: string;
  guid: string | null;
  description: string;
  comment: string;
  tags: string[];
  /** The `<tag>` text as written ("sorting, products"): what Katalon's `tag=(…)` query searches. */
  tagText?: string;
  variables: TcVariable[];
}

export interface SuiteLink {
  /** Katalon test case id: "Test Cases/<folders>/<Name>" (path without .tc, relative to the project). */
  testCaseId: string;
  guid: string | null;
  isRun: boolean;
}

export interface ParsedSuite {
  type: "suite";
  name: string;
  guid: string | null;
  description: string;
  tags: string[];
  links: SuiteLink[];
}

export interface CollectionRun {
  /** "Test Suites/<folders>/<Name>" */
  testSuiteId: string;
  runEnabled: boolean;
  runConfigurationId: string;
  profileName: string;
}

export interface ParsedCollection {
  type: "collection";
  name: string;
  description: string;
  tags: string[];
  executionMode: "SEQUENTIAL" | "PARALLEL";
  maxConcurrentInstances: number;
  runs: CollectionRun[];
}

export interface ParsedDynamicSuite {
  type: "dynamic";
  name: string;
  guid: string | null;
  description: string;
  tags: string[];
  filterText: string;
}

export interface ParsedProject {
  type: "project";
  name: string;
  uuid: string | null;
}

export type ParsedFile = ParsedTestCase | ParsedSuite | ParsedCollection | ParsedDynamicSuite | ParsedProject;
export type ParseOutcome<T> = { ok: true; value: T; warnings: string[] } | { ok: false; reason: string };

/** Array-valued elements, so one child and many children parse alike. */
const ARRAYS = new Set(["variable", "testCaseLink", "TestSuiteRunConfiguration", "variableLink"]);
const parser = new XMLParser({
  ignoreAttributes: true,
  // Keep every value a string: GUIDs like "1e10…" and names like "007" must not become numbers.
  parseTagValue: false,
  // Text is kept as written (descriptions, comments, default values); names and ids are trimmed where read.
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  isArray: (name) => ARRAYS.has(name),
});

type Node = Record<string, unknown>;
const MAX_BYTES = 5_000_000;

/** Strips a BOM and normalises CRLF/CR line endings (Windows-authored files are common). */
export function normaliseText(s: string): string {
  return s.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

function looksLikeTypeScript(s: string): boolean {
  return /^\s*(import|export|const|let|var|function|class|interface|type|declare|\/\/|\/\*)\b/m.test(s) || /\bfrom\s+["']/.test(s);
}

/** Parses XML into { root, node }, or the reason it is not a Katalon XML file. */
function parseXml(text: string): { ok: true; root: string; node: Node } | { ok: false; reason: string } {
  if (text.length > MAX_BYTES) return { ok: false, reason: `is larger than ${MAX_BYTES / 1_000_000} MB` };
  const t = normaliseText(text);
  if (!t.trim()) return { ok: false, reason: "is empty" };
  const start = t.trimStart();
  if (!start.startsWith("<")) {
    return {
      ok: false,
      reason: looksLikeTypeScript(start) ? "is TypeScript source code, not a Katalon XML file" : "is not XML",
    };
  }
  // Katalon never writes a DOCTYPE; refusing it rules out entity-expansion tricks.
  if (/<!DOCTYPE|<!ENTITY/i.test(t)) return { ok: false, reason: "contains a DOCTYPE declaration (not a Katalon file)" };
  const valid = XMLValidator.validate(t);
  if (valid !== true) return { ok: false, reason: `is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})` };
  const doc = parser.parse(t) as Node;
  const roots = Object.keys(doc).filter((k) => !k.startsWith("?") && !k.startsWith("#"));
  if (roots.length !== 1) return { ok: false, reason: "has no single root element" };
  const node = doc[roots[0]];
  return { ok: true, root: roots[0], node: node && typeof node === "object" ? (node as Node) : {} };
}

const str = (v: unknown): string =>
  typeof v === "string" ? v : v === undefined || v === null ? "" : typeof v === "object" ? "" : String(v);
const bool = (v: unknown, dflt: boolean): boolean => {
  const s = str(v).trim().toLowerCase();
  return s === "true" ? true : s === "false" ? false : dflt;
};
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.filter((x): x is Node => !!x && typeof x === "object") : []);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function guidOf(v: unknown, warnings: string[], what: string): string | null {
  const g = str(v).trim();
  if (!g) return null;
  if (!GUID.test(g)) {
    warnings.push(`${what} "${g.slice(0, 60)}" is not a GUID; ignored`);
    return null;
  }
  return g.toLowerCase();
}

/** Katalon tags are one free string, comma-separated ("sorting, products"). */
export function splitTags(s: string): string[] {
  const out: string[] = [];
  for (const t of s.split(",")) {
    const v = t.trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

export function parseTestCaseXml(text: string): ParseOutcome<ParsedTestCase> {
  const x = parseXml(text);
  if (!x.ok) return x;
  if (x.root !== "TestCaseEntity") return { ok: false, reason: `has root element <${x.root}>, not <TestCaseEntity>` };
  const n = x.node;
  const warnings: string[] = [];
  const guid = guidOf(n.testCaseGuid, warnings, "testCaseGuid");
  if (!guid && !str(n.testCaseGuid).trim()) warnings.push("has no testCaseGuid; identified by its path");
  const variables = list(n.variable).map((v) => ({
    id: str(v.id).trim(),
    name: str(v.name).trim(),
    // Masked variables hold secrets by design: never store their value.
    defaultValue: bool(v.masked, false) ? "" : str(v.defaultValue),
    description: str(v.description),
    masked: bool(v.masked, false),
  }));
  return {
    ok: true,
    warnings,
    value: {
      type: "testCase",
      name: str(n.name).trim(),
      guid,
      description: str(n.description),
      comment: str(n.comment),
      tags: splitTags(str(n.tag)),
      tagText: str(n.tag),
      variables: variables.filter((v) => v.name),
    },
  };
}

/** A `.ts` under Test Suites/: a suite, a suite collection or a dynamic (filtering) suite. */
export function parseSuiteXml(text: string): ParseOutcome<ParsedSuite | ParsedCollection | ParsedDynamicSuite> {
  const x = parseXml(text);
  if (!x.ok) return x;
  const n = x.node;
  const warnings: string[] = [];
  const common = { name: str(n.name).trim(), description: str(n.description), tags: splitTags(str(n.tag)) };
  switch (x.root) {
    case "TestSuiteEntity": {
      const links: SuiteLink[] = [];
      for (const l of list(n.testCaseLink)) {
        const testCaseId = str(l.testCaseId).trim().replace(/\\/g, "/");
        if (!testCaseId) {
          warnings.push("has a testCaseLink without testCaseId; ignored");
          continue;
        }
        links.push({ testCaseId, guid: guidOf(l.guid, warnings, "testCaseLink guid"), isRun: bool(l.isRun, true) });
      }
      return { ok: true, warnings, value: { type: "suite", ...common, guid: guidOf(n.testSuiteGuid, warnings, "testSuiteGuid"), links } };
    }
    case "TestSuiteCollectionEntity": {
      const configs = n.testSuiteRunConfigurations as Node | undefined;
      const runs: CollectionRun[] = [];
      for (const r of list(configs && typeof configs === "object" ? configs.TestSuiteRunConfiguration : undefined)) {
        const testSuiteId = str(r.testSuiteEntity).trim().replace(/\\/g, "/");
        if (!testSuiteId) {
          warnings.push("has a run configuration without testSuiteEntity; ignored");
          continue;
        }
        const conf = (r.configuration && typeof r.configuration === "object" ? r.configuration : {}) as Node;
        runs.push({
          testSuiteId,
          runEnabled: bool(r.runEnabled, true),
          runConfigurationId: str(conf.runConfigurationId).trim(),
          profileName: str(conf.profileName).trim(),
        });
      }
      const mode = str(n.executionMode).trim().toUpperCase() === "PARALLEL" ? "PARALLEL" : "SEQUENTIAL";
      const max = Number.parseInt(str(n.maxConcurrentInstances), 10);
      return {
        ok: true,
        warnings,
        value: {
          type: "collection",
          ...common,
          executionMode: mode,
          maxConcurrentInstances: Number.isFinite(max) && max > 0 ? max : 1,
          runs,
        },
      };
    }
    case "FilteringTestSuiteEntity":
      return {
        ok: true,
        warnings,
        value: {
          type: "dynamic",
          ...common,
          guid: guidOf(n.testSuiteGuid, warnings, "testSuiteGuid"),
          filterText: str(n.filteringText).trim(),
        },
      };
    default:
      return { ok: false, reason: `has root element <${x.root}>, not a Katalon test suite` };
  }
}

export function parseProjectXml(text: string): ParseOutcome<ParsedProject> {
  const x = parseXml(text);
  if (!x.ok) return x;
  if (x.root !== "Project") return { ok: false, reason: `has root element <${x.root}>, not <Project>` };
  const warnings: string[] = [];
  return { ok: true, warnings, value: { type: "project", name: str(x.node.name).trim(), uuid: guidOf(x.node.UUID, warnings, "UUID") } };
}

// ---------------------------------------------------------------------------------------------
// Dynamic (filtering) suites: the query Katalon Studio evaluates (FilterController in its source, see
// docs/ado-fidelity.md), reproduced rule for rule, quirks included:
// - keys are found with the regex `key=\(.*\)` (lower case, no spaces, greedy up to the LAST ")"),
//   so in `tag=(a) name=(b)` the tag value is "a) name=(b"; a repeated key keeps its last match;
// - a query with no key selects nothing; a blank query selects every test case;
// - id=(x): the id is x or starts with "x/" (case-sensitive); ids=(a, b): exact ids, comma-separated;
//   name/tag/description: contains, ignoring case (tag searches the <tag> text as written);
//   tags=(a, b) (Advanced Tags plugin): has every listed tag, ignoring case;
//   comment=(…) and folder=(…) are keys Katalon knows but never matches.

export const QUERY_KEYS = ["ids", "id", "name", "tag", "comment", "description", "folder", "tags"] as const;
export type QueryKey = (typeof QUERY_KEYS)[number];
export interface FilterCriterion {
  field: QueryKey;
  value: string;
}
export interface ParsedFilter {
  /** Blank query: Katalon selects every test case. */
  all: boolean;
  criteria: FilterCriterion[];
  /** Why the query selects nothing or less than it seems to say (ours; Katalon is silent). */
  notes: string[];
}

export function parseFilter(text: string): ParsedFilter {
  const t = text.trim();
  if (!t) return { all: true, criteria: [], notes: ["is empty, so Katalon selects every test case"] };
  const found = new Map<QueryKey, string>();
  for (const key of QUERY_KEYS) for (const m of t.matchAll(new RegExp(`${key}=\\((.*)\\)`, "g"))) found.set(key, m[1]);
  const criteria = [...found].map(([field, value]) => ({ field, value }));
  const notes: string[] = [];
  if (criteria.length === 0)
    notes.push(
      /\b(ids?|name|tags?|comment|description|folder)\s*=\s*\(/i.test(t)
        ? 'is not a query Katalon reads (keys are lower case, with no spaces around "=" and a closing ")"), so it selects no test case'
        : "has no key=(value), so Katalon selects no test case",
    );
  for (const c of criteria) {
    if (c.field === "comment" || c.field === "folder")
      notes.push(`uses ${c.field}=(…), which Katalon never matches, so it selects no test case`);
    else if (/\)\s*\S*=\(/.test(c.value))
      notes.push(`reads ${c.field}=(…) up to the last ")" as Katalon does ("${c.value}"), so keys after the first one do not combine`);
  }
  return { all: false, criteria, notes };
}

export interface FilterTarget {
  /** "Test Cases/…/Name" */
  id: string;
  name: string;
  /** The <tag> text as written. */
  tagText: string;
  description: string;
}

const containsIgnoringCase = (s: string, part: string) => s.toLowerCase().includes(part.toLowerCase());
const tagSet = (s: string) => new Set(splitTags(s).map((x) => x.toLowerCase()));

export function matchesFilter(filter: ParsedFilter, tc: FilterTarget): boolean {
  if (filter.all) return true;
  if (filter.criteria.length === 0) return false;
  return filter.criteria.every(({ field, value }) => {
    switch (field) {
      case "ids":
        return value
          .split(",")
          .map((x) => x.trim())
          .includes(tc.id);
      case "id":
        return tc.id === value || tc.id.startsWith(`${value}/`);
      case "name":
        return containsIgnoringCase(tc.name, value);
      case "tag":
        return containsIgnoringCase(tc.tagText, value);
      case "description":
        return containsIgnoringCase(tc.description, value);
      case "tags": {
        const want = tagSet(value);
        const have = tagSet(tc.tagText);
        return want.size > 0 && have.size > 0 && [...want].every((x) => have.has(x));
      }
      default:
        return false;
    }
  });
}
