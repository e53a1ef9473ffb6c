// The host services a page gets from SDK.getService(id), implemented against the host's state. Each
// object is typed with the interface from azure-devops-extension-api, so a signature that drifts from
// the real one fails the type check. Methods a service does not have here are absent on purpose: the
// page then gets XDM's "RPC method not found", never a silent fake answer.
import type {
  ExtensionDataCollection,
  IDocumentOptions,
  IExtensionDataManager,
  IExtensionDataService,
  IGlobalMessageBanner,
  IGlobalMessagesService,
  IHostNavigationService,
  IHostPageLayoutService,
  ILocationService,
  IMessageDialogOptions,
  IPanelOptions,
  IDialogOptions,
  IProjectPageService,
  IToast,
} from "azure-devops-extension-api";
import type { IWorkItemFormService, WorkItemOptions } from "azure-devops-extension-api/WorkItemTracking";
import type { WorkItemForm } from "./form.js";

export interface HostEnv {
  orgName(): string;
  orgUrl(): string;
  userId(): string;
  project(): { id: string; name: string } | undefined;
  form(): WorkItemForm | undefined;
  openContent(kind: "panel" | "dialog", contributionId: string, options: IPanelOptions<unknown> & IDialogOptions<unknown>): void;
  messageDialog(message: string, options: IMessageDialogOptions): void;
  toast(toast: IToast): void;
  banner(banner: IGlobalMessageBanner | undefined): void;
  reloadFrame(): void;
  navigation: NavigationState;
  extensionData: Map<string, Map<string, Doc>>;
  fullScreen: { value: boolean };
}

export interface NavigationState {
  hash: string;
  query: Record<string, string>;
  title: string;
  /** Every navigation a page asked for, for tests and the host log. */
  records: { method: string; args: unknown[] }[];
  hashListeners: ((hash: string) => void)[];
}

type Doc = { id: string; __etag: number; [k: string]: unknown };

/** An Error the way XDM sends it: message plus a typeKey the page can branch on. */
function adoError(message: string, typeKey: string, status: number): Error {
  return Object.assign(new Error(message), { typeKey, status });
}

function extensionDataManager(env: HostEnv, extensionId: string): IExtensionDataManager {
  const collection = (name: string, o?: IDocumentOptions) => {
    const scopeType = (o?.scopeType ?? "Default").toLowerCase() === "user" ? "User" : "Default";
    const scopeValue = scopeType === "User" ? env.userId() : "Current";
    const key = `${extensionId}|${scopeType}|${scopeValue}|${name.toLowerCase()}`;
    let docs = env.extensionData.get(key);
    if (!docs) env.extensionData.set(key, (docs = new Map()));
    return { docs, scopeType, scopeValue };
  };
  const notFound = (id: string) => adoError(`The document '${id}' does not exist.`, "DocumentDoesNotExistException", 404);
  const copy = <T>(x: T): T => (x === undefined ? x : (JSON.parse(JSON.stringify(x)) as T));
  const m: IExtensionDataManager = {
    async getValue<T>(key: string, o?: IDocumentOptions): Promise<T> {
      const doc = collection("$settings", o).docs.get(key);
      return copy(doc ? (doc.value as T) : (o?.defaultValue as T));
    },
    async setValue<T>(key: string, value: T, o?: IDocumentOptions): Promise<T> {
      const { docs } = collection("$settings", o);
      const prev = docs.get(key);
      docs.set(key, { id: key, __etag: (prev?.__etag ?? 0) + 1, value: copy(value) });
      return value;
    },
    async getDocument(name: string, id: string, o?: IDocumentOptions) {
      const doc = collection(name, o).docs.get(id);
      if (!doc) throw notFound(id);
      return copy(doc);
    },
    async getDocuments(name: string, o?: IDocumentOptions) {
      return [...collection(name, o).docs.values()].map(copy);
    },
    async createDocument(name: string, doc: Doc, o?: IDocumentOptions) {
      const { docs } = collection(name, o);
      const id = doc.id ?? crypto.randomUUID();
      if (docs.has(id)) throw adoError(`The document '${id}' already exists.`, "DocumentExistsException", 409);
      const stored = { ...copy(doc), id, __etag: 1 };
      docs.set(id, stored);
      return copy(stored);
    },
    async setDocument(name: string, doc: Doc, o?: IDocumentOptions) {
      const { docs } = collection(name, o);
      const id = doc.id ?? crypto.randomUUID();
      const stored = { ...copy(doc), id, __etag: (docs.get(id)?.__etag ?? 0) + 1 };
      docs.set(id, stored);
      return copy(stored);
    },
    async updateDocument(name: string, doc: Doc, o?: IDocumentOptions) {
      const { docs } = collection(name, o);
      const prev = docs.get(doc.id);
      if (!prev) throw notFound(doc.id);
      // -1 means "last write wins"; anything else must match the stored version.
      if (doc.__etag !== -1 && doc.__etag !== prev.__etag)
        throw adoError(
          `The document '${doc.id}' was changed by someone else (etag ${prev.__etag}).`,
          "InvalidDocumentVersionException",
          409,
        );
      const stored = { ...copy(doc), id: doc.id, __etag: prev.__etag + 1 };
      docs.set(doc.id, stored);
      return copy(stored);
    },
    async deleteDocument(name: string, id: string, o?: IDocumentOptions) {
      if (!collection(name, o).docs.delete(id)) throw notFound(id);
    },
    async queryCollectionsByName(names: string[]): Promise<ExtensionDataCollection[]> {
      return names.map((n) => {
        const c = collection(n);
        return { collectionName: n, documents: [...c.docs.values()].map(copy), scopeType: c.scopeType, scopeValue: c.scopeValue };
      });
    },
    async queryCollections(cols: ExtensionDataCollection[]): Promise<ExtensionDataCollection[]> {
      return cols.map((q) => {
        const c = collection(q.collectionName, { scopeType: q.scopeType });
        return {
          collectionName: q.collectionName,
          documents: [...c.docs.values()].map(copy),
          scopeType: c.scopeType,
          scopeValue: c.scopeValue,
        };
      });
    },
  };
  return m;
}

