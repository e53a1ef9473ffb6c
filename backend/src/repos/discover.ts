// From the files of a repository folder to the Katalon project they form: test cases, suites,
// collections, dynamic suites, and a report of what was skipped and why. Pure: the sync engine
// feeds it file paths, blob ids and the parse results of the few files whose content matters.
import {
  matchesFilter,
  parseFilter,
  parseProjectXml,
  parseSuiteXml,
  parseTestCaseXml,
  type CollectionRun,
  type ParsedFile,
  type ParseOutcome,
  type SuiteLink,
  type TcVariable,
} from "./katalon";

/** Files the sync keeps track of (everything else in the repository is irrelevant). */
export type FileKind = "project" | "testCase" | "suite" | "script";

export function fileKind(path: string): FileKind | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const lower = name.toLowerCase();
  if (lower.endsWith(".prj")) return "project";
  if (lower.endsWith(".tc")) return "testCase";
  if (lower.endsWith(".ts")) return "suite";
  if (/^Script\d*\.groovy$/i.test(name) && /\/Scripts\//.test(path)) return "script";
  return undefined;
}

export type StoredParse = { ok: true; value: ParsedFile; warnings: string[] } | { ok: false; reason: string };

export interface FileRecord {
  /** Repository path, "/a/b.tc". */
  path: string;
  objectId: string;
  /** Parse of this objectId's content; null when the content was not needed. */
  parsed: StoredParse | null;
}

export function parseFile(kind: FileKind, text: string): StoredParse | null {
  const r: ParseOutcome<ParsedFile> | null =
    kind === "testCase"
      ? parseTestCaseXml(text)
      : kind === "suite"
        ? parseSuiteXml(text)
        : kind === "project"
          ? parseProjectXml(text)
          : null;
  return r;
}

export interface ReportEntry {
  path: string;
  severity: "skipped" | "warning";
  reason: string;
}

export interface ProjectRoot {
  /** Folder of the project, "" for the repository root, else "/tests". */
  dir: string;
  prjPath: string | null;
  name: string;
}

export interface DerivedTestCase {
  /** Identity inside the link: the GUID, or "path:<repo path>" without one. */
  key: string;
  guid: string | null;
  path: string;
  projectDir: string;
  /** Katalon id "Test Cases/<folders>/<Name>" (also what Katalon reports name results by). */
  katalonId: string;
  /** Folders below Test Cases/, "" at the top. */
  folder: string;
  name: string;
  description: string;
  comment: string;
  tags: string[];
  variables: TcVariable[];
  scriptPath: string | null;
  objectId: string;
  warnings: string[];
}

export interface DerivedSuiteLink extends SuiteLink {
  /** Key of the linked test case, null when the link dangles. */
  testCaseKey: string | null;
}
export interface DerivedRun extends CollectionRun {
  suiteKey: string | null;
}

interface SuiteBase {
  key: string;
  guid: string | null;
  path: string;
  projectDir: string;
  /** "Test Suites/<folders>/<Name>" */
  katalonId: string;
  folder: string;
  name: string;
  description: string;
  tags: string[];
  objectId: string;
  warnings: string[];
}
export type DerivedSuite =
  | (SuiteBase & { kind: "suite"; links: DerivedSuiteLink[] })
  | (SuiteBase & { kind: "collection"; executionMode: "SEQUENTIAL" | "PARALLEL"; maxConcurrentInstances: number; runs: DerivedRun[] })
  | (SuiteBase & { kind: "dynamic"; filterText: string; testCaseKeys: string[] });

