// A WIQL subset: flat queries over WorkItems with AND/OR/NOT, =, <>, <, >, <=, >=, IN, NOT IN,
// IN GROUP, UNDER, CONTAINS, macros @project/@me/@today, ORDER BY. Returns ids only, like ADO.
import { FIELD_BY_NAME, FIELD_BY_REF, getProcess, type FieldDef } from "./processes";
import type { Org, Project, User } from "./state";
import { badRequest } from "./http";
import { witError } from "./witmodel";

type Tok = { t: "id" | "str" | "num" | "field" | "op" | "punct" | "macro"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "[") {
      const j = src.indexOf("]", i);
      if (j < 0) throw syntax(src, i);
      out.push({ t: "field", v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length) {
        if (src[j] === c && src[j + 1] === c) {
          s += c;
          j += 2;
        } else if (src[j] === c) break;
        else s += src[j++];
      }
      if (j >= src.length) throw syntax(src, i);
      out.push({ t: "str", v: s });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? "") && out.length && out[out.length - 1].t === "op")) {
      let j = i + 1;
      while (j < src.length && /[0-9.]/.test(src[j])) j++;
      out.push({ t: "num", v: src.slice(i, j) });
      i = j;
    } else if (c === "@") {
      let j = i + 1;
      while (j < src.length && /[A-Za-z]/.test(src[j])) j++;
      out.push({ t: "macro", v: src.slice(i + 1, j).toLowerCase() });
      i = j;
    } else if ("<>=!".includes(c)) {
      let j = i + 1;
      while (j < src.length && "<>=".includes(src[j])) j++;
      out.push({ t: "op", v: src.slice(i, j) });
      i = j;
    } else if ("(),+-*".includes(c)) {
      out.push({ t: "punct", v: c });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z_.]/.test(src[j])) j++;
      out.push({ t: "id", v: src.slice(i, j) });
      i = j;
    } else throw syntax(src, i);
  }
  return out;
}

function syntax(src: string, at: number) {
  return witError(
    400,
    `TF51006: The query statement is missing a clause or has a syntax error. The error is caused by «${src.slice(at, at + 20)}».`,
    "WorkItemTrackingQueryInvalidSyntaxException",
  );
}

type Value = { kind: "lit"; v: string | number } | { kind: "macro"; name: string; offset: number };
export type Cond =
  { k: "and" | "or"; a: Cond; b: Cond } | { k: "not"; a: Cond } | { k: "cmp"; field: FieldDef; op: string; values: Value[] };

export interface ParsedWiql {
  columns: FieldDef[];
  where?: Cond;
  orderBy: { field: FieldDef; desc: boolean }[];
}

function fieldDef(name: string): FieldDef {
  const d = FIELD_BY_REF.get(name.toLowerCase()) ?? FIELD_BY_NAME.get(name.toLowerCase());
  if (!d)
    throw witError(
      400,
      `TF51005: The query references a field that does not exist. The error is caused by «${name}».`,
      "WorkItemTrackingQueryFieldNotFoundException" as string,
    );
  return d;
}

