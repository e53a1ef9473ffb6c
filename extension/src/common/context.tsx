import * as React from "react";
import { createApi, unwrap, type Api } from "./api";
import { initSdk, type HostContext } from "./sdk";
import { ErrorCard, Loading, useLoad } from "./ui";

export interface PageContext extends HostContext {
  api: Api;
  me: { userId: string; organization: { id: string; name: string; url: string }; isOrgAdmin: boolean };
}

const Ctx = React.createContext<PageContext | undefined>(undefined);

export function usePage(): PageContext {
  const v = React.useContext(Ctx);
  if (!v) throw new Error("usePage outside <PageProvider>");
  return v;
}

/** SDK handshake + backend identity, then the page. Failures show a message the user can act on. */
export function PageProvider({ needsProject, children }: { needsProject?: boolean; children: React.ReactNode }) {
  const [state, retry] = useLoad(async (): Promise<PageContext> => {
    const host = await initSdk({ needsProject });
    const api = createApi(host.collectionUrl);
    const me = await unwrap(await api.api.me.$get());
    return { ...host, api, me };
  });
  if (state.state === "loading") return <Loading />;
  if (state.state === "error") return <ErrorCard error={new Error(`Could not reach TestOps: ${state.error.message}`)} onRetry={retry} />;
  return <Ctx.Provider value={state.value}>{children}</Ctx.Provider>;
}
