import "./org-settings.css";
import * as React from "react";
import { PageProvider, usePage } from "../common/context";
import { showRoot } from "../common/ui";
import { ConnectionsHub } from "./ConnectionsHub";

export function OrgSettings({ pollMs }: { pollMs?: number }) {
  const { api, me } = usePage();
  return <ConnectionsHub api={api} orgName={me.organization.name} isAdmin={me.isOrgAdmin} pollMs={pollMs} />;
}

if (document.getElementById("root")) {
  showRoot(
    <PageProvider>
      <OrgSettings />
    </PageProvider>,
  );
}