export function parseWiql(src: string): ParsedWiql {
  if (src.length > 32_768)
    throw witError(
      400,
      "VS402336: The WIQL query is too long. The maximum length is 32K characters.",
      "WorkItemTrackingQueryTooLongException",
    );
  const toks = tokenize(src);
  let p = 0;
  const peekKw = (kw: string, off = 0) => toks[p + off]?.t === "id" && toks[p + off].v.toUpperCase() === kw;
  const expectKw = (kw: string) => {
    if (!peekKw(kw)) throw syntax(src, 0);
    p++;
  };
  expectKw("SELECT");
  const columns: FieldDef[] = [];
  if (toks[p]?.v === "*") p++;
  else
    for (;;) {
      const t = toks[p++];
      if (t?.t !== "field") throw syntax(src, 0);
      columns.push(fieldDef(t.v));
      if (toks[p]?.v === ",") p++;
      else break;
    }
  expectKw("FROM");
  const from = toks[p++];
  if (!from || from.v.toLowerCase() !== "workitems") {
    if (from && from.v.toLowerCase() === "workitemlinks")
      throw badRequest("The simulator supports only flat queries (FROM WorkItems).", "NotSupportedException");
    throw syntax(src, 0);
  }
  const value = (): Value => {
    const t = toks[p++];
    if (!t) throw syntax(src, src.length);
    if (t.t === "str") return { kind: "lit", v: t.v };
    if (t.t === "num") return { kind: "lit", v: Number(t.v) };
    if (t.t === "macro") {
      let offset = 0;
      if (toks[p]?.v === "+" || toks[p]?.v === "-") {
        const sign = toks[p].v === "-" ? -1 : 1;
        p++;
        offset = sign * Number(toks[p++]?.v ?? 0);
      } else if (toks[p]?.t === "num" && toks[p].v.startsWith("-")) offset = Number(toks[p++].v);
      return { kind: "macro", name: t.v, offset };
    }
    throw syntax(src, 0);
  };
  const valueList = (): Value[] => {
    if (toks[p++]?.v !== "(") throw syntax(src, 0);
    const vs: Value[] = [];
    for (;;) {
      vs.push(value());
      const t = toks[p++];
      if (t?.v === ")") break;
      if (t?.v !== ",") throw syntax(src, 0);
    }
    return vs;
  };
  const condition = (): Cond => {
    const t = toks[p++];
    if (t?.t !== "field") throw syntax(src, 0);
    const field = fieldDef(t.v);
    let not = false;
    if (peekKw("NOT")) {
      not = true;
      p++;
    }
    let op: string;
    let values: Value[];
    if (toks[p]?.t === "op") {
      op = toks[p++].v;
      values = [value()];
    } else if (peekKw("IN") && peekKw("GROUP", 1)) {
      p += 2;
      op = "ingroup";
      values = [value()];
    } else if (peekKw("IN")) {
      p++;
      op = "in";
      values = valueList();
    } else if (peekKw("UNDER")) {
      p++;
      op = "under";
      values = [value()];
    } else if (peekKw("CONTAINS")) {
      p++;
      if (peekKw("WORDS")) p++;
      op = "contains";
      values = [value()];
    } else if (peekKw("EVER")) {
      p++;
      op = "=";
      values = [value()];
    } else throw syntax(src, 0);
    const c: Cond = { k: "cmp", field, op, values };
    return not ? { k: "not", a: c } : c;
  };
  const factor = (): Cond => {
    if (peekKw("NOT")) {
      p++;
      return { k: "not", a: factor() };
    }
    if (toks[p]?.v === "(") {
      p++;
      const e = expr();
      if (toks[p++]?.v !== ")") throw syntax(src, 0);
      return e;
    }
    return condition();
  };
  const term = (): Cond => {
    let a = factor();
    while (peekKw("AND")) {
      p++;
      a = { k: "and", a, b: factor() };
    }
    return a;
  };
  const expr = (): Cond => {
    let a = term();
    while (peekKw("OR")) {
      p++;
      a = { k: "or", a, b: term() };
    }
    return a;
  };
  let where: Cond | undefined;
  if (peekKw("WHERE")) {
    p++;
    where = expr();
  }
  const orderBy: ParsedWiql["orderBy"] = [];
  if (peekKw("ORDER")) {
    p++;
    expectKw("BY");
    for (;;) {
      const t = toks[p++];
      if (t?.t !== "field") throw syntax(src, 0);
      let desc = false;
      if (peekKw("DESC")) {
        desc = true;
        p++;
      } else if (peekKw("ASC")) p++;
      orderBy.push({ field: fieldDef(t.v), desc });
      if (toks[p]?.v === ",") p++;
      else break;
    }
  }
  if (peekKw("ASOF")) p += 2;
  if (peekKw("MODE")) while (p < toks.length) p++;
  if (p < toks.length) throw syntax(src, 0);
  return { columns, where, orderBy };
}

export interface EvalContext {
  org: Org;
  project?: Project;
  me: User;
  users: Map<string, User>;
  now: Date;
  timePrecision: boolean;
}

const DAY = 86_400_000;

function resolveValue(v: Value, field: FieldDef, ec: EvalContext): string | number {
  if (v.kind === "lit") {
    if (field.type === "dateTime" && typeof v.v === "string" && !ec.timePrecision && /T\d|\d:\d/.test(v.v))
      throw witError(
        400,
        `VS402625: Dates and times in a query using date precision must not have a time. The error is caused by «${v.v}».`,
        "WorkItemTrackingQueryInvalidDateException" as string,
      );
    return v.v;
  }
  switch (v.name) {
    case "project":
      if (!ec.project)
        throw witError(
          400,
          "VS402350: The @project macro requires a project context; call the project-level WIQL URL.",
          "WorkItemTrackingQueryMissingProjectException" as string,
        );
      return ec.project.name;
    case "me":
      return `${ec.me.displayName} <${ec.me.uniqueName}>`;
    case "today": {
      const d = new Date(ec.now);
      d.setUTCHours(0, 0, 0, 0);
      return new Date(d.getTime() + v.offset * DAY).toISOString();
    }
    default:
      throw witError(
        400,
        `TF51011: The macro @${v.name} is not supported by the simulator.`,
        "WorkItemTrackingQueryInvalidMacroException" as string,
      );
  }
}