export interface DerivedProject {
  roots: ProjectRoot[];
  testCases: DerivedTestCase[];
  suites: DerivedSuite[];
  report: ReportEntry[];
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const stripExt = (n: string) => n.replace(/\.[^.]+$/, "");
const within = (path: string, dir: string) => dir === "" || dir === "/" || path === dir || path.startsWith(dir + "/");
const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Project folders: each folder holding a .prj (several .prj in one folder are one project, the
 * others reported). Without any .prj, a folder holding "Test Cases/" stands in for the project.
 */
export function findProjectRoots(files: Pick<FileRecord, "path" | "parsed">[]): { roots: ProjectRoot[]; report: ReportEntry[] } {
  const report: ReportEntry[] = [];
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    if (fileKind(f.path) !== "project") continue;
    const d = dirOf(f.path);
    byDir.set(d, [...(byDir.get(d) ?? []), f.path]);
  }
  const parsedName = new Map(files.map((f) => [f.path, f.parsed?.ok && f.parsed.value.type === "project" ? f.parsed.value.name : ""]));
  const roots: ProjectRoot[] = [];
  for (const [dir, prjs] of [...byDir].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sorted = [...prjs].sort();
    const [chosen, ...others] = sorted;
    for (const o of others)
      report.push({
        path: o,
        severity: "skipped",
        reason: `another .prj in the same folder; the project is read once, from ${baseName(chosen)}`,
      });
    roots.push({ dir, prjPath: chosen, name: parsedName.get(chosen) || stripExt(baseName(chosen)) });
  }
  if (roots.length === 0) {
    const dirs = new Set<string>();
    for (const f of files) {
      const i = f.path.indexOf("/Test Cases/");
      if (i >= 0 && fileKind(f.path) === "testCase") dirs.add(f.path.slice(0, i));
    }
    for (const dir of [...dirs].sort()) {
      roots.push({ dir, prjPath: null, name: baseName(dir) || "(repository root)" });
      report.push({
        path: dir || "/",
        severity: "warning",
        reason: "no .prj file found; this folder is read as a Katalon project because it has Test Cases/",
      });
    }
  }
  return { roots, report };
}

/** The deepest project folder holding `path`. */
function rootOf(roots: ProjectRoot[], path: string): ProjectRoot | undefined {
  let best: ProjectRoot | undefined;
  for (const r of roots) if (within(path, r.dir) && (!best || r.dir.length > best.dir.length)) best = r;
  return best;
}

/** Which files need their content read: test cases under Test Cases/, suites under Test Suites/, .prj. */
export function needsContent(path: string, roots: ProjectRoot[]): boolean {
  const kind = fileKind(path);
  if (kind === "project") return true;
  if (kind !== "testCase" && kind !== "suite") return false;
  const root = rootOf(roots, path);
  if (!root) return false;
  const rel = path.slice(root.dir.length + 1);
  return kind === "testCase" ? rel.startsWith("Test Cases/") : rel.startsWith("Test Suites/");
}

