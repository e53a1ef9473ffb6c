/**
 * Jest stand-in for azure-devops-extension-sdk (its CommonJS entry is AMD and its handshake needs a
 * real browser; the browser harness in e2e/ tests the real one). Tests drive it through `sdkMock`.
 */
type Listener = Record<string, ((...args: unknown[]) => unknown) | undefined>;

export const sdkMock = {
  user: { id: "user-admin", name: "admin@fabrikam.example", displayName: "Ada Admin", descriptor: "aad.user", imageUrl: "" },
  host: { id: "org-fabrikam", name: "fabrikam", serviceVersion: "test", type: 4, isHosted: true },
  contributionId: "testops.testops-azure-devops.test",
  configuration: {} as Record<string, unknown>,
  webContext: { project: { id: "proj-1", name: "Fabrikam Fiber" }, team: { id: "team-1", name: "Fabrikam Fiber Team" } } as Record<
    string,
    unknown
  >,
  services: new Map<string, unknown>(),
  registered: new Map<string, unknown>(),
  appToken: "app-token",
  accessToken: "access-token",
  loaded: 0,
  failed: [] as unknown[],
  reset() {
    this.services.clear();
    this.registered.clear();
    this.configuration = {};
    this.loaded = 0;
    this.failed = [];
    this.services.set("ms.vss-features.location-service", { getServiceLocation: async () => "https://dev.azure.com/fabrikam/" });
    this.services.set("ms.vss-tfs-web.tfs-page-data-service", { getProject: async () => ({ id: "proj-1", name: "Fabrikam Fiber" }) });
  },
  /** Calls a method of what the page registered (e.g. the work item form listener). */
  async fire(method: string, ...args: unknown[]) {
    const entry = this.registered.get(this.contributionId);
    const obj = (typeof entry === "function" ? (entry as () => Listener)() : entry) as Listener;
    return obj?.[method]?.(...args);
  },
};
sdkMock.reset();

export const init = async () => undefined;
export const ready = async () => undefined;
export const notifyLoadSucceeded = async () => {
  sdkMock.loaded++;
};
export const notifyLoadFailed = async (e: unknown) => {
  sdkMock.failed.push(e);
};
export const getUser = () => sdkMock.user;
export const getHost = () => sdkMock.host;
export const getContributionId = () => sdkMock.contributionId;
export const getConfiguration = () => sdkMock.configuration;
export const getWebContext = () => sdkMock.webContext;
export const getTeamContext = () => sdkMock.webContext.team;
export const getExtensionContext = () => ({
  id: "testops.testops-azure-devops",
  publisherId: "testops",
  extensionId: "testops-azure-devops",
  version: "0.1.0",
});
export const getService = async <T>(id: string): Promise<T> => {
  if (!sdkMock.services.has(id)) throw new Error(`sdkMock: no service ${id}`);
  return sdkMock.services.get(id) as T;
};
export const register = (id: string, obj: unknown) => {
  sdkMock.registered.set(id, obj);
};
export const unregister = (id: string) => {
  sdkMock.registered.delete(id);
};
export const getAppToken = async () => sdkMock.appToken;
export const getAccessToken = async () => sdkMock.accessToken;
export const resize = () => undefined;
export const applyTheme = () => undefined;