export function compileWhere(cond: Cond | undefined, ec: EvalContext): (id: number) => boolean {
  if (!cond) return () => true;
  const store = ec.org.workItems;
  const groupCache = new Map<string, Set<string>>();
  const groupTypes = (projectName: string, category: string) => {
    const key = `${projectName}|${category}`.toLowerCase();
    let s = groupCache.get(key);
    if (!s) {
      const project = ec.org.projects.find((x) => x.name === projectName);
      const cat = project
        ? getProcess(project.processName).categories.find((c) => c.referenceName.toLowerCase() === category.toLowerCase())
        : undefined;
      s = new Set((cat?.types ?? []).map((t) => t.toLowerCase()));
      groupCache.set(key, s);
    }
    return s;
  };
  const fieldValue = (id: number, f: FieldDef): unknown => {
    const v = store.field(id, f.referenceName);
    if (f.isIdentity && v != null) {
      const u = ec.users.get(String(v));
      return u ? `${u.displayName} <${u.uniqueName}>` : v;
    }
    return v;
  };
  const cmp = (f: FieldDef, a: unknown, b: string | number): number => {
    if (a === undefined || a === null) return NaN;
    if (f.type === "dateTime") {
      let x = Date.parse(String(a));
      let y = Date.parse(String(b));
      if (!ec.timePrecision) {
        x = Math.floor(x / DAY) * DAY;
        y = Math.floor(y / DAY) * DAY;
      }
      return x - y;
    }
    if (f.type === "integer" || f.type === "double") return Number(a) - Number(b);
    if (f.isIdentity) {
      const s = String(a).toLowerCase();
      const t = String(b).toLowerCase();
      if (s === t || s.startsWith(`${t} <`) || s.endsWith(`<${t}>`)) return 0;
      return s < t ? -1 : 1;
    }
    const s = String(a).toLowerCase();
    const t = String(b).toLowerCase();
    return s === t ? 0 : s < t ? -1 : 1;
  };
  const build = (c: Cond): ((id: number) => boolean) => {
    if (c.k === "and") {
      const a = build(c.a);
      const b = build(c.b);
      return (id) => a(id) && b(id);
    }
    if (c.k === "or") {
      const a = build(c.a);
      const b = build(c.b);
      return (id) => a(id) || b(id);
    }
    if (c.k === "not") {
      const a = build(c.a);
      return (id) => !a(id);
    }
    if (c.k !== "cmp") throw new Error("unreachable");
    const f = c.field;
    const vals = c.values.map((v) => resolveValue(v, f, ec));
    switch (c.op) {
      case "=":
        return (id) => cmp(f, fieldValue(id, f), vals[0]) === 0;
      case "<>":
      case "!=":
        return (id) => !(cmp(f, fieldValue(id, f), vals[0]) === 0);
      case ">":
        return (id) => cmp(f, fieldValue(id, f), vals[0]) > 0;
      case "<":
        return (id) => cmp(f, fieldValue(id, f), vals[0]) < 0;
      case ">=":
        return (id) => cmp(f, fieldValue(id, f), vals[0]) >= 0;
      case "<=":
        return (id) => cmp(f, fieldValue(id, f), vals[0]) <= 0;
      case "in":
        return (id) => {
          const v = fieldValue(id, f);
          return vals.some((x) => cmp(f, v, x) === 0);
        };
      case "under": {
        const base = String(vals[0]).replace(/^\\+/, "").toLowerCase();
        return (id) => {
          const v = String(fieldValue(id, f) ?? "").toLowerCase();
          return v === base || v.startsWith(`${base}\\`);
        };
      }
      case "contains": {
        const needle = String(vals[0]).toLowerCase();
        return (id) =>
          String(fieldValue(id, f) ?? "")
            .toLowerCase()
            .includes(needle);
      }
      case "ingroup": {
        if (f.referenceName !== "System.WorkItemType")
          throw badRequest("IN GROUP is supported for [System.WorkItemType] only.", "NotSupportedException");
        const category = String(vals[0]);
        return (id) => {
          const project = String(store.field(id, "System.TeamProject"));
          return groupTypes(project, category).has(String(store.field(id, "System.WorkItemType")).toLowerCase());
        };
      }
      default:
        throw badRequest(`Unsupported operator ${c.op}`);
    }
  };
  return build(cond);
}

export function sortIds(ids: number[], org: Org, orderBy: ParsedWiql["orderBy"]): number[] {
  if (!orderBy.length) return ids;
  const store = org.workItems;
  const keys = orderBy.map((o) => ({ ...o, values: new Map(ids.map((id) => [id, store.field(id, o.field.referenceName)])) }));
  return [...ids].sort((a, b) => {
    for (const k of keys) {
      const x = k.values.get(a);
      const y = k.values.get(b);
      let c = 0;
      if (x === y) c = 0;
      else if (x === undefined || x === null) c = -1;
      else if (y === undefined || y === null) c = 1;
      else if (typeof x === "number" && typeof y === "number") c = x - y;
      else c = String(x).localeCompare(String(y));
      if (c !== 0) return k.desc ? -c : c;
    }
    return a - b;
  });
}