/** Derives the Katalon project under `scope` from tracked files (content parsed where needed). */
export function deriveProject(files: FileRecord[], scope: string): DerivedProject {
  const sorted = [...files].sort(byPath);
  const { roots, report } = findProjectRoots(sorted);
  const scripts = new Map<string, string[]>(); // "<root>|Test Cases/a/b" → script paths
  const scriptsCi = new Map<string, string[]>(); // the same, keyed in lower case
  for (const f of sorted) {
    if (fileKind(f.path) !== "script") continue;
    const root = rootOf(roots, f.path);
    if (!root) continue;
    const m = /^Scripts\/(.+)\/[^/]+$/.exec(f.path.slice(root.dir.length + 1));
    if (!m) continue;
    const key = `${root.dir}|Test Cases/${m[1]}`;
    scripts.set(key, [...(scripts.get(key) ?? []), f.path]);
    scriptsCi.set(key.toLowerCase(), [...(scriptsCi.get(key.toLowerCase()) ?? []), f.path]);
  }

  const testCases: DerivedTestCase[] = [];
  const tagTextOf = new Map<string, string>(); // test case key → <tag> as written (for dynamic suites)
  const guidOwner = new Map<string, string>();
  const inScope = sorted.filter((f) => within(f.path, scope));
  for (const f of inScope) {
    const kind = fileKind(f.path);
    if (kind !== "testCase") continue;
    const root = rootOf(roots, f.path);
    if (!root) {
      report.push({
        path: f.path,
        severity: "skipped",
        reason: "is not inside a Katalon project (no .prj or Test Cases/ folder above it)",
      });
      continue;
    }
    const rel = f.path.slice(root.dir.length + 1);
    if (!rel.startsWith("Test Cases/")) {
      report.push({ path: f.path, severity: "skipped", reason: "is a .tc file outside Test Cases/; Katalon does not run it" });
      continue;
    }
    if (!f.parsed) continue; // content not read (cannot happen after a sync fetched it)
    if (!f.parsed.ok) {
      report.push({ path: f.path, severity: "skipped", reason: `${f.parsed.reason}` });
      continue;
    }
    if (f.parsed.value.type !== "testCase") continue;
    const p = f.parsed.value;
    const warnings = [...f.parsed.warnings];
    const katalonId = stripExt(rel);
    const name = stripExt(baseName(rel));
    if (p.name && p.name !== name) warnings.push(`<name> "${p.name}" differs from the file name; the file name is used, as in Katalon`);
    // Katalon on Windows (where most projects are written) finds the script folder ignoring case; a
    // case-sensitive file system (Linux/macOS runners) does not, so a case difference is reported.
    let scriptPaths = (scripts.get(`${root.dir}|${katalonId}`) ?? []).sort();
    if (scriptPaths.length === 0) {
      scriptPaths = (scriptsCi.get(`${root.dir}|${katalonId}`.toLowerCase()) ?? []).sort();
      if (scriptPaths.length)
        warnings.push(
          `has its script in ${dirOf(scriptPaths[0].slice(root.dir.length + 1))}, whose case differs from ${katalonId}: Katalon finds it on Windows only`,
        );
    }
    if (scriptPaths.length === 0) warnings.push(`has no script (Scripts/${katalonId.slice("Test Cases/".length)}/Script*.groovy)`);
    if (scriptPaths.length > 1)
      warnings.push(`has ${scriptPaths.length} Script*.groovy files; the newest (${baseName(scriptPaths.at(-1)!)}) is used`);
    let key = p.guid ? p.guid : `path:${f.path}`;
    if (p.guid && guidOwner.has(p.guid)) {
      warnings.push(`has the same testCaseGuid as ${guidOwner.get(p.guid)}; identified by its path`);
      key = `path:${f.path}`;
    } else if (p.guid) guidOwner.set(p.guid, f.path);
    if (p.tagText !== undefined) tagTextOf.set(key, p.tagText);
    testCases.push({
      key,
      guid: p.guid,
      path: f.path,
      projectDir: root.dir,
      katalonId,
      folder: dirOf(katalonId).slice("Test Cases".length + 1),
      name,
      description: p.description,
      comment: p.comment,
      tags: p.tags,
      variables: p.variables,
      scriptPath: scriptPaths.at(-1) ?? null,
      objectId: f.objectId,
      warnings,
    });
    for (const w of warnings) report.push({ path: f.path, severity: "warning", reason: w });
  }

  // Suites resolve test cases by Katalon id within their own project (exact, then case-insensitively as on Windows).
  const tcById = new Map<string, DerivedTestCase>();
  const tcByIdCi = new Map<string, DerivedTestCase>();
  for (const tc of testCases) {
    tcById.set(`${tc.projectDir}|${tc.katalonId}`, tc);
    tcByIdCi.set(`${tc.projectDir}|${tc.katalonId}`.toLowerCase(), tc);
  }
  const findTc = (dir: string, id: string) => tcById.get(`${dir}|${id}`) ?? tcByIdCi.get(`${dir}|${id}`.toLowerCase());

  const suites: DerivedSuite[] = [];
  const suiteGuidOwner = new Map<string, string>();
  const collections: { suite: DerivedSuite & { kind: "collection" }; runs: CollectionRun[] }[] = [];
  for (const f of inScope) {
    if (fileKind(f.path) !== "suite") continue;
    const root = rootOf(roots, f.path);
    const rel = root ? f.path.slice(root.dir.length + 1) : "";
    if (!root || !rel.startsWith("Test Suites/")) {
      const why = /\.d\.ts$|\.spec\.ts$|\.test\.ts$|\.ks\.ts$/i.test(f.path) ? "is a TypeScript file" : "is a .ts file";
      report.push({ path: f.path, severity: "skipped", reason: `${why} outside Test Suites/; not a Katalon suite` });
      continue;
    }
    if (!f.parsed) continue;
    if (!f.parsed.ok) {
      report.push({ path: f.path, severity: "skipped", reason: f.parsed.reason });
      continue;
    }
    const p = f.parsed.value;
    if (p.type !== "suite" && p.type !== "collection" && p.type !== "dynamic") continue;
    const warnings = [...f.parsed.warnings];
    const katalonId = stripExt(rel);
    const guid = p.type === "collection" ? null : p.guid;
    let key = guid ?? `path:${f.path}`;
    if (guid && suiteGuidOwner.has(guid)) {
      warnings.push(`has the same testSuiteGuid as ${suiteGuidOwner.get(guid)}; identified by its path`);
      key = `path:${f.path}`;
    } else if (guid) suiteGuidOwner.set(guid, f.path);
    const base: SuiteBase = {
      key,
      guid,
      path: f.path,
      projectDir: root.dir,
      katalonId,
      folder: dirOf(katalonId).slice("Test Suites".length + 1),
      name: stripExt(baseName(rel)),
      description: p.description,
      tags: p.tags,
      objectId: f.objectId,
      warnings,
    };
    if (p.type === "suite") {
      const links = p.links.map((l) => {
        const tc = findTc(root.dir, l.testCaseId);
        if (!tc) warnings.push(`links to ${l.testCaseId}, which is not a test case in the linked folder (dangling link)`);
        else if (tc.katalonId !== l.testCaseId)
          warnings.push(`links to ${l.testCaseId}, whose case differs from ${tc.katalonId}: Katalon finds it on Windows only`);
        return { ...l, testCaseKey: tc?.key ?? null };
      });
      suites.push({ ...base, kind: "suite", links });
    } else if (p.type === "collection") {
      const collection = {
        ...base,
        kind: "collection" as const,
        executionMode: p.executionMode,
        maxConcurrentInstances: p.maxConcurrentInstances,
        runs: [],
      };
      suites.push(collection);
      collections.push({ suite: collection, runs: p.runs });
    } else {
      const filter = parseFilter(p.filterText);
      for (const note of filter.notes) warnings.push(`dynamic suite query "${p.filterText}" ${note}`);
      const testCaseKeys = testCases
        .filter(
          (tc) =>
            tc.projectDir === root.dir &&
            matchesFilter(filter, {
              id: tc.katalonId,
              name: tc.name,
              description: tc.description,
              tagText: tagTextOf.get(tc.key) ?? tc.tags.join(", "),
            }),
        )
        .map((tc) => tc.key);
      suites.push({ ...base, kind: "dynamic", filterText: p.filterText, testCaseKeys });
    }
  }
  // Collections point at suites, so they resolve once every suite is known.
  const suiteById = new Map(suites.map((s) => [`${s.projectDir}|${s.katalonId}`.toLowerCase(), s]));
  for (const { suite: s, runs } of collections) {
    s.runs = runs.map((r) => {
      const target = suiteById.get(`${s.projectDir}|${r.testSuiteId}`.toLowerCase());
      if (!target) s.warnings.push(`runs ${r.testSuiteId}, which is not a test suite in the linked folder (dangling link)`);
      else if (target.kind === "collection") s.warnings.push(`runs ${r.testSuiteId}, which is itself a collection`);
      return { ...r, suiteKey: target && target.kind !== "collection" ? target.key : null };
    });
  }
  for (const s of suites) for (const w of s.warnings) report.push({ path: s.path, severity: "warning", reason: w });
  return { roots, testCases, suites, report };
}

/** Where to list from so that a link to a folder inside a project still sees its .prj and Scripts/. */
export function listingRoot(scope: string): string {
  const parts = scope.split("/").filter(Boolean);
  const i = parts.findIndex((p) => ["Test Cases", "Test Suites", "Scripts", "Object Repository", "Data Files", "Profiles"].includes(p));
  return i < 0 ? scope : `/${parts.slice(0, i).join("/")}`;
}