const VSSPS = "951917ac-a960-4999-8464-e3f0aa25b381";

function workItemFormService(env: HostEnv): IWorkItemFormService {
  const form = () => {
    const f = env.form();
    if (!f) throw adoError("There is no active work item.", "InvalidOperationException", 400);
    return f;
  };
  const original = (o?: boolean | WorkItemOptions) => (typeof o === "boolean" ? o : !!o?.returnOriginalValue);
  const svc = {
    async getId() {
      return form().id;
    },
    async getRevision() {
      return form().rev;
    },
    async getFields() {
      const f = form();
      return f.fieldsOfItem(Object.keys(f.values));
    },
    async getFieldValue(ref: string, o?: boolean | WorkItemOptions) {
      return form().value(ref, original(o)) as object;
    },
    async getIdentityFieldValue(ref: string, o?: WorkItemOptions) {
      return form().value(ref, original(o)) as never;
    },
    async getFieldValues(refs: string[], o?: boolean | WorkItemOptions) {
      const f = form();
      return Object.fromEntries(refs.map((r) => [r, f.value(r, original(o)) as object]));
    },
    async setFieldValue(ref: string, value: object) {
      return form().set({ [ref]: value });
    },
    async setFieldValues(fields: Record<string, object>) {
      const f = form();
      f.set(fields);
      return Object.fromEntries(Object.keys(fields).map((k) => [k, true]));
    },
    async getAllowedFieldValues(ref: string) {
      const f = form();
      const field = (await f.allFields()).find((x) => x.referenceName.toLowerCase() === ref.toLowerCase());
      return (field as unknown as { allowedValues?: object[] })?.allowedValues ?? [];
    },
    async isDirty() {
      return form().dirty.size > 0;
    },
    async isNew() {
      return form().id === 0;
    },
    async isValid() {
      return !form().saveError;
    },
    async setError(message: string) {
      form().showError(message);
    },
    async clearError() {
      form().showError(undefined);
    },
    async save() {
      await form().save();
    },
    async refresh() {
      await form().refresh();
    },
    async reset() {
      form().reset();
    },
    async getInvalidFields() {
      return [];
    },
    async getDirtyFields() {
      const f = form();
      return f.fieldsOfItem(f.dirty);
    },
    async getWorkItemRelations() {
      return form().relations;
    },
    async getWorkItemResourceUrl(id: number) {
      return `${env.orgUrl()}_apis/wit/workItems/${id}`;
    },
    async hasActiveWorkItem() {
      return !!env.form();
    },
    async beginSaveWorkItem(success: () => void, error: () => void) {
      form().save().then(success, error);
    },
  };
  return svc as unknown as IWorkItemFormService;
}

