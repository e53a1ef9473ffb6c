// A minimal content-addressed git object store with real SHA-1 ids (blob/tree/commit hashing as git
// does), so object ids, trees, blobs and commits are mutually consistent like on the real service.
import { createHash } from "node:crypto";

export type GitObjectType = "blob" | "tree" | "commit";

export interface GitIdentity {
  name: string;
  email: string;
  date: string;
}

export interface CommitMeta {
  commitId: string;
  treeId: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  comment: string;
  pushId?: number;
}

export interface TreeEntry {
  mode: string;
  name: string;
  objectId: string;
  type: "blob" | "tree";
}

export interface GitPushRecord {
  pushId: number;
  date: string;
  pushedByUserId: string;
  refUpdates: { name: string; oldObjectId: string; newObjectId: string }[];
  commitIds: string[];
}

export type ChangeType = "add" | "edit" | "delete" | "rename";

export interface FileChange {
  path: string;
  content?: string | Uint8Array;
  changeType: ChangeType;
  sourcePath?: string;
}

export const ZERO_ID = "0000000000000000000000000000000000000000";
const enc = new TextEncoder();

export const normPath = (p: string) => `/${p.replace(/\\/g, "/").replace(/^\/+/, "").replace(/\/+$/, "")}`;

function hashObject(type: GitObjectType, data: Uint8Array): string {
  const h = createHash("sha1");
  h.update(`${type} ${data.length}\0`);
  h.update(data);
  return h.digest("hex");
}

/** git's tree ordering: names compared as bytes, trees as if they ended with "/". */
function treeSortKey(e: TreeEntry): string {
  return e.type === "tree" ? `${e.name}/` : e.name;
}

export class GitError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly typeKey: string,
  ) {
    super(message);
  }
}

export class GitRepo {
  readonly objects = new Map<string, { type: GitObjectType; data: Uint8Array }>();
  readonly refs = new Map<string, string>();
  readonly commits = new Map<string, CommitMeta>();
  readonly pushes: GitPushRecord[] = [];
  /** Explicit renames recorded by pushes: commitId → (new path → old path). */
  readonly renames = new Map<string, Map<string, string>>();
  private flatCache = new Map<string, Map<string, string>>();
  defaultBranch = "refs/heads/main";

  constructor(
    readonly id: string,
    public name: string,
    readonly projectId: string,
  ) {}

  put(type: GitObjectType, data: Uint8Array): string {
    const sha = hashObject(type, data);
    if (!this.objects.has(sha)) this.objects.set(sha, { type, data });
    return sha;
  }

  get(sha: string) {
    return this.objects.get(sha.toLowerCase());
  }

  size(): number {
    let n = 0;
    for (const o of this.objects.values()) n += o.data.length;
    return n;
  }

  readTree(sha: string): TreeEntry[] {
    const o = this.get(sha);
    if (!o || o.type !== "tree")
      throw new GitError(404, `TF401174: The item ${sha} could not be found in the repository.`, "GitItemNotFoundException");
    const out: TreeEntry[] = [];
    const d = o.data;
    let i = 0;
    while (i < d.length) {
      const sp = d.indexOf(0x20, i);
      const nul = d.indexOf(0, sp);
      const mode = Buffer.from(d.subarray(i, sp)).toString("utf8");
      const name = Buffer.from(d.subarray(sp + 1, nul)).toString("utf8");
      const objectId = Buffer.from(d.subarray(nul + 1, nul + 21)).toString("hex");
      out.push({ mode, name, objectId, type: mode === "40000" ? "tree" : "blob" });
      i = nul + 21;
    }
    return out;
  }

  /** Builds (and stores) tree objects for a flat path → blob map; returns the root tree id. */
  buildTree(flat: Map<string, string>): string {
    type Dir = { files: Map<string, string>; dirs: Map<string, Dir> };
    const root: Dir = { files: new Map(), dirs: new Map() };
    for (const [path, sha] of flat) {
      const parts = path.split("/").filter(Boolean);
      let d = root;
      for (const p of parts.slice(0, -1)) {
        let next = d.dirs.get(p);
        if (!next) d.dirs.set(p, (next = { files: new Map(), dirs: new Map() }));
        d = next;
      }
      d.files.set(parts[parts.length - 1], sha);
    }
    const write = (d: Dir): string => {
      const entries: TreeEntry[] = [];
      for (const [name, sha] of d.files) entries.push({ mode: "100644", name, objectId: sha, type: "blob" });
      for (const [name, sub] of d.dirs) entries.push({ mode: "40000", name, objectId: write(sub), type: "tree" });
      entries.sort((a, b) => Buffer.compare(Buffer.from(treeSortKey(a)), Buffer.from(treeSortKey(b))));
      const chunks: Uint8Array[] = [];
      for (const e of entries) {
        chunks.push(enc.encode(`${e.mode} ${e.name}\0`));
        chunks.push(Buffer.from(e.objectId, "hex"));
      }
      return this.put("tree", Buffer.concat(chunks));
    };
    return write(root);
  }

