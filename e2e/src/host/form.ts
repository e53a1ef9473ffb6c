// The work item the fake form shows: loaded from and saved to the simulator (through the host server,
// as the signed-in user), with ADO's dirty/original-value semantics for the form service.
import type { WorkItemField, WorkItemRelation } from "azure-devops-extension-api/WorkItemTracking";

type Fields = Record<string, unknown>;

interface WorkItemJson {
  id: number;
  rev: number;
  fields: Fields;
  relations?: WorkItemRelation[];
  message?: string;
}

export interface FormListener {
  onFieldChanged(changed: Fields): void;
  onSaved(): void;
  onReset(): void;
  onRefreshed(): void;
  render(): void;
}

export class WorkItemForm {
  id = 0;
  rev = 0;
  original: Fields = {};
  values: Fields = {};
  relations: WorkItemRelation[] = [];
  readonly dirty = new Set<string>();
  error?: string;
  saveError?: string;
  private fields?: WorkItemField[];

  constructor(
    readonly org: string,
    readonly userId: string,
    private readonly listener: FormListener,
  ) {}

  private api(path: string, init?: RequestInit) {
    const sep = path.includes("?") ? "&" : "?";
    return fetch(`/api/orgs/${encodeURIComponent(this.org)}/${path}${sep}user=${encodeURIComponent(this.userId)}`, init);
  }

  private apply(w: WorkItemJson) {
    this.id = w.id;
    this.rev = w.rev;
    this.original = { ...w.fields };
    this.values = { ...w.fields };
    this.relations = w.relations ?? [];
    this.dirty.clear();
  }

  async load(id: number): Promise<void> {
    const res = await this.api(`workitems/${id}`);
    const body = (await res.json()) as WorkItemJson;
    if (!res.ok) throw new Error(body.message ?? `Work item ${id} could not be read (${res.status})`);
    this.apply(body);
  }

  async allFields(): Promise<WorkItemField[]> {
    if (!this.fields) {
      const res = await this.api("fields");
      const body = (await res.json()) as { value?: WorkItemField[]; message?: string };
      if (!res.ok) throw new Error(body.message ?? `Fields could not be read (${res.status})`);
      this.fields = body.value ?? [];
    }
    return this.fields;
  }

  /** Fields of this item (the ones it has values for), as WorkItemField objects. */
  async fieldsOfItem(refs: Iterable<string>): Promise<WorkItemField[]> {
    const all = await this.allFields();
    const want = new Set([...refs].map((r) => r.toLowerCase()));
    return all.filter((f) => want.has(f.referenceName.toLowerCase()));
  }

  value(ref: string, original = false): unknown {
    const source = original ? this.original : this.values;
    const key = Object.keys(source).find((k) => k.toLowerCase() === ref.toLowerCase());
    return key ? source[key] : undefined;
  }

  /** A user (or the page, through setFieldValue) changed fields: mark dirty and tell the listeners. */
  set(changes: Fields): boolean {
    const changed: Fields = {};
    for (const [ref, v] of Object.entries(changes)) {
      const key = Object.keys(this.values).find((k) => k.toLowerCase() === ref.toLowerCase()) ?? ref;
      if (this.values[key] === v) continue;
      this.values[key] = v;
      if (this.original[key] === v) this.dirty.delete(key);
      else this.dirty.add(key);
      changed[key] = v;
    }
    if (Object.keys(changed).length) {
      this.listener.onFieldChanged(changed);
      this.listener.render();
    }
    return true;
  }

  async save(): Promise<void> {
    if (!this.dirty.size) return;
    const fields: Fields = {};
    for (const k of this.dirty) fields[k] = this.values[k] ?? null;
    const res = await this.api(`workitems/${this.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fields }),
    });
    const body = (await res.json()) as WorkItemJson;
    if (!res.ok) {
      this.saveError = body.message ?? `Save failed (${res.status})`;
      this.listener.render();
      throw new Error(this.saveError);
    }
    this.saveError = undefined;
    this.apply(body);
    this.listener.onSaved();
    this.listener.render();
  }

  /** setError()/clearError(): the message the form shows above its fields. */
  showError(message: string | undefined): void {
    this.error = message;
    this.listener.render();
  }

  reset(): void {
    this.values = { ...this.original };
    this.dirty.clear();
    this.listener.onReset();
    this.listener.render();
  }

  async refresh(): Promise<void> {
    await this.load(this.id);
    this.listener.onRefreshed();
    this.listener.render();
  }
}