/** The service objects by contribution id, as SDK.getService(id) asks for them. */
export function createServices(env: HostEnv, extensionId: string): Record<string, () => unknown> {
  const location: ILocationService = {
    async getServiceLocation(serviceInstanceType?: string) {
      if (serviceInstanceType?.toLowerCase() === VSSPS) return `https://vssps.dev.azure.com/${env.orgName()}/`;
      return env.orgUrl();
    },
    async getResourceAreaLocation() {
      return env.orgUrl();
    },
    async routeUrl() {
      throw adoError("routeUrl is not simulated by the fake host (it needs the server's route table).", "NotSupportedException", 501);
    },
  };
  const projectPage: IProjectPageService = {
    async getProject() {
      const p = env.project();
      return p ? { id: p.id, name: p.name } : undefined;
    },
  };
  const extensionData: IExtensionDataService = {
    async getExtensionDataManager(id: string) {
      return extensionDataManager(env, id || extensionId);
    },
  };
  const nav = env.navigation;
  const record = (method: string, ...args: unknown[]) => nav.records.push({ method, args });
  const setHash = (method: string, hash: string) => {
    record(method, hash);
    nav.hash = hash.replace(/^#/, "");
    for (const l of nav.hashListeners) l(nav.hash);
  };
  const navigation: IHostNavigationService = {
    async getHash() {
      return nav.hash;
    },
    async getPageNavigationElements() {
      return [];
    },
    async getPageRoute() {
      const p = env.project();
      return { id: "ms.vss-tfs-web.fake-host-route", routeValues: { project: p?.name ?? "", organization: env.orgName() } };
    },
    async getQueryParams() {
      return { ...nav.query };
    },
    navigate: (url: string) => record("navigate", url),
    onHashChanged: (cb: (hash: string) => void) => {
      nav.hashListeners.push(cb);
    },
    openNewWindow: (url: string, features: string) => record("openNewWindow", url, features),
    reload: () => {
      record("reload");
      env.reloadFrame();
    },
    replaceHash: (hash: string) => setHash("replaceHash", hash),
    setDocumentTitle: (title: string) => {
      record("setDocumentTitle", title);
      nav.title = title;
    },
    setHash: (hash: string) => setHash("setHash", hash),
    setQueryParams: (params: Record<string, string>) => {
      record("setQueryParams", params);
      nav.query = { ...nav.query, ...params };
    },
  };
  const layout: IHostPageLayoutService = {
    async getFullScreenMode() {
      return env.fullScreen.value;
    },
    setFullScreenMode: (v: boolean) => {
      env.fullScreen.value = v;
    },
    openPanel: (id, options) => env.openContent("panel", id, options as IPanelOptions<unknown>),
    openCustomDialog: (id, options) => env.openContent("dialog", id, (options ?? {}) as IDialogOptions<unknown>),
    openMessageDialog: (message, options) => env.messageDialog(message, options ?? {}),
  };
  const messages: IGlobalMessagesService = {
    addBanner: (b) => env.banner(b),
    closeBanner: () => env.banner(undefined),
    addToast: (t) => env.toast(t),
    addDialog: (d) => env.messageDialog(d.message ?? "", { title: d.title, onClose: () => d.onDismiss?.() }),
    closeDialog: () => undefined,
  };
  return {
    "ms.vss-features.location-service": () => location,
    "ms.vss-tfs-web.tfs-page-data-service": () => projectPage,
    "ms.vss-features.extension-data-service": () => extensionData,
    "ms.vss-features.host-navigation-service": () => navigation,
    "ms.vss-features.host-page-layout-service": () => layout,
    "ms.vss-tfs-web.tfs-global-messages-service": () => messages,
    "ms.vss-work-web.work-item-form": () => workItemFormService(env),
  };
}