  /** path ("/a/b.txt") → blob id for a commit. */
  flatFiles(commitId: string): Map<string, string> {
    const cached = this.flatCache.get(commitId);
    if (cached) return cached;
    const meta = this.commits.get(commitId);
    if (!meta)
      throw new GitError(
        404,
        `TF401175: The version descriptor <Commit: ${commitId}> could not be resolved to a version in the repository ${this.name}`,
        "GitUnresolvableToCommitException",
      );
    const out = new Map<string, string>();
    const walk = (tree: string, prefix: string) => {
      for (const e of this.readTree(tree)) {
        if (e.type === "tree") walk(e.objectId, `${prefix}/${e.name}`);
        else out.set(`${prefix}/${e.name}`, e.objectId);
      }
    };
    walk(meta.treeId, "");
    this.flatCache.set(commitId, out);
    return out;
  }

  /** Object id of the tree or blob at a path in a commit. */
  resolvePath(commitId: string, path: string): { objectId: string; type: "blob" | "tree" } | undefined {
    const meta = this.commits.get(commitId)!;
    const parts = normPath(path).split("/").filter(Boolean);
    let cur: { objectId: string; type: "blob" | "tree" } = { objectId: meta.treeId, type: "tree" };
    for (const p of parts) {
      if (cur.type !== "tree") return undefined;
      // Git paths are case-sensitive: "/katalon" is not "/Katalon" (see docs/ado-fidelity.md).
      const e = this.readTree(cur.objectId).find((x) => x.name === p);
      if (!e) return undefined;
      cur = { objectId: e.objectId, type: e.type };
    }
    return cur;
  }

  writeCommit(c: Omit<CommitMeta, "commitId">): string {
    const line = (who: GitIdentity) => `${who.name} <${who.email}> ${Math.floor(Date.parse(who.date) / 1000)} +0000`;
    const text =
      `tree ${c.treeId}\n` +
      c.parents.map((p) => `parent ${p}\n`).join("") +
      `author ${line(c.author)}\ncommitter ${line(c.committer)}\n\n${c.comment}\n`;
    const commitId = this.put("commit", enc.encode(text));
    this.commits.set(commitId, { ...c, commitId });
    return commitId;
  }

  /** Applies file changes on top of a commit (or an empty tree) and writes a new commit. */
  commitChanges(
    parent: string | undefined,
    changes: FileChange[],
    meta: { comment: string; author: GitIdentity; pushId?: number },
  ): string {
    const flat = new Map(parent ? this.flatFiles(parent) : []);
    const renames = new Map<string, string>();
    for (const ch of changes) {
      const path = normPath(ch.path);
      const exists = flat.has(path);
      const blob = () => this.put("blob", typeof ch.content === "string" ? enc.encode(ch.content) : (ch.content ?? new Uint8Array()));
      switch (ch.changeType) {
        case "add":
          if (exists)
            throw new GitError(
              400,
              `TF402455: The path '${path}' specified in the add operation already exists. Please specify a new path.`,
              "GitPathAlreadyExistsException" as string,
            );
          flat.set(path, blob());
          break;
        case "edit":
          if (!exists)
            throw new GitError(
              400,
              `TF401174: The item '${path}' could not be found in the repository at the version specified.`,
              "GitItemNotFoundException",
            );
          flat.set(path, blob());
          break;
        case "delete":
          if (!exists)
            throw new GitError(
              400,
              `TF401174: The item '${path}' could not be found in the repository at the version specified.`,
              "GitItemNotFoundException",
            );
          flat.delete(path);
          break;
        case "rename": {
          const src = normPath(ch.sourcePath ?? "");
          if (!flat.has(src))
            throw new GitError(
              400,
              `TF401174: The item '${src}' could not be found in the repository at the version specified.`,
              "GitItemNotFoundException",
            );
          const sha = ch.content !== undefined ? blob() : flat.get(src)!;
          flat.delete(src);
          flat.set(path, sha);
          renames.set(path, src);
          break;
        }
        default:
          throw new GitError(400, `Unsupported change type '${String(ch.changeType)}'.`, "ArgumentException");
      }
    }
    const treeId = this.buildTree(flat);
    const who = meta.author;
    const id = this.writeCommit({
      treeId,
      parents: parent ? [parent] : [],
      author: who,
      committer: who,
      comment: meta.comment,
      pushId: meta.pushId,
    });
    if (renames.size) this.renames.set(id, renames);
    return id;
  }

  /** Commits reachable from a commit, newest first (first-parent history). */
  history(commitId: string): CommitMeta[] {
    const out: CommitMeta[] = [];
    let cur: string | undefined = commitId;
    while (cur) {
      const c = this.commits.get(cur);
      if (!c) break;
      out.push(c);
      cur = c.parents[0];
    }
    return out;
  }
}
