import * as SDK from "azure-devops-extension-sdk";
import type { IHostNavigationService, ILocationService, IProjectInfo, IProjectPageService } from "azure-devops-extension-api";

// CommonServiceIds is an ambient const enum (unusable under isolatedModules): use its string ids.
export const ServiceIds = {
  location: "ms.vss-features.location-service",
  projectPage: "ms.vss-tfs-web.tfs-page-data-service",
  hostNavigation: "ms.vss-features.host-navigation-service",
  workItemForm: "ms.vss-work-web.work-item-form",
} as const;

export interface HostContext {
  user: { id: string; name: string; displayName: string };
  host: { id: string; name: string };
  /** Collection (organization) URL, e.g. https://dev.azure.com/fabrikam/ */
  collectionUrl: string;
  project?: IProjectInfo;
}

let initPromise: Promise<HostContext> | undefined;

/** SDK handshake once per frame; keeps the host's spinner until the page says it has loaded. */
export function initSdk(o: { needsProject?: boolean } = {}): Promise<HostContext> {
  initPromise ??= (async () => {
    await SDK.init({ loaded: false, applyTheme: true });
    await SDK.ready();
    const location = await SDK.getService<ILocationService>(ServiceIds.location);
    const collectionUrl = await location.getServiceLocation();
    let project: IProjectInfo | undefined;
    if (o.needsProject) {
      const pages = await SDK.getService<IProjectPageService>(ServiceIds.projectPage);
      project = await pages.getProject();
    }
    const user = SDK.getUser();
    const host = SDK.getHost();
    return {
      user: { id: user.id, name: user.name, displayName: user.displayName },
      host: { id: host.id, name: host.name },
      collectionUrl,
      project,
    };
  })();
  return initPromise;
}

/** The Azure DevOps page URL's query (a link can open a hub on one of its views); {} when the host cannot tell. */
export async function hostQuery(): Promise<Record<string, string>> {
  try {
    return await (await SDK.getService<IHostNavigationService>(ServiceIds.hostNavigation)).getQueryParams();
  } catch {
    return {};
  }
}

/** Keeps the page URL's query in step with what the hub shows, so the address can be shared. */
export async function setHostQuery(params: Record<string, string>): Promise<void> {
  try {
    (await SDK.getService<IHostNavigationService>(ServiceIds.hostNavigation)).setQueryParams(params);
  } catch {
    // The address just does not follow.
  }
}

export const notifyLoaded = () => SDK.notifyLoadSucceeded();
export const notifyFailed = (e: unknown) => SDK.notifyLoadFailed(e instanceof Error ? e : String(e));
export { SDK };
